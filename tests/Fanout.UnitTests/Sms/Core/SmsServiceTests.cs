using Fanout.Contracts.Events;
using Fanout.Sms.Core;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Sms.Core;

[Trait("Category", "Unit")]
public sealed class SmsServiceTests
{
    private readonly ServiceHarness _harness = new(TestClock.Create());

    [Fact]
    public async Task HandleAsync_CustomerHasPhone_SendsOneSmsAndPublishesSmsSentWithProviderId()
    {
        var placed = new OrderPlacedBuilder().WithPhone("+447911123456").BuildParsed();

        var ranNow = await _harness.Sms.HandleAsync(placed, TestContext.Current.CancellationToken);

        Assert.True(ranNow);
        var sent = Assert.Single(_harness.SmsSender.Sent);
        Assert.Equal("+447911123456", sent.PhoneNumber);
        Assert.Equal(SmsRenderer.Render(placed.Data.OrderId, 2, 3), sent.Text);
        var published = Assert.Single(_harness.Publisher.Published);
        Assert.Equal(EventIds.For(placed.Data.OrderId, SmsService.ServiceName, SmsDelivery.Sent), published.Id);
        var sms = EventParser.Parse(published.Json, EventTypes.SmsSent, ContractsJsonContext.Default.SmsSent).Data;
        Assert.Equal(SmsDelivery.Sent, sms.Delivery);
        Assert.Equal("sms-" + placed.Data.OrderId, sms.ProviderMessageId);
    }

    [Fact]
    public async Task HandleAsync_CustomerHasNoPhone_SendsNothingAndPublishesSkipped()
    {
        var placed = new OrderPlacedBuilder().WithPhone(null).BuildParsed();

        await _harness.Sms.HandleAsync(placed, TestContext.Current.CancellationToken);

        Assert.Empty(_harness.SmsSender.Sent);
        var published = Assert.Single(_harness.Publisher.Published);
        Assert.Equal(EventIds.For(placed.Data.OrderId, SmsService.ServiceName, SmsDelivery.Skipped), published.Id);
        var sms = EventParser.Parse(published.Json, EventTypes.SmsSent, ContractsJsonContext.Default.SmsSent).Data;
        Assert.Equal(SmsDelivery.Skipped, sms.Delivery);
        Assert.Null(sms.ProviderMessageId);
        Assert.DoesNotContain("providerMessageId", published.Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_RedeliveredThreeTimes_CallsTheProviderOnceAndRepublishesEachTime()
    {
        var placed = new OrderPlacedBuilder().WithPhone("+447911123456").BuildParsed();

        var runs = new List<bool>();
        for (var i = 0; i < 3; i++)
        {
            runs.Add(await _harness.Sms.HandleAsync(placed, TestContext.Current.CancellationToken));
        }

        Assert.Equal([true, false, false], runs);
        Assert.Equal(1, _harness.SmsSender.Calls);
        Assert.Equal(3, _harness.Publisher.Published.Count);
        Assert.Single(_harness.Publisher.Published.Select(p => p.Json).Distinct());
    }

    [Fact]
    public async Task HandleAsync_CompletionFailsOnceThenRedelivered_CallsTheProviderOnce()
    {
        var placed = new OrderPlacedBuilder().WithPhone("+447911123456").BuildParsed();
        _harness.Store.FailNextCompletions(1);

        await _harness.Sms.HandleAsync(placed, TestContext.Current.CancellationToken);
        await _harness.Sms.HandleAsync(placed, TestContext.Current.CancellationToken);

        Assert.Equal(1, _harness.SmsSender.Calls);
    }

    [Fact]
    public async Task HandleAsync_CompletionNeverSucceedsThenRedeliveredAfterTheLease_CallsTheProviderOnce()
    {
        var placed = new OrderPlacedBuilder().WithPhone("+447911123456").BuildParsed();
        _harness.Store.FailNextCompletions(100);

        await _harness.Sms.HandleAsync(placed, TestContext.Current.CancellationToken);
        _harness.Time.Advance(ServiceHarness.Lease + TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<PoisonMessageException>(() => _harness.Sms.HandleAsync(placed, TestContext.Current.CancellationToken));

        Assert.Equal(1, _harness.SmsSender.Calls);
        Assert.Single(_harness.Publisher.Published);
    }

    [Fact]
    public async Task HandleAsync_ProviderRefusesPermanently_IsPoisonAndTheLeaseIsReleased()
    {
        var placed = new OrderPlacedBuilder().WithPhone("+447911123456").BuildParsed();
        _harness.SmsSender.FailWith = new PoisonMessageException("InvalidParameter: PhoneNumber");

        await Assert.ThrowsAsync<PoisonMessageException>(() => _harness.Sms.HandleAsync(placed, TestContext.Current.CancellationToken));

        Assert.Null(_harness.Store.Get(placed.Id));
        Assert.Empty(_harness.Publisher.Published);
    }

    [Fact]
    public async Task HandleAsync_ProviderFailsTransientlyThenRedelivered_SendsOnTheRetry()
    {
        var placed = new OrderPlacedBuilder().WithPhone("+447911123456").BuildParsed();
        _harness.SmsSender.FailWith = new HttpRequestException("throttled");
        await Assert.ThrowsAsync<HttpRequestException>(() => _harness.Sms.HandleAsync(placed, TestContext.Current.CancellationToken));
        _harness.SmsSender.FailWith = null;

        Assert.True(await _harness.Sms.HandleAsync(placed, TestContext.Current.CancellationToken));

        Assert.Equal(2, _harness.SmsSender.Calls);
        Assert.Single(_harness.SmsSender.Sent);
    }

    [Fact]
    public async Task HandleAsync_NoPhone_NeverMarksASend()
    {
        var placed = new OrderPlacedBuilder().WithPhone(null).BuildParsed();
        _harness.Store.FailNextMarkSending(1);

        Assert.True(await _harness.Sms.HandleAsync(placed, TestContext.Current.CancellationToken));

        Assert.Equal(Fanout.Functions.Common.Idempotency.IdempotencyStatus.Completed, _harness.Store.Get(placed.Id)!.Status);
    }

    [Fact]
    public void Render_AnyOrder_FitsOneSmsSegment()
    {
        var text = SmsRenderer.Render(OrderPlacedBuilder.DefaultOrderId, 50, 50_000);

        Assert.True(text.Length <= 160, $"{text.Length} characters");
        Assert.Contains(OrderPlacedBuilder.DefaultOrderId[..8], text, StringComparison.Ordinal);
    }
}
