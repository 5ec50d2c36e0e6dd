using Fanout.Contracts.Events;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Sqs;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Functions.Common.Sqs;

/// <summary>The adapter every OrderPlaced consumer shares: body → checked event → the service's rule, logged with
/// the fields an operator searches by (orderId, eventId, messageId).</summary>
[Trait("Category", "Unit")]
public sealed class OrderPlacedRecordHandlerTests : IDisposable
{
    private readonly StringWriter _output = new();
    private readonly FanoutLogger _log;
    private readonly OrderPlacedBuilder _order = new OrderPlacedBuilder().WithCorrelationId("corr-42");

    public OrderPlacedRecordHandlerTests() => _log = new FanoutLogger("sms", TestClock.Create(), _output);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _output.Dispose();

    [Fact]
    public async Task HandleAsync_ValidOrderPlaced_RunsTheRuleInTheEventsCorrelationScopeAndLogsTheOutcome()
    {
        ParsedEvent<OrderPlaced>? seen = null;
        string? correlation = null;
        var handler = new OrderPlacedRecordHandler(
            (placed, _) =>
            {
                seen = placed;
                correlation = CorrelationContext.Current;
                return Task.FromResult("SMS handled");
            },
            _log);
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
    public async Task HandleAsync_RulePassedTheInvocationToken_ReceivesIt()
    {
        using var cts = new CancellationTokenSource();
        CancellationToken received = default;
        var handler = new OrderPlacedRecordHandler(
            (_, ct) =>
            {
                received = ct;
                return Task.FromResult("ok");
            },
            _log);

        await handler.HandleAsync(new SqsEventBuilder().WithRecord("m-1", _order.BuildEnvelopeJson()).Build().Records[0], cts.Token);

        Assert.Equal(cts.Token, received);
    }

    [Fact]
    public async Task HandleAsync_BodyNotAnOrderPlacedEvent_IsPoisonAndTheRuleNeverRuns()
    {
        var calls = 0;
        var handler = new OrderPlacedRecordHandler(
            (_, _) =>
            {
                calls++;
                return Task.FromResult("ok");
            },
            _log);

        await Assert.ThrowsAsync<PoisonMessageException>(() => handler.HandleAsync(new SqsEventBuilder().WithRecord("m-1", "{\"not\":\"a CloudEvent\"}").Build().Records[0], Ct));

        Assert.Equal(0, calls);
        Assert.Equal("", _output.ToString());
    }

    [Fact]
    public async Task HandleAsync_RuleThrows_PropagatesWithoutLoggingSuccess()
    {
        var handler = new OrderPlacedRecordHandler((_, _) => throw new TimeoutException("slow"), _log);

        await Assert.ThrowsAsync<TimeoutException>(() => handler.HandleAsync(new SqsEventBuilder().WithRecord("m-1", _order.BuildEnvelopeJson()).Build().Records[0], Ct));

        Assert.Equal("", _output.ToString());
    }

    [Fact]
    public void Constructor_NullArgument_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => new OrderPlacedRecordHandler(null!, _log));
        Assert.Throws<ArgumentNullException>(() => new OrderPlacedRecordHandler((_, _) => Task.FromResult(""), null!));
    }

    [Fact]
    public async Task HandleAsync_NullMessage_Throws()
    {
        var handler = new OrderPlacedRecordHandler((_, _) => Task.FromResult(""), _log);
        await Assert.ThrowsAsync<ArgumentNullException>(() => handler.HandleAsync(null!, Ct));
    }
}
