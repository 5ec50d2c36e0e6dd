using Fanout.Contracts.Events;
using Fanout.Functions.Common.Consumers;
using Fanout.Functions.Common.Idempotency;
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
        Assert.Equal(SmsRenderer.Render(CustomerNotice.For(placed.Data)), sent.Text);
        var published = Assert.Single(_harness.Publisher.Published);
        Assert.Equal(EventIds.For(placed.Data.OrderId, SmsService.ServiceName, NotificationKinds.OrderReceived), published.Id);
        var sms = EventParser.Parse(published.Json, EventTypes.SmsSent, ContractsJsonContext.Default.SmsSent).Data;
        Assert.Equal(SmsDelivery.Sent, sms.Delivery);
        Assert.Equal(NotificationKinds.OrderReceived, sms.Notification);
        Assert.Equal("sms-" + placed.Data.OrderId, sms.ProviderMessageId);
    }

    [Fact]
    public async Task HandleAsync_CustomerHasNoPhone_SendsNothingAndPublishesSkipped()
    {
        var placed = new OrderPlacedBuilder().WithPhone(null).BuildParsed();

        await _harness.Sms.HandleAsync(placed, TestContext.Current.CancellationToken);

        Assert.Empty(_harness.SmsSender.Sent);
        var published = Assert.Single(_harness.Publisher.Published);
        Assert.Equal(EventIds.For(placed.Data.OrderId, SmsService.ServiceName, NotificationKinds.OrderReceived), published.Id);
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

        Assert.Equal(IdempotencyStatus.Completed, _harness.Store.Get(placed.Id)!.Status);
    }

    [Fact]
    public void Render_AnyOrder_FitsOneSmsSegment()
    {
        var text = SmsRenderer.Render(Received(OrderPlacedBuilder.DefaultOrderId, 50, 1000));

        Assert.True(text.Length <= 160, $"{text.Length} characters");
        Assert.Contains(OrderPlacedBuilder.DefaultOrderId[..8], text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_CustomerHasPhone_PublishesTheOrderIdAndCorrelationIdOfTheInboundEvent()
    {
        var placed = new OrderPlacedBuilder().WithPhone("+447911123456").BuildParsed();

        await _harness.Sms.HandleAsync(placed, TestContext.Current.CancellationToken);

        var published = Assert.Single(_harness.Publisher.Published);
        var sms = EventParser.Parse(published.Json, EventTypes.SmsSent, ContractsJsonContext.Default.SmsSent);
        Assert.Equal(placed.Data.OrderId, sms.Data.OrderId);
        Assert.Equal(placed.CorrelationId, sms.CorrelationId);
        Assert.Equal(placed.Data.OrderId, Assert.Single(_harness.SmsSender.Sent).OrderId);
    }

    [Fact]
    public async Task HandleAsync_NullEvent_ThrowsArgumentNull()
    {
        var error = await Assert.ThrowsAsync<ArgumentNullException>(() => _harness.Sms.HandleAsync((ParsedEvent<OrderPlaced>)null!, TestContext.Current.CancellationToken));

        Assert.Equal("placed", error.ParamName);
    }

    [Fact]
    public void Constructor_MissingArguments_Throw()
    {
        var effect = new IdempotentEffect(_harness.Store, _harness.Publisher, _harness.Time);

        Assert.Equal("effect", Assert.Throws<ArgumentNullException>(() => new SmsService(null!, _harness.SmsSender, _harness.Time)).ParamName);
        Assert.Equal("sender", Assert.Throws<ArgumentNullException>(() => new SmsService(effect, null!, _harness.Time)).ParamName);
        Assert.Equal("time", Assert.Throws<ArgumentNullException>(() => new SmsService(effect, _harness.SmsSender, null!)).ParamName);
    }

    [Fact]
    public void Render_LongOrderId_KeepsTheFirstEightCharactersAndStatesTheCounts()
    {
        var text = SmsRenderer.Render(Received("0123456789abcdef", 2, 3));

        Assert.Equal("Fanout: we received your order 01234567, 2 line(s), 6 unit(s). We'll text again when it ships.", text);
    }

    [Fact]
    public void Render_OrderIdShorterThanEight_KeepsTheWholeId()
    {
        Assert.Equal("Fanout: we received your order abc, 1 line(s), 1 unit(s). We'll text again when it ships.", SmsRenderer.Render(Received("abc", 1, 1)));
    }

    [Fact]
    public void Render_OrderIdOfExactlyEight_KeepsTheWholeId()
    {
        Assert.StartsWith("Fanout: we received your order abcdefgh,", SmsRenderer.Render(Received("abcdefgh", 1, 1)), StringComparison.Ordinal);
    }

    private static CustomerNotice Received(string orderId, int lines, int unitsPerLine) =>
        new(orderId, new CustomerInfo { Id = "c-1", Email = "a@example.com" }, NotificationKinds.OrderReceived, [.. Enumerable.Range(1, lines).Select(i => new OrderLine { Sku = "SKU-" + i, Quantity = unitsPerLine })]);
}
