using System.Security.Cryptography;
using System.Text;

namespace Fanout.Contracts.Events;

/// <summary>Deterministic event ids: the same order, service and outcome always give the same id, so a
/// re-published fact is recognisably the same fact and consumers deduplicate it.</summary>
public static class EventIds
{
    /// <summary>A UUID (version 8, RFC 9562) derived from SHA-256 of <c>orderId/service/outcome</c>.</summary>
    public static string For(string orderId, string service, string outcome)
    {
        ArgumentException.ThrowIfNullOrEmpty(orderId);
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(outcome);
        var name = Encoding.UTF8.GetBytes($"{orderId}/{service}/{outcome}");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(name, hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true).ToString();
    }
}
