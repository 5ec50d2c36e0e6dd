using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Fanout.Orders.Core;

/// <summary>Order ids derived from the caller-scoped idempotency key, so that the order item itself remembers the key
/// and intake writes one item, not a key item and an order item.</summary>
/// <remarks>The id is a UUID version 8 (RFC 9562 §5.8, "UUID Version 8": custom layout; version and variant bits set
/// as the RFC requires) whose other 122 bits are the first bits of SHA-256 over <see cref="Label"/>, a line feed, the
/// scoped key, a line feed and the UTC day number (<see cref="DayOf"/>, decimal). Same caller, same key, same UTC day:
/// same id. Ids from before this scheme are UUID version 7, so the two can never be equal.</remarks>
public static class OrderIds
{
    /// <summary>Names this derivation, so that no other SHA-256-derived id in Fanout hashes the same bytes.</summary>
    public const string Label = "fanout/order-id/v1";

    /// <summary>The length of one day bucket: a UTC day.</summary>
    public static readonly TimeSpan Day = TimeSpan.FromDays(1);

    /// <summary>The UTC day number of <paramref name="at"/>: whole days since 1970-01-01T00:00:00Z (floor, so
    /// instants before 1970 get negative days).</summary>
    public static long DayOf(DateTimeOffset at)
    {
        var ticks = at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return ticks >= 0 ? ticks / Day.Ticks : ((ticks + 1) / Day.Ticks) - 1;
    }

    /// <summary>The id of the order that <paramref name="scopedKey"/> names on UTC day <paramref name="day"/>.</summary>
    /// <param name="scopedKey">The caller-scoped idempotency key (<c>OrderService.ScopeIdempotencyKey</c>).</param>
    /// <returns>A lower-case hyphenated UUID (36 characters), version 8, RFC 9562 variant.</returns>
    /// <exception cref="ArgumentException"><paramref name="scopedKey"/> is null or empty.</exception>
    public static string ForKey(string scopedKey, long day)
    {
        ArgumentException.ThrowIfNullOrEmpty(scopedKey);
        var text = Label + "\n" + scopedKey + "\n" + day.ToString(CultureInfo.InvariantCulture);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true).ToString();
    }

    /// <summary>The digest an order item keeps of the scoped key that named it: the first 128 bits of SHA-256 of the
    /// key, base64url without padding (RFC 4648 §5; 22 characters, so the order item stays under 1 KB). An order whose
    /// id matches but whose digest does not was named by another key (a hash collision) and is never answered as
    /// this key's order.</summary>
    public static string KeyDigest(string scopedKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(scopedKey);
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(scopedKey)).AsSpan(0, 16));
    }

    /// <summary>A random token naming one create request (128 bits, base64url without padding, 22 characters).</summary>
    public static string NewWriteToken() => Base64Url.EncodeToString(Guid.NewGuid().ToByteArray());
}
