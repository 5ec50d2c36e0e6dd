using System.Text.Json;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Harness;
using Fanout.IntegrationTests.Outbox;
using Fanout.IntegrationTests.Support;

namespace Fanout.IntegrationTests.Observability;

/// <summary>Keeps the functions' log in memory, line by line.</summary>
public sealed class LoggedFanoutFixture : FanoutFixture
{
    public CapturedLog Log { get; } = new();

    protected override LocalFanoutOptions Options => base.Options with { FunctionLog = Log };
}

/// <summary>One order through the real local system: every consumer record gets one EMF line with its queue wait and
/// processing time, and one W3C trace id joins the intake line, every publish and every consumer's lines.</summary>
[Trait("Category", "Integration")]
public sealed class TraceAndMetricsTests(LoggedFanoutFixture fixture) : IClassFixture<LoggedFanoutFixture>
{
    private static readonly string[] Consumers = [FanoutTopology.Sms.Service, FanoutTopology.Email.Service, FanoutTopology.Inventory.Service, FanoutTopology.OrderStatus.Service];

    [Fact]
    public async Task PlaceOrder_CompletedOrder_EveryHopLogsOneTraceIdAndEveryRecordItsTimings()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("WIDGET-1", 10, ct);

        var orderId = await Api.PlaceAsync(fanout, Api.OrderJson("trace-1", "+14155550100", ("WIDGET-1", 1)), ct);
        var view = await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, orderId, ct), v => v is { Status: not "PENDING" }, TimeSpan.FromSeconds(60), $"order {orderId} to finish");
        Assert.Equal("COMPLETED", view!.Status);

        var accepted = Assert.Single(Lines(), l => Message(l) == "Order accepted" && Text(l, "orderId") == orderId);
        var traceId = TraceContext.Parse(Text(accepted, "traceparent")!).TraceId;

        // Order status applies three outcomes (SmsSent, EmailSent, InventoryReserved); each of sms, email and inventory
        // handles the OrderPlaced once. Wait for all of them, then check each line.
        var records = await Eventually.WaitAsync(
            () => Task.FromResult(Lines().Where(l => IsRecordLine(l) && TraceIdOf(l) == traceId).ToList()),
            found => Consumers.All(s => found.Any(l => Text(l, "Service") == s)) && found.Count(l => Text(l, "Service") == FanoutTopology.OrderStatus.Service) >= 3,
            TimeSpan.FromSeconds(30),
            "an EMF line for every consumer record of the order");
        Assert.All(records, line =>
        {
            Assert.True(line.GetProperty(FanoutMetrics.QueueWaitTime).GetDouble() >= 0);
            Assert.True(line.GetProperty(FanoutMetrics.ProcessingTime).GetDouble() > 0);
            Assert.Equal(1, line.GetProperty(FanoutMetrics.Received).GetDouble());
            Assert.True(Text(line, "outcome") is "handled" or "duplicate", Text(line, "outcome"));
            Assert.Equal(1, line.GetProperty(Text(line, "outcome") == "handled" ? FanoutMetrics.Handled : FanoutMetrics.Duplicate).GetDouble());
        });
        // One line per record delivery: no message id is reported twice for the same receive.
        Assert.Equal(records.Count, records.Select(l => (Text(l, "messageId"), Text(l, "receiveCount"))).Distinct().Count());
        Assert.All(
            records.Where(l => Text(l, "Service") != FanoutTopology.OrderStatus.Service),
            l => Assert.Equal((EventTypes.OrderPlaced, orderId), (Text(l, "EventType"), Text(l, "orderId"))));

        // DynamoDB Local answers ReturnConsumedCapacity=TOTAL: every consumer writes its idempotency record, so each
        // record line reports write units, and the intake's request line the order's writes.
        Assert.All(records, l => Assert.True(l.GetProperty(FanoutMetrics.WriteUnits).GetDouble() > 0, $"{Text(l, "Service")} reported no write units"));
        var intakeService = Text(accepted, "service");
        var intake = Assert.Single(Lines(), l => IsRequestLine(l) && Text(l, "Service") == intakeService && Text(l, "orderId") == orderId);
        Assert.True(intake.GetProperty(FanoutMetrics.WriteUnits).GetDouble() > 0);
        Assert.Equal(traceId, TraceIdOf(intake));

        // Every event of the order was published in the same trace: OrderPlaced by intake, one outcome per service.
        var published = Lines().Where(l => l.TryGetProperty(FanoutMetrics.Published, out _) && Text(l, "orderId") == orderId).ToList();
        Assert.Equal(
            [EventTypes.EmailSent, EventTypes.InventoryReserved, EventTypes.OrderPlaced, EventTypes.SmsSent],
            published.Select(l => Text(l, "EventType")!).Distinct().Order(StringComparer.Ordinal));
        Assert.All(published, l => Assert.Equal(traceId, TraceIdOf(l)));

        // And every plain log line about the order carries that trace id too.
        var hops = Consumers.Append(intakeService).ToHashSet(StringComparer.Ordinal);
        var aboutOrder = Lines().Where(l => Message(l) is not null && Text(l, "orderId") == orderId && hops.Contains(Text(l, "service") ?? "")).ToList();
        Assert.Contains(aboutOrder, l => Text(l, "service") == FanoutTopology.Sms.Service);
        Assert.All(aboutOrder, l => Assert.Equal(traceId, TraceIdOf(l)));
    }

    /// <summary>The intake's per-request capacity line: EMF, neither a record's nor a publish's.</summary>
    private static bool IsRequestLine(JsonElement line) =>
        line.TryGetProperty("_aws", out _) && !line.TryGetProperty(FanoutMetrics.Received, out _) && !line.TryGetProperty(FanoutMetrics.Published, out _);

    private static bool IsRecordLine(JsonElement line) => line.TryGetProperty("_aws", out _) && line.TryGetProperty(FanoutMetrics.Received, out _);

    private static string? TraceIdOf(JsonElement line) =>
        TraceContext.TryParse(Text(line, "traceparent"), out var context) ? context.TraceId : null;

    private static string? Message(JsonElement line) => Text(line, "message");

    private static string? Text(JsonElement line, string name) =>
        line.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private List<JsonElement> Lines() =>
        [.. fixture.Log.Lines.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
}
