using Fanout.Contracts.Events;
namespace Fanout.OrderIntake.Core;

/// <summary>The outcome of reading an <c>Idempotency-Key</c> header: no key, a key, or why the header is unusable.</summary>
public sealed record IdempotencyKeyHeader(string? Key, string? Error)
{
    public static readonly IdempotencyKeyHeader Absent = new(null, null);

    public bool IsValid => Error is null;
}

/// <summary>The rules for the two request headers the order API reads.</summary>
public static class RequestHeaders
{
    /// <summary>Longest idempotency key or correlation id, in characters.</summary>
    public const int MaxTokenLength = 128;

    public const string TokenRule = "1 to 128 characters: letters, digits, '.', '_', ':' or '-'";

    /// <summary>True for 1 to 128 ASCII letters, digits, '.', '_', ':' or '-' (and nothing else: no control
    /// characters, no spaces, no commas, which is how a repeated header arrives). The same rule the consumers
    /// apply to an envelope's <c>correlationid</c> (<see cref="EventRules.IsCorrelationId"/>), so every id intake
    /// accepts travels every hop; idempotency keys share the alphabet.</summary>
    public static bool IsToken(string? value) => EventRules.IsCorrelationId(value);

    /// <summary>Reads <c>Idempotency-Key</c>. draft-ietf-httpapi-idempotency-key-header defines the value as an
    /// RFC 8941 sf-string (<c>"8e03978e-…"</c>, section 3.3.3); many clients send the bare token instead. Both
    /// are accepted and mean the same key: the quotes are syntax, not part of the key. Inside the quotes,
    /// <c>\"</c> and <c>\\</c> are the only escapes (RFC 8941 section 4.2.5); the unquoted key must then be a
    /// <see cref="IsToken">token</see>.</summary>
    /// <param name="raw">The header value as received (null when absent).</param>
    public static IdempotencyKeyHeader ParseIdempotencyKey(string? raw)
    {
        if (raw is null)
        {
            return IdempotencyKeyHeader.Absent;
        }

        var value = raw.Trim(' ', '\t');
        if (value.StartsWith('"'))
        {
            var unquoted = UnquoteSfString(value);
            if (unquoted is null)
            {
                return new IdempotencyKeyHeader(null, "Idempotency-Key is not a valid quoted string (RFC 8941 sf-string): it must end with the closing quote, and only \\\" and \\\\ may be escaped.");
            }

            value = unquoted;
        }

        return IsToken(value)
            ? new IdempotencyKeyHeader(value, null)
            : new IdempotencyKeyHeader(null, $"Idempotency-Key must be {TokenRule}, bare or in double quotes.");
    }

    /// <summary>Why an <c>X-Correlation-Id</c> value cannot be used, or null when it can. A bad correlation id
    /// only costs diagnostics, so the caller generates a fresh one instead of refusing the request.</summary>
    public static string? CorrelationIdProblem(string? raw)
    {
        if (raw is null || IsToken(raw))
        {
            return null;
        }

        if (raw.Length == 0)
        {
            return "empty";
        }

        if (raw.Contains(',', StringComparison.Ordinal))
        {
            return "sent more than once (values joined with commas)";
        }

        return raw.Length > MaxTokenLength
            ? $"longer than {MaxTokenLength} characters ({raw.Length})"
            : "holds characters other than letters, digits, '.', '_', ':' or '-'";
    }

    /// <summary>The content of an RFC 8941 sf-string that makes up the whole of <paramref name="value"/>, or null.</summary>
    private static string? UnquoteSfString(string value)
    {
        var builder = new System.Text.StringBuilder(value.Length);
        for (var i = 1; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '"')
            {
                return i == value.Length - 1 ? builder.ToString() : null;
            }

            if (c == '\\')
            {
                i++;
                if (i == value.Length || value[i] is not ('"' or '\\'))
                {
                    return null;
                }

                builder.Append(value[i]);
                continue;
            }

            if (c is < ' ' or > '~')
            {
                return null;
            }

            builder.Append(c);
        }

        return null;
    }
}
