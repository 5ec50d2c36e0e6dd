using System.Text.Json;
using Fanout.AwsShims.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Metrics;
using Fanout.Functions.Common.Publishing;
using Fanout.OrderIntake;
using Fanout.OrderIntake.Core;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.OrderIntake;

/// <summary>The trace of an order starts at intake; the request's capacity line.</summary>
[Trait("Category", "Unit")]
public sealed class OrderIntakeTraceTests : IDisposable
{
    private const string Upstream = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private const string XRay = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly RecordingEventPublisher _published = new();
    private readonly StringWriter _log = new();
    private readonly OrderIntakeFunction _function;

    public OrderIntakeTraceTests() =>
        _function = new OrderIntakeFunction(
            new OrderService(new InMemoryOrderStore(_time), new MeteringPublisher(_published), _time),
            new FanoutLogger("orders", _time, _log),
            OrderApiTopology.DefaultSmsAllowedCountryCodes);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _log.Dispose();

    [Fact]
    public async Task HandleAsync_ValidTraceParentHeader_RunsTheOrderInThatTrace()
    {
        var response = await _function.HandleAsync(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithHeader("traceparent", Upstream).Build(), Ct);

        Assert.Equal(202, response.StatusCode);
        var accepted = Assert.Single(LogLines(), l => l.GetProperty("message").GetString() == "Order accepted");
        var hop = TraceContext.Parse(accepted.GetProperty("traceparent").GetString()!);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", hop.TraceId);
        Assert.NotEqual("00f067aa0ba902b7", hop.ParentId);
        var orderId = accepted.GetProperty("orderId").GetString();
        Assert.Equal(response.Headers["Location"], "/orders/" + orderId);
        Assert.Equal(response.Headers[OrderIntakeFunction.CorrelationHeader], accepted.GetProperty("correlationId").GetString());
        var published = TraceContext.Parse(EventParser.ParseEnvelope(Assert.Single(_published.Published).Json).TraceParent!);
        Assert.Equal(hop.TraceId, published.TraceId);
        Assert.NotEqual(hop.ParentId, published.ParentId);
        Assert.All(LogLines(), l => Assert.Equal(hop.Value, l.GetProperty("traceparent").GetString()));
    }

    [Fact]
    public async Task HandleAsync_AnyRequest_EndsWithTheCapacityItConsumed()
    {
        var response = await _function.HandleAsync(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithHeader("traceparent", Upstream).Build(), Ct);

        var line = Assert.Single(MetricLines());
        Assert.Equal("orders", line.GetProperty("Service").GetString());
        Assert.False(line.TryGetProperty("EventType", out _));
        Assert.Equal(2, line.GetProperty(FanoutMetrics.WriteUnits).GetDouble());
        Assert.Equal(0.5, line.GetProperty(FanoutMetrics.ReadUnits).GetDouble());
        Assert.Equal(response.Headers["Location"], "/orders/" + line.GetProperty("orderId").GetString());
        Assert.Equal(response.Headers[OrderIntakeFunction.CorrelationHeader], line.GetProperty("correlationId").GetString());
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", TraceContext.Parse(line.GetProperty("traceparent").GetString()!).TraceId);
    }

    [Fact]
    public async Task InvokeAsync_NoHeaderButAnXRayTrace_UsesTheXRayTraceId()
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).Build(), AwsShimsJsonContext.Default.HttpApiRequest);

        await _function.InvokeAsync(payload, new LambdaInvocation("request-1", TestClock.Start.AddSeconds(10), XRay, null), Ct);

        var accepted = Assert.Single(LogLines(), l => l.GetProperty("message").GetString() == "Order accepted");
        Assert.Equal("5759e988bd862e3fe1be46a994272793", TraceContext.Parse(accepted.GetProperty("traceparent").GetString()!).TraceId);
    }

    [Fact]
    public async Task InvokeAsync_HeaderAndXRay_PrefersTheHeader()
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithHeader("traceparent", Upstream).Build(), AwsShimsJsonContext.Default.HttpApiRequest);

        await _function.InvokeAsync(payload, new LambdaInvocation("request-1", TestClock.Start.AddSeconds(10), XRay, null), Ct);

        var accepted = Assert.Single(LogLines(), l => l.GetProperty("message").GetString() == "Order accepted");
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", TraceContext.Parse(accepted.GetProperty("traceparent").GetString()!).TraceId);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01")]
    [InlineData("garbage")]
    public async Task HandleAsync_NoUsableTraceParent_StartsANewTrace(string? header)
    {
        var request = HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build());
        if (header is not null)
        {
            request.WithHeader("traceparent", header);
        }

        await _function.HandleAsync(request.Build(), Ct);
        await _function.HandleAsync(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).Build(), Ct);

        var traces = LogLines().Where(l => l.GetProperty("message").GetString() == "Order accepted")
            .Select(l => TraceContext.Parse(l.GetProperty("traceparent").GetString()!).TraceId).ToList();
        Assert.Equal(2, traces.Count);
        Assert.NotEqual(traces[0], traces[1]);
        Assert.Equal(header is not null, LogLines().Any(l => l.GetProperty("message").GetString()!.StartsWith("traceparent header ignored", StringComparison.Ordinal)));
    }

    private List<JsonElement> AllLines() =>
        [.. _log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    private List<JsonElement> LogLines() => [.. AllLines().Where(l => !l.TryGetProperty("_aws", out _))];

    private List<JsonElement> MetricLines() => [.. AllLines().Where(l => l.TryGetProperty("_aws", out _))];

    /// <summary>Stands for the DynamoDB calls of a request: reports capacity to the invocation's tally, as the metered
    /// client does.</summary>
    private sealed class MeteringPublisher(IEventPublisher inner) : IEventPublisher
    {
        public Task PublishAsync(OutgoingEvent outgoing, CancellationToken cancellationToken)
        {
            CapacityTally.AddToCurrent(2, 0.5);
            return inner.PublishAsync(outgoing, cancellationToken);
        }
    }
}
