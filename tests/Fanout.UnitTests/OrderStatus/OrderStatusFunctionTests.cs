using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Metrics;
using Fanout.Functions.Common.Sqs;
using Fanout.Orders.Core;
using Fanout.OrderStatus;
using Fanout.OrderStatus.Core;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.OrderStatus;

/// <summary>The order status adapter's journey signals: one <c>EndToEndLatency</c> EMF line per applied outcome, and a
/// duplicate marked on the record in progress.</summary>
[Trait("Category", "Unit")]
public sealed class OrderStatusFunctionTests : IDisposable
{
    private const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _time = TestClock.Create();
    private readonly InMemoryOrderStore _store;
    private readonly StringWriter _metrics = new();
    private readonly OrderStatusFunction _function;

    public OrderStatusFunctionTests()
    {
        _store = new InMemoryOrderStore(_time);
        _store.Add(new OrderRecord(
            OrderPlacedBuilder.DefaultOrderId,
            new OrderPlacedBuilder().BuildEnvelopeJson(),
            OrderPlacedBuilder.DefaultCorrelationId,
            "request-hash",
            TestClock.Start,
            TrackedServices.All.ToDictionary(s => s, _ => ServiceStatus.Pending))
        { OpenSince = TestClock.Start });
        _function = new OrderStatusFunction(new OrderStatusService(_store), new FanoutLogger("orderstatus", _time, TextWriter.Null), new EmbeddedMetrics(_metrics, _time));
    }

    public void Dispose() => _metrics.Dispose();

    private static SqsMessage Message(string body) => new()
    {
        MessageId = "m-1",
        Body = body,
        MessageAttributes = { [EventAttributes.TraceParent] = new SqsMessageAttributeValue { StringValue = TraceParent } },
    };

    [Fact]
    public async Task HandleAsync_AppliedOutcome_WritesOneEndToEndLatencyLineFromCreatedAtToTheApply()
    {
        _time.Advance(TimeSpan.FromMilliseconds(250));

        await _function.HandleAsync(Message(CloudEventBuilder.SmsSent().Build()), TestContext.Current.CancellationToken);

        var line = Assert.Single(_metrics.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal(250, root.GetProperty(FanoutMetrics.EndToEndLatency).GetDouble());
        Assert.Equal("orderstatus", root.GetProperty("Service").GetString());
        Assert.Equal(EventTypes.SmsSent, root.GetProperty("EventType").GetString());
        Assert.Equal(OrderPlacedBuilder.DefaultOrderId, root.GetProperty("orderId").GetString());
        Assert.Equal("sms", root.GetProperty("service").GetString());
        Assert.Equal(TestClock.Start.AddMilliseconds(250).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture), root.GetProperty("appliedAt").GetString());
        Assert.Equal(TraceParent, root.GetProperty("traceparent").GetString());
        var metric = root.GetProperty("_aws").GetProperty("CloudWatchMetrics")[0].GetProperty("Metrics")[0];
        Assert.Equal((FanoutMetrics.EndToEndLatency, FanoutMetrics.Milliseconds), (metric.GetProperty("Name").GetString(), metric.GetProperty("Unit").GetString()));
        Assert.Equal(TestClock.Start.AddMilliseconds(250), _store.Find(OrderPlacedBuilder.DefaultOrderId)!.AppliedAt["sms"]);
    }

    [Fact]
    public async Task HandleAsync_InventoryReleased_AppliesWithoutAnEndToEndLatencySample()
    {
        // A release answers a cancellation, possibly hours later: timed from OrderPlaced it would trip the objective.
        _time.Advance(TimeSpan.FromHours(2));

        await _function.HandleAsync(Message(CloudEventBuilder.InventoryReleased(("MUG-WHITE", 1)).Build()), TestContext.Current.CancellationToken);

        Assert.Equal(ServiceStatus.Released, _store.Find(OrderPlacedBuilder.DefaultOrderId)!.Statuses["inventory"]);
        Assert.Empty(_metrics.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task HandleAsync_DuplicateOutcome_MarksTheRecordDuplicateAndWritesNoLatency()
    {
        var body = CloudEventBuilder.SmsSent().Build();
        await _function.HandleAsync(Message(body), TestContext.Current.CancellationToken);
        var record = new RecordContext();

        using (RecordContext.Begin(record))
        {
            await _function.HandleAsync(Message(body), TestContext.Current.CancellationToken);
        }

        Assert.True(record.IsDuplicate);
        Assert.Single(_metrics.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
