using System.Text.RegularExpressions;

namespace Fanout.Contracts.Orders;

/// <summary>The syntax rules for order fields, shared by the HTTP validator and the consumers' event checks.</summary>
public static partial class OrderRules
{
    public const int MinItems = 1;
    public const int MaxItems = 50;
    public const int MinQuantity = 1;
    public const int MaxQuantity = 1000;
    public const int MaxBodyBytes = 64 * 1024;
    public const int MaxCustomerIdLength = 64;
    public const int MaxEmailLength = 254;

    /// <summary>A SKU is 3 to 32 characters: upper-case letters and digits in groups joined by single hyphens,
    /// e.g. <c>TSHIRT-RED-M</c> or <c>SKU123</c>.</summary>
    public const string SkuPatternText = "^(?=.{3,32}$)[A-Z0-9]+(-[A-Z0-9]+)*$";

    /// <summary>E.164: a plus sign, a non-zero country digit, then up to 14 more digits.</summary>
    public const string PhonePatternText = "^\\+[1-9][0-9]{6,14}$";

    /// <summary>A pragmatic address check: one @, no spaces, a dotted domain with a 2+ letter TLD.</summary>
    public const string EmailPatternText = "^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.[A-Za-z]{2,63}$";

    /// <summary>Customer ids: 1 to 64 letters, digits, '-', '_' or '.'.</summary>
    public const string CustomerIdPatternText = "^[A-Za-z0-9._-]{1,64}$";

    public const int MinSkuLength = 3;
    public const int MaxSkuLength = 32;

    // The length part of SkuPatternText is checked in code: the non-backtracking engine has no lookahead.
    public static bool IsValidSku(string? value) => value is { Length: >= MinSkuLength and <= MaxSkuLength } && SkuGroups().IsMatch(value);

    public static bool IsValidPhone(string? value) => value is not null && PhonePattern().IsMatch(value);

    public static bool IsValidEmail(string? value) =>
        value is not null && value.Length <= MaxEmailLength && !value.Contains("..", StringComparison.Ordinal) && EmailPattern().IsMatch(value);

    public static bool IsValidCustomerId(string? value) => value is not null && CustomerIdPattern().IsMatch(value);

    public static bool IsValidQuantity(int quantity) => quantity is >= MinQuantity and <= MaxQuantity;

    // NonBacktracking: linear time whatever the input, so no timeout is needed, not even on a CPU-starved
    // 128 MB Lambda (a 100 ms timeout there could turn valid input into a 500).
    [GeneratedRegex("^[A-Z0-9]+(-[A-Z0-9]+)*$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex SkuGroups();

    [GeneratedRegex(PhonePatternText, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex PhonePattern();

    [GeneratedRegex(EmailPatternText, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex EmailPattern();

    [GeneratedRegex(CustomerIdPatternText, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex CustomerIdPattern();
}
