using System.Diagnostics;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Harness;
using Fanout.IntegrationTests.Support;
using Fanout.Orders.Outbox;

namespace Fanout.IntegrationTests.Outbox;

/// <summary>The outbox's guarantee on the real emulators: an order written is published with no client retry, by the
/// intake inline in the normal case (the relay then publishes nothing) and by the stream relay when the intake died
/// between its write and its publish.</summary>
[Trait("Category", "Integration")]
public sealed class OutboxRelayTests(OutboxFixture fixture) : IClassFixture<OutboxFixture>
{
    [Fact]
    public async Task Relay_IntakeCrashedBetweenWriteAndPublish_OrderCompletesOnceWithoutClientRetry()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("CRASH-1", 10, ct);
        fixture.IntakeCrash.Arm();

        var writtenAt = fixture.Publishes.Clock.Elapsed;
        await Assert.ThrowsAsync<IntakeCrashedException>(() => fanout.InvokeApiAsync(
            Api.Post(Api.OrderJson("crash-1", "+14155550101", ("CRASH-1", 3)), headers: OutboxTestData.Key("crash-key-1")), ct));

        var placed = Assert.Single(fixture.IntakeCrash.CrashedEvents);
        var orderId = OutboxTestData.OrderIdOf(placed);
        Assert.Equal(EventIds.For(orderId, "orders", "PLACED"), placed.Id);
        var published = await Eventually.WaitAsync(() => Task.FromResult(fixture.Publishes.Of(placed.Id)), p => p.Count > 0, TimeSpan.FromSeconds(10), $"the relay to publish {placed.Id}");
        var view = await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, orderId, ct), v => v is { Status: "COMPLETED" }, TimeSpan.FromSeconds(30), $"order {orderId} to complete");

        // Published once, by the relay; the intake published nothing.
        var publish = Assert.Single(fixture.Publishes.Of(placed.Id));
        Assert.Equal(FanoutTopology.OutboxRelay.Name, publish.Function);
        Assert.Equal(1, fixture.IntakeCrash.Crashes);
        // Every service acted once.
        Assert.Equal(1, fixture.SmsCalls.For(orderId));
        Assert.Equal(1, fixture.EmailCalls.For(orderId));
        Assert.Equal(7, await fanout.Stock.GetAsync("CRASH-1", ct));
        Assert.Equal("COMPLETED", view!.Status);
        // The entry was deleted after the publish.
        Assert.Empty(await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, DynamoOutbox.KeyFor(placed.Id)));

        var writeToPublish = published[0].At - writtenAt;
        TestContext.Current.SendDiagnosticMessage($"crash: write -> publish {writeToPublish.TotalMilliseconds:0} ms");
        Assert.True(writeToPublish < TimeSpan.FromSeconds(10), $"published {writeToPublish.TotalMilliseconds:0} ms after the write; the local bound is 10 s");
    }

    [Fact]
    public async Task Relay_EntryLeftInTheOutbox_IsPublishedFromTheStreamAndDeleted()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        // An entry as a writer that died before its publish leaves it; a type no subscription's filter takes, so only
        // the topic sees it.
        var eventId = "probe-" + Guid.NewGuid().ToString("N");
        var entry = new OutboxEntry(new Fanout.Functions.Common.Publishing.OutgoingEvent(eventId, "OutboxProbe", "corr-" + eventId, "{\"id\":\"" + eventId + "\"}"), "probe-order", TimeProvider.System.GetUtcNow());
        var writtenAt = fixture.Publishes.Clock.Elapsed;
        await fanout.Dynamo.PutItemAsync(fanout.Topology.TableFor(FanoutTopology.OrdersTable), DynamoOutbox.ToItem(entry), ct);

        var published = await Eventually.WaitAsync(() => Task.FromResult(fixture.Publishes.Of(eventId)), p => p.Count > 0, TimeSpan.FromSeconds(10), $"the relay to publish {eventId}");
        await Eventually.WaitAsync(() => Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, DynamoOutbox.KeyFor(eventId)), items => items.Count == 0, TimeSpan.FromSeconds(10), "the entry to be deleted");

        var publish = Assert.Single(fixture.Publishes.Of(eventId));
        Assert.Equal(FanoutTopology.OutboxRelay.Name, publish.Function);
        Assert.Equal("OutboxProbe", publish.Type);
        // Not before the intake's inline window has passed (the relay's grace), and well inside the local bound.
        var took = published[0].At - writtenAt;
        TestContext.Current.SendDiagnosticMessage($"relay: write -> publish {took.TotalMilliseconds:0} ms");
        Assert.InRange(took, TimeSpan.FromMilliseconds(OutboxSpec.InlinePublishTimeoutMs), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Relay_NormalOrders_PublishesNothingTheIntakeAlreadyPublished()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("NORMAL-1", 100, ct);
        var relayedBefore = fanout.StreamPoller!.Stats.RecordsDelivered;

        var orderIds = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            orderIds.Add(await Api.PlaceAsync(fanout, Api.OrderJson($"normal-{i}", null, ("NORMAL-1", 1)), ct, idempotencyKey: $"normal-key-{i}"));
        }

        foreach (var id in orderIds)
        {
            await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, id, ct), v => v is { Status: "COMPLETED" }, TimeSpan.FromSeconds(30), $"order {id} to complete");
        }

        // The relay saw every new entry (so "0 publishes" is not "never ran")...
        await Eventually.WaitAsync(() => Task.FromResult(fanout.StreamPoller.Stats.RecordsDelivered - relayedBefore), n => n >= orderIds.Count, TimeSpan.FromSeconds(10), "the relay to receive every new outbox entry");
        await Eventually.WaitAsync(() => Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, OutboxSpec.KeyPrefix), items => items.Count == 0, TimeSpan.FromSeconds(10), "the outbox to be empty");
        // ...and published none of them: each OrderPlaced went out exactly once, from the intake.
        foreach (var id in orderIds)
        {
            var publish = Assert.Single(fixture.Publishes.Of(EventIds.For(id, "orders", "PLACED")));
            Assert.Equal(FanoutTopology.OrderIntake.Name, publish.Function);
        }

        Assert.DoesNotContain(fixture.Publishes.All, p => p.Function == FanoutTopology.OutboxRelay.Name && orderIds.Any(id => EventIds.For(id, "orders", "PLACED") == p.EventId));
    }
}

/// <summary>SNS and SQS frozen (fauxqs stopped with SIGSTOP) for 10 s while 50 orders come in: every POST still answers
/// 202 within 2 s, and every order completes once the emulator resumes, each service acting once.</summary>
[Trait("Category", "Integration")]
public sealed class MessagingPauseTests(OutboxFixture fixture) : IClassFixture<OutboxFixture>
{
    [Fact]
    public async Task Intake_SnsPausedTenSecondsWhileFiftyOrdersArrive_AllAcceptedInTwoSecondsAndCompleteOnce()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("PAUSE-1", 1000, ct);
        var pause = fanout.MessagingPause ?? throw new InvalidOperationException("The SIGSTOP switch needs the embedded emulators.");

        var pausedFor = Stopwatch.StartNew();
        pause.Pause();
        var accepted = new List<(string OrderId, TimeSpan AcceptedAt, TimeSpan Took)>();
        try
        {
            // Five waves of ten at once: all fifty arrive well inside the pause.
            for (var wave = 0; wave < 5; wave++)
            {
                var posts = Enumerable.Range(wave * 10, 10).Select(async i =>
                {
                    var started = fixture.Publishes.Clock.Elapsed;
                    var id = await Api.PlaceAsync(fanout, Api.OrderJson($"pause-{i}", "+14155550102", ("PAUSE-1", 2)), ct, idempotencyKey: $"pause-key-{i}");
                    var done = fixture.Publishes.Clock.Elapsed;
                    return (id, done, done - started);
                });
                accepted.AddRange(await Task.WhenAll(posts));
            }

            Assert.True(pausedFor.Elapsed < TimeSpan.FromSeconds(10), $"the 50 POSTs took {pausedFor.Elapsed.TotalSeconds:0.0} s, longer than the pause");
            // The fault under test is a 10-second outage: hold it for its whole length.
            await Task.Delay(TimeSpan.FromSeconds(10) - pausedFor.Elapsed, ct);
        }
        finally
        {
            pause.Resume();
        }

        Assert.Equal(50, accepted.Count);
        Assert.All(accepted, a => Assert.True(a.Took < TimeSpan.FromSeconds(2), $"POST for {a.OrderId} took {a.Took.TotalMilliseconds:0} ms"));

        foreach (var (id, _, _) in accepted)
        {
            await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, id, ct), v => v is { Status: "COMPLETED" }, TimeSpan.FromSeconds(90), $"order {id} to complete after the resume");
        }

        // An order can complete without a recorded publish: a publish the intake gave up on at its inline timeout was
        // already written to the frozen emulator's socket, which takes it once it resumes (the topic accepted it, the
        // publisher never heard). Its outcomes then prove it delivered, and the relay (whose own publish waited for the
        // resume) owes it nothing more. Every order completing once is the guarantee; no OrderPlaced needs an outbox item.
        Assert.Empty(await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, OutboxSpec.KeyPrefix));

        var delays = new List<TimeSpan>();
        foreach (var (id, acceptedAt, _) in accepted)
        {
            var publishes = fixture.Publishes.Of(EventIds.For(id, "orders", "PLACED"));
            if (publishes.Count > 0)
            {
                delays.Add(publishes.Min(p => p.At) - acceptedAt);
            }

            Assert.Equal(1, fixture.SmsCalls.For(id));
            Assert.Equal(1, fixture.EmailCalls.For(id));
        }

        Assert.Equal(1000 - (50 * 2), await fanout.Stock.GetAsync("PAUSE-1", ct));
        delays.Sort();
        delays.Add(TimeSpan.Zero);
        TestContext.Current.SendDiagnosticMessage(
            $"SNS paused: {delays.Count - 1} recorded publishes, 202 -> publish min {delays[0].TotalMilliseconds:0} ms, p50 {delays[delays.Count / 2].TotalMilliseconds:0} ms, max {delays[^1].TotalMilliseconds:0} ms; " +
            $"POST max {accepted.Max(a => a.Took).TotalMilliseconds:0} ms; " +
            $"recorded publishes per order {accepted.Sum(a => fixture.Publishes.Of(EventIds.For(a.OrderId, "orders", "PLACED")).Count) / (double)accepted.Count:0.00}");
    }
}
