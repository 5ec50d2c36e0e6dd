using System.Net;
using Fanout.AwsShims.Runtime;
using Fanout.AwsShims.Signing;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Idempotency;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Publishing;
using Fanout.Functions.Common.Runtime;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.Retry;
using Polly.Testing;
using Polly.Timeout;

namespace Fanout.UnitTests.Functions.Common.Idempotency;

/// <summary>The idempotency state machine, driven through the real <see cref="IdempotentEffect"/> on the in-memory
/// store, counting provider calls (the only number a duplicate SMS or e-mail shows in).</summary>
[Trait("Category", "Unit")]
public sealed class IdempotentEffectTests : IDisposable
{
    private static readonly DateTimeOffset Deadline = TestClock.Start.AddSeconds(30);
    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly InMemoryIdempotencyStore _store;
    private readonly RecordingEventPublisher _publisher = new();
    private readonly StringWriter _log = new();
    private readonly IdempotentEffect _effect;
    private readonly ParsedEvent<OrderPlaced> _placed = new OrderPlacedBuilder().BuildParsed();
    private int _providerCalls;

    public IdempotentEffectTests()
    {
        _store = new InMemoryIdempotencyStore(_time);
        _effect = new IdempotentEffect(_store, _publisher, _time, ServiceHarness.ImmediateRetries(2), new FanoutLogger("test", _time, _log));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string EventId => _placed.Id;

    public void Dispose() => _log.Dispose();

    [Fact]
    public async Task RunAsync_FirstDelivery_SendsOnceCompletesWithTheOutcomeAndPublishesIt()
    {
        var ranNow = await Run(SendingEffect());

        Assert.True(ranNow);
        Assert.Equal(1, _providerCalls);
        var record = _store.Get(EventId)!;
        Assert.Equal(IdempotencyStatus.Completed, record.Status);
        Assert.Equal(Outcome.Json, record.Result);
        Assert.Null(record.LeaseExpiresAt);
        Assert.Equal(_placed.Data.OrderId, _store.OrderIdOf(EventId));
        Assert.Equal([Outcome], _publisher.Published);
    }

    [Fact]
    public async Task RunAsync_Redelivered_RepublishesTheStoredOutcomeWithoutSending()
    {
        await Run(SendingEffect());

        var ranNow = await Run(SendingEffect());

        Assert.False(ranNow);
        Assert.Equal(1, _providerCalls);
        Assert.Equal(2, _publisher.Published.Count);
        Assert.Equal(Outcome.Json, _publisher.Published[1].Json);
        Assert.Equal(Outcome.Id, _publisher.Published[1].Id);
    }

    [Fact]
    public async Task RunAsync_FirstCompletionFails_RetriesItAndARedeliverySendsNothing()
    {
        _store.FailNextCompletions(1);

        Assert.True(await Run(SendingEffect()));
        Assert.False(await Run(SendingEffect()));

        Assert.Equal(1, _providerCalls);
        Assert.Equal(2, _store.CompleteAttempts);
        Assert.Equal(IdempotencyStatus.Completed, _store.Get(EventId)!.Status);
    }

    [Fact]
    public async Task RunAsync_CompletionFailsBeyondItsRetries_KeepsTheSendingMarkerAndStillPublishes()
    {
        _store.FailNextCompletions(3);

        var ranNow = await Run(SendingEffect());

        Assert.True(ranNow);
        Assert.Equal(3, _store.CompleteAttempts);
        Assert.Equal(0, _store.Releases);
        var record = _store.Get(EventId)!;
        Assert.Equal(IdempotencyStatus.Sending, record.Status);
        Assert.Equal(Deadline, record.LeaseExpiresAt);
        Assert.Equal([Outcome], _publisher.Published);
        var line = Assert.Single(LogLines());
        Assert.Equal("Error", line.GetProperty("level").GetString());
        Assert.Contains("stays SENDING", line.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(EventId, line.GetProperty("eventId").GetString());
        Assert.Equal("injected: the table did not answer", line.GetProperty("error").GetString());
    }

    [Fact]
    public async Task RunAsync_RedeliveredAfterAnUnconfirmedSend_NeverSendsAgain()
    {
        _store.FailNextCompletions(3);
        await Run(SendingEffect());

        // Before the first holder's deadline: held elsewhere, retried later.
        await Assert.ThrowsAsync<EventInProgressException>(() => Run(SendingEffect()));
        _time.SetUtcNow(Deadline.AddMilliseconds(1));
        // After it: the send may have happened, so poison rather than a second SMS.
        var poison = await Assert.ThrowsAsync<PoisonMessageException>(() => Run(SendingEffect()));

        Assert.Equal(1, _providerCalls);
        Assert.Equal(
            $"Event {EventId}: an earlier attempt may have sent its message but never confirmed it; not sending again. " +
            "Check the provider's log; to send anyway, delete the EVENT# record and redrive.",
            poison.Message);
        Assert.Equal(IdempotencyStatus.Sending, _store.Get(EventId)!.Status);
    }

    [Fact]
    public async Task RunAsync_EffectThrowsBeforeAnySend_ReleasesTheLeaseSoTheRetrySends()
    {
        var failure = new InvalidOperationException("rendering failed");

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => Run((_, _) => throw failure));

        Assert.Same(failure, thrown);
        Assert.Null(_store.Get(EventId));
        Assert.Equal(1, _store.Releases);
        Assert.Empty(_publisher.Published);

        Assert.True(await Run(SendingEffect()));
        Assert.Equal(1, _providerCalls);
    }

    [Fact]
    public async Task RunAsync_ProviderRefusesPermanently_ReleasesAndPropagatesThePoison()
    {
        var refused = new PoisonMessageException("InvalidParameter: the phone number is not valid");

        var thrown = await Assert.ThrowsAsync<PoisonMessageException>(() => Run(SendingEffect(refuseWith: refused)));

        Assert.Same(refused, thrown);
        Assert.Null(_store.Get(EventId));
        Assert.Equal(1, _store.Releases);
        Assert.Equal(0, _store.CompleteAttempts);
        Assert.Empty(_publisher.Published);
    }

    [Fact]
    public async Task RunAsync_ProviderFailsTransiently_ReleasesSoTheRetryCanSend()
    {
        await Assert.ThrowsAsync<HttpRequestException>(() => Run(SendingEffect(refuseWith: new HttpRequestException("503"))));

        Assert.True(await Run(SendingEffect()));
        Assert.Equal(2, _providerCalls);
        Assert.Equal(IdempotencyStatus.Completed, _store.Get(EventId)!.Status);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RunAsync_ProviderCallEndsWithoutAnAnswer_KeepsTheSendingMarker(bool timeout)
    {
        Exception unanswered = timeout ? new TimeoutException("no answer") : new TaskCanceledException("cancelled mid-request");

        var thrown = await Assert.ThrowsAnyAsync<Exception>(() => Run(SendingEffect(refuseWith: unanswered)));

        Assert.Same(unanswered, thrown);
        Assert.Equal(0, _store.Releases);
        Assert.Equal(IdempotencyStatus.Sending, _store.Get(EventId)!.Status);
        _time.SetUtcNow(Deadline.AddMilliseconds(1));
        await Assert.ThrowsAsync<PoisonMessageException>(() => Run(SendingEffect()));
        Assert.Equal(1, _providerCalls);
    }

    [Fact]
    public async Task RunAsync_SignedCallMayHaveReachedAws_KeepsTheSendingMarkerAndNeverSendsAgain()
    {
        var unanswered = new AwsTransportException("ses", mayHaveReachedService: true, new IOException("connection reset"));

        await Assert.ThrowsAsync<AwsTransportException>(() => Run(SendingEffect(refuseWith: unanswered)));

        Assert.Equal(0, _store.Releases);
        Assert.Equal(IdempotencyStatus.Sending, _store.Get(EventId)!.Status);
        _time.SetUtcNow(Deadline.AddMilliseconds(1));
        await Assert.ThrowsAsync<PoisonMessageException>(() => Run(SendingEffect()));
        Assert.Equal(1, _providerCalls);
    }

    [Fact]
    public async Task RunAsync_SignedCallNeverLeftThisMachine_ReleasesSoTheRetrySends()
    {
        var refused = new AwsTransportException("ses", mayHaveReachedService: false, new HttpRequestException("connection refused"));

        await Assert.ThrowsAsync<AwsTransportException>(() => Run(SendingEffect(refuseWith: refused)));

        Assert.Equal(1, _store.Releases);
        Assert.True(await Run(SendingEffect()));
        Assert.Equal(2, _providerCalls);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError, true)]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    [InlineData(HttpStatusCode.BadRequest, false)]
    [InlineData(HttpStatusCode.TooManyRequests, false)]
    public void MayHaveReachedProvider_AwsAnswer_OnlyA5xxMayHaveBeenProcessed(HttpStatusCode status, bool expected) =>
        Assert.Equal(expected, SendGate.MayHaveReachedProvider(new AwsServiceException("ses", "Code", "message", status)));

    [Fact]
    public void MayHaveReachedProvider_OrdinaryError_IsFalse() =>
        Assert.False(SendGate.MayHaveReachedProvider(new InvalidOperationException("bug before sending")));

    [Fact]
    public async Task RunAsync_EffectThrowsAfterTheProviderAccepted_KeepsTheLease()
    {
        await Assert.ThrowsAsync<FormatException>(() => Run(async (gate, ct) =>
        {
            await gate.SendAsync(_ => Task.FromResult(Interlocked.Increment(ref _providerCalls)), ct);
            throw new FormatException("outcome could not be built");
        }));

        Assert.Equal(0, _store.Releases);
        Assert.Equal(IdempotencyStatus.Sending, _store.Get(EventId)!.Status);
    }

    [Fact]
    public async Task RunAsync_MarkingSendingFails_DoesNotCallTheProviderAndReleases()
    {
        _store.FailNextMarkSending(1);

        await Assert.ThrowsAsync<TimeoutException>(() => Run(SendingEffect()));

        Assert.Equal(0, _providerCalls);
        Assert.Null(_store.Get(EventId));
    }

    [Fact]
    public async Task RunAsync_ReleaseFails_ReportsTheEffectsOwnError()
    {
        _store.FailNextReleases(1);

        await Assert.ThrowsAsync<ArithmeticException>(() => Run((_, _) => throw new ArithmeticException("effect")));

        Assert.Equal(IdempotencyStatus.InProgress, _store.Get(EventId)!.Status);
        var line = Assert.Single(LogLines());
        Assert.Equal("Warning", line.GetProperty("level").GetString());
        Assert.StartsWith("Could not release the idempotency lease", line.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(EventId, line.GetProperty("eventId").GetString());
        Assert.Equal("injected: the table did not answer", line.GetProperty("error").GetString());
    }

    [Fact]
    public async Task RunAsync_EffectWithoutASend_CompletesWithoutTheSendingStep()
    {
        Assert.True(await Run((_, _) => Task.FromResult(Outcome)));

        Assert.Equal(IdempotencyStatus.Completed, _store.Get(EventId)!.Status);
        Assert.Equal([Outcome], _publisher.Published);
    }

    [Fact]
    public async Task RunAsync_HeldByALiveLease_ThrowsInProgressWithoutRunningTheEffect()
    {
        await _store.TryClaimAsync(EventId, "o", _placed.PayloadHash, Deadline, Ct);

        var error = await Assert.ThrowsAsync<EventInProgressException>(() => Run(SendingEffect()));

        Assert.Equal($"Event {EventId} is being handled by another invocation.", error.Message);
        Assert.Equal(0, _providerCalls);
    }

    [Fact]
    public async Task RunAsync_CrashedHoldersLeaseExpired_TakesOverAndSends()
    {
        await _store.TryClaimAsync(EventId, "o", _placed.PayloadHash, TestClock.Start.AddSeconds(-1), Ct);

        Assert.True(await Run(SendingEffect()));

        Assert.Equal(1, _providerCalls);
    }

    [Fact]
    public async Task RunAsync_SameIdDifferentPayload_IsPoison()
    {
        await _store.TryClaimAsync(EventId, "o", "another-hash", Deadline, Ct);

        var error = await Assert.ThrowsAsync<PoisonMessageException>(() => Run(SendingEffect()));

        Assert.Equal($"Event {EventId} was seen before with a different payload.", error.Message);
        Assert.Equal(0, _providerCalls);
    }

    [Fact]
    public async Task RunAsync_OutsideAnInvocationWithoutALeaseSource_Throws()
    {
        var effect = new IdempotentEffect(_store, _publisher, _time);

        await Assert.ThrowsAsync<InvalidOperationException>(() => effect.RunAsync(_placed, _placed.Data.OrderId, (_, _) => Task.FromResult(Outcome), Ct));

        Assert.Null(_store.Get(EventId));
    }

    [Fact]
    public async Task RunAsync_NoLeaseSourceGiven_LeaseEndsAtTheInvocationDeadline()
    {
        var deadline = TestClock.Start.AddSeconds(7);
        var effect = new IdempotentEffect(_store, _publisher, _time, ServiceHarness.ImmediateRetries(0));
        _store.FailNextCompletions(1);

        using (InvocationContext.Begin(new LambdaInvocation("req-1", deadline, null, null)))
        {
            await effect.RunAsync(_placed, _placed.Data.OrderId, (_, _) => Task.FromResult(Outcome), Ct);
        }

        Assert.Equal(deadline, _store.Get(EventId)!.LeaseExpiresAt);
    }

    [Fact]
    public void DefaultCompletionRetry_Built_IsFourJitteredExponentialRetriesFrom200MsInsideFiveSeconds()
    {
        var strategies = IdempotentEffect.DefaultCompletionRetry(_time).GetPipelineDescriptor().Strategies;

        Assert.Equal(2, strategies.Count);
        var timeout = Assert.IsType<TimeoutStrategyOptions>(strategies[0].Options);
        Assert.Equal(TimeSpan.FromSeconds(5), timeout.Timeout);
        var retry = Assert.IsType<RetryStrategyOptions>(strategies[1].Options);
        Assert.Equal(4, retry.MaxRetryAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(200), retry.Delay);
        Assert.Equal(DelayBackoffType.Exponential, retry.BackoffType);
        Assert.True(retry.UseJitter);
    }

    [Fact]
    public async Task DefaultCompletionRetry_ShouldHandle_RetriesAnyFailureButALostLease()
    {
        var retry = Assert.IsType<RetryStrategyOptions>(IdempotentEffect.DefaultCompletionRetry(_time).GetPipelineDescriptor().Strategies[1].Options);
        var context = ResilienceContextPool.Shared.Get(Ct);

        Assert.True(await retry.ShouldHandle(new RetryPredicateArguments<object>(context, Polly.Outcome.FromException<object>(new TimeoutException("throttled")), 0)));
        Assert.False(await retry.ShouldHandle(new RetryPredicateArguments<object>(context, Polly.Outcome.FromException<object>(new LeaseLostException("taken")), 0)));
        ResilienceContextPool.Shared.Return(context);
    }

    [Fact]
    public async Task RunAsync_DefaultRetryAndTheLeaseIsLostAtCompletion_TriesOnceAndStillPublishes()
    {
        var effect = new IdempotentEffect(_store, _publisher, _time, log: new FanoutLogger("test", _time, _log), leaseUntil: () => Deadline);
        _store.CompletionOverride = _ => Task.FromException(new LeaseLostException("taken over"));

        // No fake time passes: a retried lost lease would wait for a delay that never comes.
        var ranNow = await effect.RunAsync(_placed, _placed.Data.OrderId, SendingEffect(), Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.True(ranNow);
        Assert.Equal(1, _store.CompleteAttempts);
        Assert.Equal([Outcome], _publisher.Published);
        Assert.Equal("taken over", Assert.Single(LogLines()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task RunAsync_DefaultRetryAndCompletionNeverAnswers_GivesUpAfterFiveSecondsOnTheInjectedClock()
    {
        var effect = new IdempotentEffect(_store, _publisher, _time, log: new FanoutLogger("test", _time, _log), leaseUntil: () => Deadline);
        _store.CompletionOverride = ct => Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, ct);

        var run = effect.RunAsync(_placed, _placed.Data.OrderId, SendingEffect(), Ct);
        _time.Advance(TimeSpan.FromMilliseconds(4999));
        Assert.False(run.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        // The injected clock fired the timeout; on the system clock this would take five real seconds.
        Assert.True(await run.WaitAsync(TimeSpan.FromSeconds(3), Ct));
        Assert.Equal(1, _store.CompleteAttempts);
        Assert.Equal([Outcome], _publisher.Published);
        Assert.Equal(nameof(TimeoutRejectedException), Assert.Single(LogLines()).GetProperty("errorType").GetString());
    }

    [Fact]
    public async Task RunAsync_CompletedRecordWithoutAnOutcome_ThrowsRatherThanPublishingNothing()
    {
        var claim = await _store.TryClaimAsync(EventId, "o", _placed.PayloadHash, Deadline, Ct);
        await _store.CompleteAsync(EventId, claim.LeaseToken!, "", Ct);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Run(SendingEffect()));

        Assert.Equal("A completed idempotency record has no recorded outcome.", error.Message);
        Assert.Empty(_publisher.Published);
    }

    [Fact]
    public void Constructor_NullArgument_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => new IdempotentEffect(null!, _publisher, _time));
        Assert.Throws<ArgumentNullException>(() => new IdempotentEffect(_store, null!, _time));
        Assert.Throws<ArgumentNullException>(() => new IdempotentEffect(_store, _publisher, null!));
    }

    [Fact]
    public async Task RunAsync_NullArgument_ThrowsBeforeClaiming()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => _effect.RunAsync<OrderPlaced>(null!, "o", SendingEffect(), Ct));
        await Assert.ThrowsAsync<ArgumentNullException>(() => _effect.RunAsync(_placed, "o", null!, Ct));

        Assert.Null(_store.Get(EventId));
    }

    [Fact]
    public async Task SendAsync_NullSend_ThrowsBeforeMarkingSending()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => Run(async (gate, ct) =>
        {
            await gate.SendAsync<string>(null!, ct);
            return Outcome;
        }));

        Assert.Null(_store.Get(EventId));
        Assert.Equal(1, _store.Releases);
    }

    // A real outcome envelope: a redelivery re-reads it with the consumers' strict parser.
    private static OutgoingEvent Outcome { get; } = OutgoingEvents.Create(
        EventIds.For("3f2c8a4e-0d5b-4c1a-9e7f-6b2d1a0c9e8f", "sms", SmsDelivery.Sent),
        EventSources.Sms,
        EventTypes.SmsSent,
        "3f2c8a4e-0d5b-4c1a-9e7f-6b2d1a0c9e8f",
        "corr-1",
        TestClock.Start,
        new SmsSent { OrderId = "3f2c8a4e-0d5b-4c1a-9e7f-6b2d1a0c9e8f", Delivery = SmsDelivery.Sent, ProviderMessageId = "msg-1" },
        ContractsJsonContext.Default.CloudEventSmsSent);

    private List<System.Text.Json.JsonElement> LogLines() =>
        [.. _log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)];

    private async Task<bool> Run(Func<SendGate, CancellationToken, Task<OutgoingEvent>> effect)
    {
        using var invocation = InvocationContext.Begin(new LambdaInvocation("req", Deadline, null, null));
        return await _effect.RunAsync(_placed, _placed.Data.OrderId, effect, Ct);
    }

    private Func<SendGate, CancellationToken, Task<OutgoingEvent>> SendingEffect(Exception? refuseWith = null) =>
        async (gate, ct) =>
        {
            await gate.SendAsync(
                _ =>
                {
                    Interlocked.Increment(ref _providerCalls);
                    return refuseWith is null ? Task.FromResult("provider-id") : Task.FromException<string>(refuseWith);
                },
                ct);
            return Outcome;
        };
}
