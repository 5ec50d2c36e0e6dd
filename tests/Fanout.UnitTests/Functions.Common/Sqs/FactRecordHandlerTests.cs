using Fanout.Contracts.Events;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Sqs;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Functions.Common.Sqs;

/// <summary>The adapter every consumer shares: body → checked event of a subscribed type → that type's rule, logged
/// with the fields an operator searches by (orderId, eventId, messageId).</summary>
[Trait("Category", "Unit")]
public sealed class FactRecordHandlerTests : IDisposable
{
    private readonly StringWriter _output = new();
    private readonly FanoutLogger _log;
    private readonly OrderPlacedBuilder _order = new OrderPlacedBuilder().WithCorrelationId("corr-42");

    public FactRecordHandlerTests() => _log = new FanoutLogger("sms", TestClock.Create(), _output);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _output.Dispose();

    private FactRecordHandler OnPlaced(Func<ParsedEvent<OrderPlaced>, CancellationToken, Task<string>> rule) =>
        new FactRecordHandler(_log).On(EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced, d => d.OrderId, rule);

    [Fact]
    public async Task HandleAsync_ValidOrderPlaced_RunsTheRuleInTheEventsCorrelationScopeAndLogsTheOutcome()
    {
        ParsedEvent<OrderPlaced>? seen = null;
        string? correlation = null;
        var handler = OnPlaced((placed, _) =>
        {
            seen = placed;
            correlation = CorrelationContext.Current;
            return Task.FromResult("SMS handled");
        });
        var message = new SqsEventBuilder().WithRecord("m-7", _order.BuildEnvelopeJson()).Build().Records[0];

        await handler.HandleAsync(message, Ct);

        Assert.NotNull(seen);
        Assert.Equal(_order.EventId, seen.Id);
        Assert.Equal(_order.OrderId, seen.Data.OrderId);
        Assert.Equal("corr-42", correlation);
        Assert.Null(CorrelationContext.Current);
        Assert.Equal(
            "{\"timestamp\":\"2026-03-14T09:26:53+00:00\",\"level\":\"Information\",\"service\":\"sms\",\"message\":\"OrderPlaced handled\"," +
            $"\"correlationId\":\"corr-42\",\"orderId\":\"{_order.OrderId}\",\"eventId\":\"{_order.EventId}\",\"outcome\":\"SMS handled\",\"messageId\":\"m-7\"}}",
            _output.ToString().Trim());
    }

    [Fact]
    public async Task HandleAsync_TwoTypesRegistered_RoutesEachFactToItsOwnRule()
    {
        var calls = new List<string>();
        var handler = OnPlaced((p, _) =>
            {
                calls.Add("placed " + p.Id);
                return Task.FromResult("p");
            })
            .On(EventTypes.OrderCancelled, ContractsJsonContext.Default.OrderCancelled, d => d.OrderId, (c, _) =>
            {
                calls.Add("cancelled " + c.Id + " by " + c.Data.CancelledBy);
                return Task.FromResult("c");
            });

        await handler.HandleAsync(new SqsEventBuilder().WithRecord("m-2", _order.BuildCancelledJson(CancellationRequesters.Operator)).Build().Records[0], Ct);
        await handler.HandleAsync(new SqsEventBuilder().WithRecord("m-1", _order.BuildEnvelopeJson()).Build().Records[0], Ct);

        Assert.Equal(["cancelled " + EventIds.For(_order.OrderId, "orders", "CANCELLED") + " by operator", "placed " + _order.EventId], calls);
        Assert.Equal([EventTypes.OrderPlaced, EventTypes.OrderCancelled], handler.Types);
        Assert.Contains("\"message\":\"OrderCancelled handled\"", _output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_WellFormedEventOfAnUnregisteredType_IsPoisonNamingTheTypes()
    {
        var calls = 0;
        var handler = OnPlaced((_, _) =>
        {
            calls++;
            return Task.FromResult("ok");
        });

        var error = await Assert.ThrowsAsync<PoisonMessageException>(() => handler.HandleAsync(new SqsEventBuilder().WithRecord("m-1", _order.BuildRejectedJson()).Build().Records[0], Ct));

        Assert.Equal("expected one of OrderPlaced, got \"InventoryRejected\"", error.Message);
        Assert.Equal(0, calls);
        Assert.Equal("", _output.ToString());
    }

    [Fact]
    public async Task HandleAsync_RegisteredTypeBreakingItsSchema_IsPoisonAndTheRuleNeverRuns()
    {
        var calls = 0;
        var handler = new FactRecordHandler(_log).On(EventTypes.OrderCancelled, ContractsJsonContext.Default.OrderCancelled, d => d.OrderId, (_, _) =>
        {
            calls++;
            return Task.FromResult("ok");
        });
        var body = CloudEventBuilder.OrderCancelled().WithRaw("data.cancelledBy", "\"robot\"").Build();

        var error = await Assert.ThrowsAsync<PoisonMessageException>(() => handler.HandleAsync(new SqsEventBuilder().WithRecord("m-1", body).Build().Records[0], Ct));

        Assert.Contains("data.cancelledBy must be customer or operator", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task HandleAsync_RulePassedTheInvocationToken_ReceivesIt()
    {
        using var cts = new CancellationTokenSource();
        CancellationToken received = default;
        var handler = OnPlaced((_, ct) =>
        {
            received = ct;
            return Task.FromResult("ok");
        });

        await handler.HandleAsync(new SqsEventBuilder().WithRecord("m-1", _order.BuildEnvelopeJson()).Build().Records[0], cts.Token);

        Assert.Equal(cts.Token, received);
    }

    [Fact]
    public async Task HandleAsync_BodyNotACloudEvent_IsPoisonAndTheRuleNeverRuns()
    {
        var calls = 0;
        var handler = OnPlaced((_, _) =>
        {
            calls++;
            return Task.FromResult("ok");
        });

        await Assert.ThrowsAsync<PoisonMessageException>(() => handler.HandleAsync(new SqsEventBuilder().WithRecord("m-1", "{\"not\":\"a CloudEvent\"}").Build().Records[0], Ct));

        Assert.Equal(0, calls);
        Assert.Equal("", _output.ToString());
    }

    [Fact]
    public async Task HandleAsync_RuleThrows_PropagatesWithoutLoggingSuccess()
    {
        var handler = OnPlaced((_, _) => throw new TimeoutException("slow"));

        await Assert.ThrowsAsync<TimeoutException>(() => handler.HandleAsync(new SqsEventBuilder().WithRecord("m-1", _order.BuildEnvelopeJson()).Build().Records[0], Ct));

        Assert.Equal("", _output.ToString());
    }

    [Fact]
    public void On_TypeRegisteredTwice_Throws()
    {
        var handler = OnPlaced((_, _) => Task.FromResult(""));

        Assert.Throws<ArgumentException>(() => handler.On(EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced, d => d.OrderId, (_, _) => Task.FromResult("")));
    }

    [Fact]
    public void Constructor_NullArgument_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => new FactRecordHandler(null!));
        Assert.Throws<ArgumentNullException>(() => new FactRecordHandler(_log).On<OrderPlaced>(EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced, d => d.OrderId, null!));
    }

    [Fact]
    public async Task HandleAsync_NullMessage_Throws()
    {
        var handler = OnPlaced((_, _) => Task.FromResult(""));
        await Assert.ThrowsAsync<ArgumentNullException>(() => handler.HandleAsync(null!, Ct));
    }
}
