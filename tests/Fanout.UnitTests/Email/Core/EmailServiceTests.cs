using Fanout.Contracts.Events;
using Fanout.Email.Core;
using Fanout.Functions.Common.Consumers;
using Fanout.Functions.Common.Idempotency;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Email.Core;

[Trait("Category", "Unit")]
public sealed class EmailServiceTests
{
    private readonly ServiceHarness _harness = new(TestClock.Create());

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HandleAsync_NewOrder_SendsTheRenderedConfirmationAndPublishesEmailSent()
    {
        var placed = new OrderPlacedBuilder().WithEmail("ada@example.com").BuildParsed();

        Assert.True(await _harness.Email.HandleAsync(placed, Ct));

        var sent = Assert.Single(_harness.EmailSender.Sent);
        Assert.Equal(placed.Data.OrderId, sent.OrderId);
        Assert.Equal(EmailRenderer.Render(CustomerNotice.For(placed.Data)), sent.Message);
        var published = Assert.Single(_harness.Publisher.Published);
        Assert.Equal(EventIds.For(placed.Data.OrderId, EmailService.ServiceName, NotificationKinds.OrderReceived), published.Id);
        var email = EventParser.Parse(published.Json, EventTypes.EmailSent, ContractsJsonContext.Default.EmailSent);
        Assert.Equal("email-" + placed.Data.OrderId, email.Data.ProviderMessageId);
        Assert.Equal(NotificationKinds.OrderReceived, email.Data.Notification);
        Assert.Equal(placed.CorrelationId, email.CorrelationId);
        Assert.Equal(IdempotencyStatus.Completed, _harness.Store.Get(placed.Id)!.Status);
    }

    [Fact]
    public async Task HandleAsync_RedeliveredThreeTimes_CallsTheProviderOnce()
    {
        var placed = new OrderPlacedBuilder().BuildParsed();

        for (var i = 0; i < 3; i++)
        {
            await _harness.Email.HandleAsync(placed, Ct);
        }

        Assert.Equal(1, _harness.EmailSender.Calls);
        Assert.Equal(3, _harness.Publisher.Published.Count);
    }

    [Fact]
    public async Task HandleAsync_FirstCompletionFailsThenRedelivered_CallsTheProviderOnce()
    {
        var placed = new OrderPlacedBuilder().BuildParsed();
        _harness.Store.FailNextCompletions(1);

        await _harness.Email.HandleAsync(placed, Ct);
        await _harness.Email.HandleAsync(placed, Ct);

        Assert.Equal(1, _harness.EmailSender.Calls);
    }

    [Fact]
    public async Task HandleAsync_CompletionNeverSucceedsThenRedeliveredAfterTheLease_CallsTheProviderOnce()
    {
        var placed = new OrderPlacedBuilder().BuildParsed();
        _harness.Store.FailNextCompletions(100);

        await _harness.Email.HandleAsync(placed, Ct);
        _harness.Time.Advance(ServiceHarness.Lease + TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<PoisonMessageException>(() => _harness.Email.HandleAsync(placed, Ct));

        Assert.Equal(1, _harness.EmailSender.Calls);
    }

    [Fact]
    public async Task HandleAsync_ProviderRefusesPermanently_IsPoisonReleasedAndNothingPublished()
    {
        var placed = new OrderPlacedBuilder().BuildParsed();
        _harness.EmailSender.FailWith = new PoisonMessageException("MessageRejected: address blacklisted");

        var error = await Assert.ThrowsAsync<PoisonMessageException>(() => _harness.Email.HandleAsync(placed, Ct));

        Assert.Equal("MessageRejected: address blacklisted", error.Message);
        Assert.Null(_harness.Store.Get(placed.Id));
        Assert.Empty(_harness.Publisher.Published);
    }

    [Fact]
    public void Render_Order_ListsEveryLineAndAddressesTheCustomer()
    {
        var order = new OrderPlacedBuilder().WithEmail("ada@example.com").WithItems(("MUG-01", 2), ("TSHIRT-RED-M", 1)).Build();

        var message = EmailRenderer.Render(CustomerNotice.For(order));

        Assert.Equal("ada@example.com", message.To);
        Assert.Equal($"Order {order.OrderId} received", message.Subject);
        Assert.Equal($"Thank you for your order {order.OrderId}.\n\nYou ordered:\n  2 x MUG-01\n  1 x TSHIRT-RED-M\n\nWe will let you know when it ships.\n", message.Text);
        Assert.Equal(NotificationKinds.OrderReceived, message.Notification);
    }

    [Fact]
    public void Render_NullOrder_ThrowsArgumentNull()
    {
        Assert.Equal("notice", Assert.Throws<ArgumentNullException>(() => EmailRenderer.Render(null!)).ParamName);
    }

    [Fact]
    public async Task HandleAsync_NewOrder_PublishesTheOrderIdOfTheInboundEvent()
    {
        var placed = new OrderPlacedBuilder().BuildParsed();

        await _harness.Email.HandleAsync(placed, Ct);

        var published = Assert.Single(_harness.Publisher.Published);
        var email = EventParser.Parse(published.Json, EventTypes.EmailSent, ContractsJsonContext.Default.EmailSent);
        Assert.Equal(placed.Data.OrderId, email.Data.OrderId);
        Assert.Equal(placed.CorrelationId, published.CorrelationId);
    }

    [Fact]
    public async Task HandleAsync_NullEvent_ThrowsArgumentNull()
    {
        var error = await Assert.ThrowsAsync<ArgumentNullException>(() => _harness.Email.HandleAsync((ParsedEvent<OrderPlaced>)null!, Ct));

        Assert.Equal("placed", error.ParamName);
    }

    [Fact]
    public void Constructor_MissingArguments_Throw()
    {
        var effect = new IdempotentEffect(_harness.Store, _harness.Publisher, _harness.Time);

        Assert.Equal("effect", Assert.Throws<ArgumentNullException>(() => new EmailService(null!, _harness.EmailSender, _harness.Time)).ParamName);
        Assert.Equal("sender", Assert.Throws<ArgumentNullException>(() => new EmailService(effect, null!, _harness.Time)).ParamName);
        Assert.Equal("time", Assert.Throws<ArgumentNullException>(() => new EmailService(effect, _harness.EmailSender, null!)).ParamName);
    }
}
