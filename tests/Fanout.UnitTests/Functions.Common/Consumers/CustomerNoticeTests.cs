using Fanout.Contracts.Events;
using Fanout.Functions.Common.Consumers;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Sqs;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Functions.Common.Consumers;

[Trait("Category", "Unit")]
public sealed class CustomerNoticeTests
{
    private readonly OrderPlacedBuilder _order = new();

    [Fact]
    public void For_EachFact_CarriesItsKindCustomerAndOnlyThePlacedLines()
    {
        var placed = CustomerNotice.For(_order.Build());
        var rejected = CustomerNotice.For(_order.BuildRejectedParsed().Data);
        var cancelled = CustomerNotice.For(_order.BuildCancelledParsed().Data);

        Assert.Equal((NotificationKinds.OrderReceived, 2), (placed.Kind, placed.Items.Count));
        Assert.Equal((NotificationKinds.OrderNotFulfilled, 0), (rejected.Kind, rejected.Items.Count));
        Assert.Equal((NotificationKinds.OrderCancelled, 0), (cancelled.Kind, cancelled.Items.Count));
        Assert.All([placed, rejected, cancelled], n => Assert.Equal((_order.OrderId, "ada@example.com", "+14155550123"), (n.OrderId, n.Customer.Email, n.Customer.Phone)));
        Assert.Equal(NotificationKinds.For(EventTypes.InventoryRejected), rejected.Kind);
    }

    [Theory]
    [InlineData("0123456789", "01234567")]
    [InlineData("abcdefgh", "abcdefgh")]
    [InlineData("abc", "abc")]
    public void ShortOrderId_Id_IsAtMostItsFirstEightCharacters(string orderId, string expected)
    {
        Assert.Equal(expected, new CustomerNotice(orderId, new CustomerInfo(), NotificationKinds.OrderCancelled, []).ShortOrderId);
    }

    [Fact]
    public async Task OnCustomerFacts_EachFactType_ReachesTheNotifierWithItsNotice()
    {
        var notifier = new RecordingNotifier();
        using var output = new StringWriter();
        var handler = new FactRecordHandler(new FanoutLogger("sms", TestClock.Create(), output)).OnCustomerFacts(notifier);

        foreach (var body in new[] { _order.BuildEnvelopeJson(), _order.BuildRejectedJson(), _order.BuildCancelledJson() })
        {
            await handler.HandleAsync(new SqsEventBuilder().WithRecord("m", body).Build().Records[0], TestContext.Current.CancellationToken);
        }

        Assert.Equal([EventTypes.OrderPlaced, EventTypes.InventoryRejected, EventTypes.OrderCancelled], handler.Types);
        Assert.Equal(
            [(EventTypes.OrderPlaced, NotificationKinds.OrderReceived), (EventTypes.InventoryRejected, NotificationKinds.OrderNotFulfilled), (EventTypes.OrderCancelled, NotificationKinds.OrderCancelled)],
            notifier.Calls);
        Assert.Contains("\"outcome\":\"ORDER_CANCELLED sent\"", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnCustomerFacts_Duplicate_LogsTheRepublish()
    {
        var notifier = new RecordingNotifier { Answer = false };
        using var output = new StringWriter();
        var handler = new FactRecordHandler(new FanoutLogger("email", TestClock.Create(), output)).OnCustomerFacts(notifier);

        await handler.HandleAsync(new SqsEventBuilder().WithRecord("m", _order.BuildCancelledJson()).Build().Records[0], TestContext.Current.CancellationToken);

        Assert.Contains("\"outcome\":\"duplicate: outcome re-published\"", output.ToString(), StringComparison.Ordinal);
    }

    private sealed class RecordingNotifier : ICustomerNotifier
    {
        public bool Answer { get; init; } = true;

        public List<(string Type, string Kind)> Calls { get; } = [];

        public Task<bool> NotifyAsync<T>(ParsedEvent<T> fact, CustomerNotice notice, CancellationToken cancellationToken)
        {
            Calls.Add((fact.Type, notice.Kind));
            return Task.FromResult(Answer);
        }
    }
}
