using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.IntegrationTests.Outbox;
using Fanout.IntegrationTests.Support;
using Fanout.Orders;

namespace Fanout.IntegrationTests.Journey;

/// <summary>One order's journey as the order service records it: the server time each outcome was applied, when the
/// order completed, the <c>EndToEndLatency</c> line per applied outcome, and a compact order item.</summary>
[Trait("Category", "Integration")]
public sealed class OrderJourneyTests(OutboxFixture fixture) : IClassFixture<OutboxFixture>
{
    [Fact]
    public async Task GetOrder_CompletedOrder_ShowsAppliedAtPerServiceAndCompletedAtAfterEach()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("JOURNEY-1", 10, ct);

        var orderId = await Api.PlaceAsync(fanout, Api.OrderJson("journey-1", "+14155550142", ("JOURNEY-1", 2)), ct, idempotencyKey: "journey-key-1");
        var pending = await Api.GetOrderAsync(fanout, orderId, ct);
        var view = await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, orderId, ct), v => v is { Status: "COMPLETED" }, TimeSpan.FromSeconds(30), $"order {orderId} to complete");

        Assert.Equal(["email", "inventory", "sms"], view!.AppliedAt.Keys.Order(StringComparer.Ordinal));
        Assert.All(view.AppliedAt.Values, at => Assert.InRange(at, view.CreatedAt, view.CompletedAt!.Value));
        Assert.Equal(view.AppliedAt.Values.Max(), view.CompletedAt);
        Assert.Equal(TimeSpan.Zero, view.CompletedAt!.Value.Offset);
        if (pending!.Status == "PENDING")
        {
            Assert.Null(pending.CompletedAt);
        }

        // The JSON itself: RFC 3339 UTC per service, completedAt present once complete.
        var response = await fanout.InvokeApiAsync(Api.Get(orderId), ct);
        using (var json = System.Text.Json.JsonDocument.Parse(response.Body!))
        {
            var applied = json.RootElement.GetProperty("appliedAt");
            Assert.Equal(3, applied.EnumerateObject().Count());
            Assert.Equal(TimeSpan.Zero, DateTimeOffset.Parse(applied.GetProperty("sms").GetString()!, CultureInfo.InvariantCulture).Offset);
            Assert.True(json.RootElement.TryGetProperty("completedAt", out _));
        }

        // One EndToEndLatency line per applied outcome, from the order's createdAt to the apply.
        var lines = await Eventually.WaitAsync(
            () => Task.FromResult(fixture.FunctionLog.ObjectsWith(FanoutMetrics.EndToEndLatency).Where(l => l.TryGetProperty("orderId", out var id) && id.GetString() == orderId).ToList()),
            l => l.Count == 3,
            TimeSpan.FromSeconds(10),
            "three EndToEndLatency lines");
        Assert.Equal(["email", "inventory", "sms"], lines.Select(l => l.GetProperty("service").GetString()).Order(StringComparer.Ordinal));
        foreach (var line in lines)
        {
            var service = line.GetProperty("service").GetString()!;
            var appliedAt = DateTimeOffset.Parse(line.GetProperty("appliedAt").GetString()!, CultureInfo.InvariantCulture);
            Assert.Equal((view.AppliedAt[service] - view.CreatedAt).TotalMilliseconds, line.GetProperty(FanoutMetrics.EndToEndLatency).GetDouble(), 1.0);
            Assert.Equal(view.AppliedAt[service].ToUnixTimeMilliseconds(), appliedAt.ToUnixTimeMilliseconds());
            Assert.Equal("orderstatus", line.GetProperty("Service").GetString());
            Assert.Contains(line.GetProperty("EventType").GetString(), new[] { EventTypes.SmsSent, EventTypes.EmailSent, EventTypes.InventoryReserved });
        }

        // The order item: the OrderPlaced data, not its envelope; out of the open-orders index; under 1 KB (1 WCU a write).
        var item = Assert.Single(await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, DynamoOrderStore.OrderPrefix + orderId));
        Assert.False(item.ContainsKey("eventJson"));
        Assert.False(item.ContainsKey(ReconcilerSpec.OpenShardAttribute));
        Assert.InRange(ItemSize(item), 1, 1024);
        Assert.Empty(await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, OutboxSpec.KeyPrefix + EventIds.For(orderId, "orders", "PLACED")));
    }

    /// <summary>AWS's item size ("Item sizes and formats"): UTF-8 bytes of each attribute name plus its value.</summary>
    private static int ItemSize(Dictionary<string, AttributeValue> item) => item.Sum(a => Encoding.UTF8.GetByteCount(a.Key) + ValueSize(a.Value));

    private static int ValueSize(AttributeValue value) =>
        value.S is { } text ? Encoding.UTF8.GetByteCount(text)
        : value.N is { } number ? number.Length
        : value.SS is { Count: > 0 } set ? set.Sum(Encoding.UTF8.GetByteCount)
        : value.M is { } map ? 3 + map.Sum(m => 1 + Encoding.UTF8.GetByteCount(m.Key) + ValueSize(m.Value))
        : 1;
}
