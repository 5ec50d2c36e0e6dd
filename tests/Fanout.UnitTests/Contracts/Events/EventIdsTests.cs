using System.Security.Cryptography;
using System.Text;
using Fanout.Contracts.Events;

namespace Fanout.UnitTests.Contracts.Events;

[Trait("Category", "Unit")]
public sealed class EventIdsTests
{
    private const string OrderId = "0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

    [Fact]
    public void For_SameInputs_ReturnsTheSameId()
    {
        Assert.Equal(EventIds.For(OrderId, "sms", "SENT"), EventIds.For(OrderId, "sms", "SENT"));
    }

    [Fact]
    public void For_DifferentOutcome_ReturnsADifferentId()
    {
        Assert.NotEqual(EventIds.For(OrderId, "sms", "SENT"), EventIds.For(OrderId, "sms", "SKIPPED"));
        Assert.NotEqual(EventIds.For(OrderId, "inventory", "RESERVED"), EventIds.For(OrderId, "inventory", "REJECTED"));
    }

    [Fact]
    public void For_DifferentServiceOrOrder_ReturnsADifferentId()
    {
        Assert.NotEqual(EventIds.For(OrderId, "sms", "SENT"), EventIds.For(OrderId, "email", "SENT"));
        Assert.NotEqual(EventIds.For(OrderId, "sms", "SENT"), EventIds.For("0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", "sms", "SENT"));
    }

    [Theory]
    [InlineData(OrderId, "orders", "PLACED")]
    [InlineData(OrderId, "sms", "SKIPPED")]
    [InlineData("o", "s", "x")]
    [InlineData("ünïcödé", "email", "SENT")]
    public void For_AnyInput_IsAVersion8UuidWithTheRfcVariant(string orderId, string service, string outcome)
    {
        var id = EventIds.For(orderId, service, outcome);

        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", id);
        Assert.Equal(8, Guid.Parse(id).Version);
    }

    [Theory]
    [InlineData(OrderId, "sms", "SENT")]
    [InlineData("order-1", "inventory", "REJECTED")]
    public void For_AnyInput_IsTheFirst128BitsOfSha256WithVersionAndVariantSet(string orderId, string service, string outcome)
    {
        // Recomputed independently: SHA-256 of "orderId/service/outcome", bytes 0..15 in network order,
        // version nibble 8 in byte 6, variant bits 10 in byte 8 (RFC 9562).
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{orderId}/{service}/{outcome}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(hash, 0, 16);
        var expected = $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";

        Assert.Equal(expected, EventIds.For(orderId, service, outcome));
    }

    [Theory]
    [InlineData("", "sms", "SENT")]
    [InlineData(OrderId, "", "SENT")]
    [InlineData(OrderId, "sms", "")]
    public void For_EmptyPart_Throws(string orderId, string service, string outcome)
    {
        Assert.Throws<ArgumentException>(() => EventIds.For(orderId, service, outcome));
    }
}
