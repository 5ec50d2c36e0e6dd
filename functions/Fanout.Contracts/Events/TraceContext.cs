using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Fanout.Contracts.Events;

/// <summary>A W3C Trace Context <c>traceparent</c> (W3C Recommendation "Trace Context", §3.2), version <c>00</c> only:
/// <c>00-&lt;trace-id: 32 lower-case hex&gt;-&lt;parent-id: 16 lower-case hex&gt;-&lt;trace-flags: 2 lower-case hex&gt;</c>,
/// 55 characters, neither id all zeros. One trace id joins every hop of one order; each hop runs under its own
/// parent id (<see cref="Child"/>).</summary>
/// <remarks>Immutable; the header text is built once and reused (<see cref="ToString"/>), so logging it per line costs
/// nothing more.</remarks>
public sealed class TraceContext : IEquatable<TraceContext>
{
    /// <summary>The length of a version-00 <c>traceparent</c>.</summary>
    public const int Length = 55;

    /// <summary>The <c>sampled</c> bit of <c>trace-flags</c> (§3.2.2.5).</summary>
    public const byte SampledFlag = 0x01;

    private const string Version = "00";

    private TraceContext(string value) => Value = value;

    /// <summary>The <c>traceparent</c> text.</summary>
    public string Value { get; }

    /// <summary>The 32 lower-case hex digits of the trace id.</summary>
    public string TraceId => Value.Substring(3, 32);

    /// <summary>The 16 lower-case hex digits of the parent id (the span of the hop in progress).</summary>
    public string ParentId => Value.Substring(36, 16);

    /// <summary>The <c>trace-flags</c> byte.</summary>
    public byte Flags => (byte)((HexValue(Value[53]) << 4) | HexValue(Value[54]));

    /// <summary>Whether the caller recorded the trace (the <c>sampled</c> flag).</summary>
    public bool IsSampled => (Flags & SampledFlag) != 0;

    /// <summary>Reads a <c>traceparent</c>; null, any other length or version, upper-case hex, a separator out of place
    /// or an all-zero id is refused (§3.2.2.3, §3.2.2.4: all zeros is an invalid id).</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out TraceContext? context)
    {
        context = IsValid(text) ? new TraceContext(text!) : null;
        return context is not null;
    }

    /// <summary>Reads a <c>traceparent</c>.</summary>
    /// <exception cref="FormatException"><paramref name="text"/> is not a valid version-00 <c>traceparent</c>.</exception>
    public static TraceContext Parse(string text) =>
        TryParse(text, out var context) ? context : throw new FormatException("Not a W3C traceparent of version 00 (00-<32 hex>-<16 hex>-<2 hex>, lower case, ids not all zero).");

    /// <summary>Whether <paramref name="text"/> is a valid version-00 <c>traceparent</c> (the rule
    /// <see cref="EventRules.TraceParentPatternText"/> states for the schemas).</summary>
    public static bool IsValid([NotNullWhen(true)] string? text)
    {
        if (text is not { Length: Length } || text[0] != '0' || text[1] != '0' || text[2] != '-' || text[35] != '-' || text[52] != '-')
        {
            return false;
        }

        return IsLowerHex(text.AsSpan(3, 32)) && IsLowerHex(text.AsSpan(36, 16)) && IsLowerHex(text.AsSpan(53, 2))
            && !IsAllZero(text.AsSpan(3, 32)) && !IsAllZero(text.AsSpan(36, 16));
    }

    /// <summary>A new trace: random trace id and parent id from a CSPRNG (§3.2.2.3 asks for enough randomness), the
    /// <c>sampled</c> flag set.</summary>
    public static TraceContext NewRoot()
    {
        Span<byte> traceId = stackalloc byte[16];
        FillNonZero(traceId);
        return Create(traceId, SampledFlag);
    }

    /// <summary>A context in the trace <paramref name="traceId"/> (32 lower-case hex, not all zeros) with a new random
    /// parent id.</summary>
    /// <exception cref="FormatException"><paramref name="traceId"/> is not 32 lower-case hex digits, or is all zeros.</exception>
    public static TraceContext InTrace(string traceId, bool sampled)
    {
        ArgumentNullException.ThrowIfNull(traceId);
        if (traceId.Length != 32 || !IsLowerHex(traceId) || IsAllZero(traceId))
        {
            throw new FormatException("A trace id is 32 lower-case hex digits, not all zeros.");
        }

        return new TraceContext(string.Create(Length, (traceId, sampled), static (chars, state) =>
        {
            Version.AsSpan().CopyTo(chars);
            chars[2] = '-';
            state.traceId.AsSpan().CopyTo(chars[3..]);
            chars[35] = '-';
            WriteRandomParentId(chars.Slice(36, 16));
            chars[52] = '-';
            chars[53] = '0';
            chars[54] = state.sampled ? '1' : '0';
        }));
    }

    /// <summary>The context of the X-Ray trace in an <c>X-Amzn-Trace-Id</c> / <c>Lambda-Runtime-Trace-Id</c> header
    /// (<c>Root=1-&lt;8 hex epoch s&gt;-&lt;24 hex&gt;;Parent=&lt;16 hex&gt;;Sampled=&lt;0|1&gt;</c>): the X-Ray trace id
    /// without its version and dashes is the 32-hex W3C trace id (AWS X-Ray developer guide, "Tracing header" and its
    /// W3C trace ID format), with a new parent id for the hop that begins here; <c>Sampled=1</c> sets the flag.
    /// Null when the header has no valid <c>Root</c>.</summary>
    public static TraceContext? FromXRayHeader(string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return null;
        }

        string? root = null;
        var sampled = false;
        foreach (var part in header.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("Root=", StringComparison.Ordinal))
            {
                root = part[5..];
            }
            else if (part == "Sampled=1")
            {
                sampled = true;
            }
        }

        // 1-5759e988-bd862e3fe1be46a994272793: version 1, 8 hex of epoch seconds, 24 hex random.
        if (root is not { Length: 35 } || root[0] != '1' || root[1] != '-' || root[10] != '-')
        {
            return null;
        }

        var traceId = string.Concat(root.AsSpan(2, 8), root.AsSpan(11, 24)).ToLowerInvariant();
        return IsLowerHex(traceId) && !IsAllZero(traceId) ? InTrace(traceId, sampled) : null;
    }

    /// <summary>The context of the next hop: the same trace id and flags, a new random parent id.</summary>
    public TraceContext Child() => new(string.Create(Length, Value, static (chars, parent) =>
    {
        parent.AsSpan().CopyTo(chars);
        WriteRandomParentId(chars.Slice(36, 16));
    }));

    /// <summary>The <c>traceparent</c> text.</summary>
    public override string ToString() => Value;

    public bool Equals(TraceContext? other) => other is not null && string.Equals(Value, other.Value, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is TraceContext other && Equals(other);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    private static TraceContext Create(ReadOnlySpan<byte> traceId, byte flags)
    {
        Span<char> chars = stackalloc char[Length];
        Version.AsSpan().CopyTo(chars);
        chars[2] = '-';
        Convert.TryToHexStringLower(traceId, chars.Slice(3, 32), out _);
        chars[35] = '-';
        WriteRandomParentId(chars.Slice(36, 16));
        chars[52] = '-';
        Span<byte> flagByte = [flags];
        Convert.TryToHexStringLower(flagByte, chars.Slice(53, 2), out _);
        return new TraceContext(new string(chars));
    }

    private static void WriteRandomParentId(Span<char> destination)
    {
        Span<byte> id = stackalloc byte[8];
        FillNonZero(id);
        Convert.TryToHexStringLower(id, destination, out _);
    }

    /// <summary>Random bytes, never all zero (an all-zero id is invalid; the odds are 2^-64 or less, but cheap to rule out).</summary>
    private static void FillNonZero(Span<byte> bytes)
    {
        do
        {
            RandomNumberGenerator.Fill(bytes);
        }
        while (!bytes.ContainsAnyExcept((byte)0));
    }

    private static bool IsLowerHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAllZero(ReadOnlySpan<char> text) => !text.ContainsAnyExcept('0');

    private static int HexValue(char c) => c <= '9' ? c - '0' : c - 'a' + 10;
}
