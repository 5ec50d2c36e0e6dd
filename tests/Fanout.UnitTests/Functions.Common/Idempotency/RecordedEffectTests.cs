using System.Collections.Concurrent;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Consumers;
using Fanout.Functions.Common.Idempotency;
using Fanout.Functions.Common.Sqs;
using Fanout.Sms.Core;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Functions.Common.Idempotency;

/// <summary>A sender transactional with its record: one stamped write per event, no lease, duplicates re-publish the
/// same outcome and are marked.</summary>
[Trait("Category", "Unit")]
public sealed class RecordedEffectTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Like <c>RecordedMessages</c>: one conditional write per order and notification, keeping the stamp.</summary>
    private sealed class ConditionalRecordingSender : ISmsSender
    {
        public ConcurrentDictionary<string, (SmsMessage Message, SendStamp Stamp)> Items { get; } = new();

        public int Writes { get; private set; }

        public bool IsTransactionalWithRecord => true;

        public Task<string> SendAsync(string orderId, SmsMessage message, SendStamp? stamp, CancellationToken cancellationToken)
        {
            Writes++;
            var key = orderId + "#" + message.Notification;
            if (Items.TryAdd(key, (message, stamp!)))
            {
                return Task.FromResult("record-" + key);
            }

            var old = Items[key].Stamp;
            return old.EventId == stamp!.EventId && old.PayloadHash != stamp.PayloadHash
                ? throw new PoisonMessageException("other payload")
                : throw new AlreadySentException("record-" + key, old.SentAt, old.CorrelationId);
        }
    }

    private readonly ServiceHarness _harness = new(TestClock.Create());
    private readonly ConditionalRecordingSender _sender = new();

    private SmsService Service() => new(
        new IdempotentEffect(_harness.Store, _harness.Publisher, _harness.Time),
        _sender,
        _harness.Time,
        new RecordedEffect(_harness.Publisher, _harness.Time));

    [Fact]
    public async Task NotifyAsync_DeliveredThreeTimes_OneWriteNoLeaseSameOutcomeAndDuplicatesMarked()
    {
        var sms = Service();
        var placed = new OrderPlacedBuilder().WithPhone("+447911123456").BuildParsed();
        var duplicates = new List<bool>();
        var runs = new List<bool>();

        for (var i = 0; i < 3; i++)
        {
            var record = new RecordContext();
            using (RecordContext.Begin(record))
            {
                runs.Add(await sms.HandleAsync(placed, Ct));
            }

            duplicates.Add(record.IsDuplicate);
            _harness.Time.Advance(TimeSpan.FromSeconds(5));
        }

        Assert.Equal([true, false, false], runs);
        Assert.Equal([false, true, true], duplicates);
        Assert.Equal(NotificationKinds.OrderReceived, Assert.Single(_sender.Items).Value.Message.Notification);
        Assert.Equal(0, _harness.Store.CompleteAttempts);
        Assert.Single(_harness.Publisher.Published.Select(p => p.Json).Distinct());
        Assert.Equal(3, _harness.Publisher.Published.Count);
    }

    [Fact]
    public async Task NotifyAsync_SameEventOtherPayload_IsPoisonAndPublishesNothingMore()
    {
        var sms = Service();
        var builder = new OrderPlacedBuilder().WithPhone("+447911123456");
        var placed = builder.BuildParsed();
        await sms.HandleAsync(placed, Ct);

        var tampered = placed with { PayloadHash = "different" };

        await Assert.ThrowsAsync<PoisonMessageException>(() => sms.HandleAsync(tampered, Ct));
        Assert.Single(_harness.Publisher.Published);
    }

    [Fact]
    public async Task NotifyAsync_NoPhone_NoWriteAndSkippedPublished()
    {
        var sms = Service();

        Assert.True(await sms.HandleAsync(new OrderPlacedBuilder().WithPhone(null).BuildParsed(), Ct));

        Assert.Equal(0, _sender.Writes);
        Assert.Contains("\"SKIPPED\"", Assert.Single(_harness.Publisher.Published).Json, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_TransactionalSenderWithoutRecordedEffect_Throws() =>
        Assert.Equal("recorded", Assert.Throws<ArgumentException>(() => new SmsService(new IdempotentEffect(_harness.Store, _harness.Publisher, _harness.Time), _sender, _harness.Time)).ParamName);
}
