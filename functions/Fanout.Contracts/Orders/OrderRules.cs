using System.Buffers;
using System.Text.RegularExpressions;

namespace Fanout.Contracts.Orders;

/// <summary>The syntax rules for order fields, shared by the HTTP validator and the consumers' event checks.</summary>
/// <remarks>Every rule accepts printable ASCII only, so no field can carry a control character, and every pattern is
/// anchored with <c>\A</c> and <c>\z</c>: in .NET, <c>$</c> also matches before a final <c>\n</c>, so
/// <c>"MUG-WHITE\n"</c> would pass a <c>^…$</c> pattern.</remarks>
public static partial class OrderRules
{
    public const int MinItems = 1;
    public const int MaxItems = 50;
    public const int MinQuantity = 1;
    public const int MaxQuantity = 1000;
    public const int MaxBodyBytes = 64 * 1024;
    public const int MaxCustomerIdLength = 64;

    /// <summary>RFC 5321 section 4.5.3.1.3: a path is at most 256 octets including the angle brackets.</summary>
    public const int MaxEmailLength = 254;

    /// <summary>RFC 5321 section 4.5.3.1.1: a local part is at most 64 octets.</summary>
    public const int MaxEmailLocalPartLength = 64;

    /// <summary>RFC 1035 section 2.3.4: a domain label is at most 63 octets.</summary>
    public const int MaxDomainLabelLength = 63;

    /// <summary>A SKU is 3 to 32 characters: upper-case letters and digits in groups joined by single hyphens,
    /// e.g. <c>TSHIRT-RED-M</c> or <c>SKU123</c>.</summary>
    public const string SkuPatternText = "\\A(?=.{3,32}\\z)[A-Z0-9]+(-[A-Z0-9]+)*\\z";

    /// <summary>E.164: a plus sign, a non-zero country digit, then 6 to 14 more digits.</summary>
    public const string PhonePatternText = "\\A\\+[1-9][0-9]{6,14}\\z";

    /// <summary>Customer ids: 1 to 64 letters, digits, '-', '_' or '.'.</summary>
    public const string CustomerIdPatternText = "\\A[A-Za-z0-9._-]{1,64}\\z";

    public const int MinSkuLength = 3;
    public const int MaxSkuLength = 32;

    // RFC 5322 section 3.2.3 atext, besides letters and digits.
    private const string AtextSymbols = "!#$%&'*+-/=?^_`{|}~";

    private static readonly SearchValues<char> LabelCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-");

    // The length part of SkuPatternText is checked in code: the non-backtracking engine has no lookahead.
    public static bool IsValidSku(string? value) => value is { Length: >= MinSkuLength and <= MaxSkuLength } && SkuGroups().IsMatch(value);

    public static bool IsValidPhone(string? value) => value is not null && PhonePattern().IsMatch(value);

    /// <summary>An address SES accepts: an RFC 5322 dot-atom local part of at most 64 octets (ASCII atext, no
    /// leading, trailing or doubled dot), one <c>@</c>, and a domain of at least two dot-separated labels, each
    /// 1 to 63 letters, digits or inner hyphens (RFC 1035), whose last label is not all digits; at most 254
    /// octets in all (RFC 5321). Quoted local parts, comments and address literals are refused.</summary>
    public static bool IsValidEmail(string? value)
    {
        if (value is null || value.Length > MaxEmailLength)
        {
            return false;
        }

        var at = value.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && IsDotAtomLocalPart(value.AsSpan(0, at)) && IsDomain(value.AsSpan(at + 1));
    }

    public static bool IsValidCustomerId(string? value) => value is not null && CustomerIdPattern().IsMatch(value);

    /// <summary>An E.164 country calling code as written in front of a number: <c>+</c>, then 1 to 3 digits, the
    /// first not 0 (ITU-T E.164 section 6.2.1; e.g. <c>+1</c>, <c>+44</c>, <c>+353</c>).</summary>
    public static bool IsValidCallingCode(string? value)
    {
        if (value is not { Length: >= 2 and <= 4 } || value[0] != '+' || value[1] is < '1' or > '9')
        {
            return false;
        }

        return !value.AsSpan(2).ContainsAnyExceptInRange('0', '9');
    }

    /// <summary>True when the E.164 <paramref name="phone"/> starts with one of <paramref name="callingCodes"/>.
    /// E.164 calling codes are a prefix-free code (no assigned code begins another), so a number starting with a
    /// listed code belongs to that country and a prefix test is exact.</summary>
    public static bool HasCallingCode(string phone, IReadOnlyList<string> callingCodes)
    {
        ArgumentNullException.ThrowIfNull(phone);
        ArgumentNullException.ThrowIfNull(callingCodes);
        foreach (var code in callingCodes)
        {
            if (phone.StartsWith(code, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    public static bool IsValidQuantity(int quantity) => quantity is >= MinQuantity and <= MaxQuantity;

    private static bool IsDotAtomLocalPart(ReadOnlySpan<char> local)
    {
        if (local.Length > MaxEmailLocalPartLength || local[0] == '.' || local[^1] == '.')
        {
            return false;
        }

        for (var i = 0; i < local.Length; i++)
        {
            var c = local[i];
            var allowed = char.IsAsciiLetterOrDigit(c) || AtextSymbols.Contains(c, StringComparison.Ordinal) || (c == '.' && local[i - 1] != '.');
            if (!allowed)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsDomain(ReadOnlySpan<char> domain)
    {
        var labels = 0;
        var last = ReadOnlySpan<char>.Empty;
        foreach (var range in domain.Split('.'))
        {
            last = domain[range];
            if (!IsLabel(last))
            {
                return false;
            }

            labels++;
        }

        return labels >= 2 && last.ContainsAnyExceptInRange('0', '9');
    }

    private static bool IsLabel(ReadOnlySpan<char> label) =>
        label.Length is >= 1 and <= MaxDomainLabelLength
        && label[0] != '-'
        && label[^1] != '-'
        && !label.ContainsAnyExcept(LabelCharacters);

    // NonBacktracking: linear time whatever the input, so no timeout is needed, not even on a CPU-starved
    // 128 MB Lambda (a 100 ms timeout there could turn valid input into a 500).
    [GeneratedRegex("\\A[A-Z0-9]+(-[A-Z0-9]+)*\\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex SkuGroups();

    [GeneratedRegex(PhonePatternText, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex PhonePattern();

    [GeneratedRegex(CustomerIdPatternText, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex CustomerIdPattern();
}
