using System.Text.RegularExpressions;

namespace Fanout.Contracts.Events;

/// <summary>The syntax rules of the event envelopes, written once for the consumers' parser. The published JSON
/// Schemas in <c>schemas/events/</c> state the same rules; <c>EventContractAgreementTests</c> proves they agree.</summary>
/// <remarks>Every pattern ends in <c>\z</c>, the true end of the string: in .NET, <c>$</c> also matches before a
/// final <c>"\n"</c>, so <c>^…$</c> would let <c>"corr-1\n"</c> through. The schemas, which must also read as
/// ECMA-262 patterns where <c>\z</c> does not exist, end theirs in <c>(?![\s\S])</c> ("no character follows").</remarks>
public static partial class EventRules
{
    /// <summary>Event ids are <see cref="EventIds"/> output: lower-case UUID version 8 with the RFC 9562 variant.</summary>
    public const string EventIdPatternText = @"^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\z";

    /// <summary>Order ids (and the CloudEvents <c>subject</c>): a lower-case UUID of any version.</summary>
    public const string OrderIdPatternText = @"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\z";

    /// <summary>Correlation ids: 1 to 128 ASCII letters, digits, '.', '_', ':' or '-' (as the HTTP intake accepts them).</summary>
    public const string CorrelationIdPatternText = @"^[A-Za-z0-9._:-]{1,128}\z";

    /// <summary>CloudEvents 1.0 attribute names (spec section "Attribute Naming Convention"): lower-case ASCII
    /// letters and digits; the spec's advised 20-character limit is enforced.</summary>
    public const string AttributeNamePatternText = @"^[a-z0-9]{1,20}\z";

    /// <summary>What any consumer accepts as <c>type</c> before it knows the type: a letter, then up to 127 letters,
    /// digits or dots (reverse-DNS names such as <c>com.example.Thing</c> fit).</summary>
    public const string TypePatternText = @"^[A-Za-z][A-Za-z0-9.]{0,127}\z";

    /// <summary>What any consumer accepts as <c>source</c> (a URI-reference) before it knows the type: 1 to 256
    /// printable ASCII characters, no space.</summary>
    public const string SourcePatternText = @"^[!-~]{1,256}\z";

    /// <summary>A provider's message id (SNS, SES): 1 to 256 printable ASCII characters, no space.</summary>
    public const string ProviderMessageIdPatternText = @"^[!-~]{1,256}\z";

    /// <summary>An RFC 3339 <c>date-time</c> narrowed to what <see cref="DateTimeOffset"/> can hold exactly: upper-case
    /// <c>T</c> and <c>Z</c>, years 1900 to 2999, real calendar days (leap years included), no leap second,
    /// 1 to 9 fraction digits, offsets within ±14:00. Every string it admits parses; none it refuses is a sane
    /// event time.</summary>
    public const string TimestampPatternText =
        @"^(?:(?:19|2[0-9])[0-9]{2}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)" +
        @"|(?:(?:19|2[0-9])(?:0[48]|[2468][048]|[13579][26])|2[048]00)-02-29)" +
        @"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?(?:Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)\z";

    /// <summary>The CloudEvents distributed-tracing extension attribute <c>traceparent</c>: a W3C Trace Context version-00
    /// <c>traceparent</c> (W3C Recommendation "Trace Context" §3.2), lower-case hex, neither id all zeros. Checked in code by
    /// <see cref="TraceContext.IsValid"/> (the non-backtracking engine has no look-ahead); the schemas state this pattern.</summary>
    public const string TraceParentPatternText = @"^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}\z";

    /// <summary>True when <paramref name="value"/> holds a control character (Unicode category Cc: U+0000–U+001F,
    /// U+007F–U+009F). No field of any event may hold one: they are invisible in logs and break line-based tools.</summary>
    public static bool HasControlCharacter(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The index of the first unpaired UTF-16 surrogate in <paramref name="value"/>, or -1 when the text is
    /// well-formed UTF-16 (I-JSON, RFC 7493 section 2.1, forbids unpaired surrogates).</summary>
    public static int IndexOfUnpairedSurrogate(ReadOnlySpan<char> value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]))
            {
                if (i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    i++;
                    continue;
                }

                return i;
            }

            if (char.IsLowSurrogate(value[i]))
            {
                return i;
            }
        }

        return -1;
    }

    public static bool IsEventId(string? value) => value is not null && EventIdPattern().IsMatch(value);

    public static bool IsOrderId(string? value) => value is not null && OrderIdPattern().IsMatch(value);

    public static bool IsCorrelationId(string? value) => value is not null && CorrelationIdPattern().IsMatch(value);

    public static bool IsAttributeName(string? value) => value is not null && AttributeNamePattern().IsMatch(value);

    public static bool IsType(string? value) => value is not null && TypePattern().IsMatch(value);

    public static bool IsSource(string? value) => value is not null && SourcePattern().IsMatch(value);

    public static bool IsProviderMessageId(string? value) => value is not null && ProviderMessageIdPattern().IsMatch(value);

    /// <summary>See <see cref="TraceParentPatternText"/>.</summary>
    public static bool IsTraceParent(string? value) => TraceContext.IsValid(value);

    public static bool IsTimestamp(string? value) => value is not null && TimestampPattern().IsMatch(value);

    // NonBacktracking: linear time whatever a queue message holds.
    [GeneratedRegex(EventIdPatternText, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex EventIdPattern();

    [GeneratedRegex(OrderIdPatternText, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex OrderIdPattern();

    [GeneratedRegex(CorrelationIdPatternText, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex CorrelationIdPattern();

    [GeneratedRegex(AttributeNamePatternText, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex AttributeNamePattern();

    [GeneratedRegex(TypePatternText, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex TypePattern();

    [GeneratedRegex(SourcePatternText, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex SourcePattern();

    [GeneratedRegex(ProviderMessageIdPatternText, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex ProviderMessageIdPattern();

    [GeneratedRegex(TimestampPatternText, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex TimestampPattern();
}
