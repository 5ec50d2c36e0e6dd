using Fanout.OrderIntake.Core;
using Fanout.Orders.Core;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.OrderIntake.Core;

[Trait("Category", "Unit")]
public sealed class OrderServiceTests
{
    private static readonly Caller Owner = new("c1", IsOperator: false);

    [Theory]
    [InlineData("PENDING", "PENDING", "PENDING", "PENDING")]
    [InlineData("SENT", "SENT", "PENDING", "PENDING")]
    [InlineData("PENDING", "SENT", "RESERVED", "PENDING")]
    [InlineData("SENT", "PENDING", "REJECTED", "PENDING")]
    [InlineData("SENT", "SENT", "RESERVED", "COMPLETED")]
    [InlineData("SKIPPED", "SENT", "RESERVED", "COMPLETED")]
    [InlineData("SENT", "SENT", "REJECTED", "REJECTED")]
    [InlineData("SKIPPED", "SENT", "REJECTED", "REJECTED")]
    public void OverallStatus_ServiceStatuses_GivesOrderStatus(string sms, string email, string inventory, string expected)
    {
        var statuses = new Dictionary<string, string>
        {
            [TrackedServices.Sms] = sms,
            [TrackedServices.Email] = email,
            [TrackedServices.Inventory] = inventory,
        };

        Assert.Equal(expected, OrderService.OverallStatus(statuses));
    }

    [Fact]
    public void RequestHash_SameOrderBuiltTwice_IsEqual()
    {
        Assert.Equal(OrderService.RequestHash(Command(2)), OrderService.RequestHash(Command(2)));
    }

    [Fact]
    public void RequestHash_DifferentQuantity_Differs()
    {
        Assert.NotEqual(OrderService.RequestHash(Command(2)), OrderService.RequestHash(Command(3)));
    }

    [Fact]
    public async Task PlaceAsync_NewOrder_StoresBeforePublishingAndMarksPublished()
    {
        var store = new InMemoryOrderStore();
        var publisher = new RecordingEventPublisher();
        var service = new OrderService(store, publisher, TestClock.Create());

        var result = await service.PlaceAsync(Command(2), Owner, "key-1", "corr-1", TestContext.Current.CancellationToken);

        Assert.Equal(PlaceOrderStatus.Accepted, result.Status);
        var order = Assert.Single(store.Orders);
        Assert.Equal(result.OrderId, order.OrderId);
        Assert.Equal(TestClock.Start, order.CreatedAt);
        Assert.Equal(TestClock.Start, order.PublishedAt);
        Assert.Equal(OrderService.RequestHash(Command(2)), order.RequestHash);
        Assert.Equal(order.EventJson, Assert.Single(publisher.Published).Json);
    }

    [Fact]
    public async Task PlaceAsync_PublishFails_ReportsPublishFailedWithTheError()
    {
        var store = new InMemoryOrderStore();
        var failure = new TimeoutException("SNS timed out");
        var service = new OrderService(store, new RecordingEventPublisher { FailWith = failure }, TestClock.Create());

        var result = await service.PlaceAsync(Command(1), Owner, "key-1", "corr-1", TestContext.Current.CancellationToken);

        Assert.Equal(PlaceOrderStatus.PublishFailed, result.Status);
        Assert.Same(failure, result.Error);
        Assert.Equal(Assert.Single(store.Orders).OrderId, result.OrderId);
        Assert.Null(store.Orders[0].PublishedAt);
    }

    [Fact]
    public async Task PlaceAsync_KeyInProgress_ReportsInProgressAndPublishesNothing()
    {
        var store = new InMemoryOrderStore { KeyBusy = true };
        var publisher = new RecordingEventPublisher();
        var service = new OrderService(store, publisher, TestClock.Create());

        var result = await service.PlaceAsync(Command(1), Owner, "key-1", "corr-1", TestContext.Current.CancellationToken);

        Assert.Equal(PlaceOrderStatus.InProgress, result.Status);
        Assert.Null(result.OrderId);
        Assert.Empty(store.Orders);
        Assert.Equal(0, publisher.Attempts);
    }

    [Fact]
    public async Task PlaceAsync_KeyUsedWithAnotherBody_ReportsKeyConflictAndPublishesOnce()
    {
        var store = new InMemoryOrderStore();
        var publisher = new RecordingEventPublisher();
        var service = new OrderService(store, publisher, TestClock.Create());
        await service.PlaceAsync(Command(1), Owner, "key-1", "corr-1", TestContext.Current.CancellationToken);

        var result = await service.PlaceAsync(Command(2), Owner, "key-1", "corr-2", TestContext.Current.CancellationToken);

        Assert.Equal(PlaceOrderStatus.KeyConflict, result.Status);
        Assert.Null(result.OrderId);
        Assert.Single(store.Orders);
        Assert.Equal(1, publisher.Attempts);
    }

    [Fact]
    public async Task PlaceAsync_PublishTimesOutWithTaskCanceledWhileTheCallerWaits_ReportsPublishFailed()
    {
        // An SDK timeout surfaces as TaskCanceledException though nobody cancelled the request: it is a failed publish.
        var store = new InMemoryOrderStore();
        var timeout = new TaskCanceledException("The request timed out.");
        var service = new OrderService(store, new RecordingEventPublisher { FailWith = timeout }, TestClock.Create());

        var result = await service.PlaceAsync(Command(1), Owner, "key-1", "corr-1", TestContext.Current.CancellationToken);

        Assert.Equal(PlaceOrderStatus.PublishFailed, result.Status);
        Assert.Same(timeout, result.Error);
        Assert.Null(Assert.Single(store.Orders).PublishedAt);
    }

    [Fact]
    public async Task PlaceAsync_CallerCancelledDuringPublish_PropagatesTheCancellation()
    {
        using var cancellation = new CancellationTokenSource();
        var publisher = new CancellingPublisher(cancellation);
        var store = new InMemoryOrderStore();
        var service = new OrderService(store, publisher, TestClock.Create());

        await Assert.ThrowsAsync<OperationCanceledException>(() => service.PlaceAsync(Command(1), Owner, "key-1", "corr-1", cancellation.Token));

        Assert.Null(Assert.Single(store.Orders).PublishedAt);
    }

    [Fact]
    public async Task PlaceAsync_CallerCancelledAndPublishFailsOtherwise_ReportsPublishFailed()
    {
        using var cancellation = new CancellationTokenSource();
        var failure = new TimeoutException("SNS timed out");
        var service = new OrderService(new InMemoryOrderStore(), new CancellingPublisher(cancellation, failure), TestClock.Create());

        var result = await service.PlaceAsync(Command(1), Owner, "key-1", "corr-1", cancellation.Token);

        Assert.Equal(PlaceOrderStatus.PublishFailed, result.Status);
        Assert.Same(failure, result.Error);
    }

    [Fact]
    public void Constructor_MissingDependency_ThrowsNamingIt()
    {
        var store = new InMemoryOrderStore();
        var publisher = new RecordingEventPublisher();
        var time = TestClock.Create();

        Assert.Equal("store", Assert.Throws<ArgumentNullException>(() => new OrderService(null!, publisher, time)).ParamName);
        Assert.Equal("publisher", Assert.Throws<ArgumentNullException>(() => new OrderService(store, null!, time)).ParamName);
        Assert.Equal("time", Assert.Throws<ArgumentNullException>(() => new OrderService(store, publisher, null!)).ParamName);
    }

    [Fact]
    public async Task PlaceAsync_NullCommand_ThrowsArgumentNullException()
    {
        var service = new OrderService(new InMemoryOrderStore(), new RecordingEventPublisher(), TestClock.Create());

        var error = await Assert.ThrowsAsync<ArgumentNullException>(() => service.PlaceAsync(null!, Owner, null, "corr-1", TestContext.Current.CancellationToken));

        Assert.Equal("command", error.ParamName);
    }

    [Fact]
    public async Task PlaceAsync_NoCustomerNamed_PlacesTheOrderForTheCallersSub()
    {
        var store = new InMemoryOrderStore();
        var publisher = new RecordingEventPublisher();
        var service = new OrderService(store, publisher, TestClock.Create());

        var result = await service.PlaceAsync(Command(2, customerId: "", phone: "+14155550123"), new Caller("cust-42", false), null, "corr-1", Ct);

        Assert.Equal(PlaceOrderStatus.Accepted, result.Status);
        var customer = PlacedCustomer(Assert.Single(publisher.Published).Json);
        Assert.Equal(("cust-42", "a@example.com", "+14155550123"), (customer.Id, customer.Email, customer.Phone));
        Assert.Equal(OrderService.RequestHash(Command(2, customerId: "cust-42", phone: "+14155550123")), Assert.Single(store.Orders).RequestHash);
    }

    [Fact]
    public async Task PlaceAsync_AnotherCustomerNamedByACustomer_IsForbiddenAndStoresAndPublishesNothing()
    {
        var store = new InMemoryOrderStore();
        var publisher = new RecordingEventPublisher();
        var service = new OrderService(store, publisher, TestClock.Create());

        var result = await service.PlaceAsync(Command(2, customerId: "cust-43"), new Caller("cust-42", false), "key-1", "corr-1", Ct);

        Assert.Equal(PlaceOrderStatus.Forbidden, result.Status);
        Assert.Null(result.OrderId);
        Assert.Equal("customer.id names another customer. Leave customer.id out to order for yourself, or use your own id.", result.Refusal);
        Assert.Empty(store.Orders);
        Assert.Empty(store.IdempotencyKeys);
        Assert.Empty(publisher.Published);
    }

    [Fact]
    public async Task PlaceAsync_AnotherCustomerNamedByAnOperator_PlacesItForThatCustomer()
    {
        var publisher = new RecordingEventPublisher();
        var service = new OrderService(new InMemoryOrderStore(), publisher, TestClock.Create());

        var result = await service.PlaceAsync(Command(2, customerId: "cust-43"), new Caller("op-1", true), null, "corr-1", Ct);

        Assert.Equal(PlaceOrderStatus.Accepted, result.Status);
        Assert.Null(result.Refusal);
        Assert.Equal("cust-43", PlacedCustomer(Assert.Single(publisher.Published).Json).Id);
    }

    [Fact]
    public async Task PlaceAsync_SameKeyFromTwoCustomers_MakesTwoOrders()
    {
        var store = new InMemoryOrderStore();
        var service = new OrderService(store, new RecordingEventPublisher(), TestClock.Create());

        var first = await service.PlaceAsync(Command(2, customerId: ""), new Caller("cust-a", false), "key-1", "corr-1", Ct);
        var second = await service.PlaceAsync(Command(2, customerId: ""), new Caller("cust-b", false), "key-1", "corr-2", Ct);

        Assert.Equal(PlaceOrderStatus.Accepted, first.Status);
        Assert.Equal(PlaceOrderStatus.Accepted, second.Status);
        Assert.NotEqual(first.OrderId, second.OrderId);
        Assert.Equal(2, store.Orders.Count);
        string[] expected = [OrderService.ScopeIdempotencyKey("cust-a", "key-1"), OrderService.ScopeIdempotencyKey("cust-b", "key-1")];
        Assert.Equal(expected.Order(StringComparer.Ordinal), store.IdempotencyKeys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PlaceAsync_SameKeyAndBodyFromTheSameCustomer_ReplaysTheOrder()
    {
        var store = new InMemoryOrderStore();
        var service = new OrderService(store, new RecordingEventPublisher(), TestClock.Create());

        var first = await service.PlaceAsync(Command(2, customerId: ""), new Caller("cust-a", false), "key-1", "corr-1", Ct);
        var second = await service.PlaceAsync(Command(2, customerId: "cust-a"), new Caller("cust-a", false), "key-1", "corr-2", Ct);

        Assert.Equal(PlaceOrderStatus.Replayed, second.Status);
        Assert.Equal(first.OrderId, second.OrderId);
        Assert.Single(store.Orders);
    }

    [Fact]
    public async Task PlaceAsync_OperatorReusesAKeyForAnotherCustomer_IsAKeyConflict()
    {
        // The hash covers the resolved customer: the same body for someone else is a different request.
        var store = new InMemoryOrderStore();
        var service = new OrderService(store, new RecordingEventPublisher(), TestClock.Create());
        var op = new Caller("op-1", true);

        await service.PlaceAsync(Command(2, customerId: "cust-a"), op, "key-1", "corr-1", Ct);
        var second = await service.PlaceAsync(Command(2, customerId: "cust-b"), op, "key-1", "corr-2", Ct);

        Assert.Equal(PlaceOrderStatus.KeyConflict, second.Status);
        Assert.Single(store.Orders);
    }

    [Fact]
    public void ScopeIdempotencyKey_Subject_IsTheHexSha256OfTheSubThenHashThenTheKey()
    {
        // SHA-256 of the UTF-8 bytes of "cust-42", computed independently (printf cust-42 | sha256sum).
        Assert.Equal(
            "8a3c5a67cad508582b5edf6b8352cea3ffbad7f44812c1a736b4444c0f5746aa#key-1",
            OrderService.ScopeIdempotencyKey("cust-42", "key-1"));
    }

    [Theory]
    [InlineData("a#b", "c", "a", "b#c")]
    [InlineData("ab", "c", "a", "bc")]
    [InlineData("", "a#b", "a", "b")]
    public void ScopeIdempotencyKey_SplitsThatSpellTheSameText_StayApart(string subject1, string key1, string subject2, string key2)
    {
        Assert.NotEqual(OrderService.ScopeIdempotencyKey(subject1, key1), OrderService.ScopeIdempotencyKey(subject2, key2));
    }

    [Fact]
    public void ScopeIdempotencyKey_Null_ThrowsNamingIt()
    {
        Assert.Equal("subject", Assert.Throws<ArgumentNullException>(() => OrderService.ScopeIdempotencyKey(null!, "k")).ParamName);
        Assert.Equal("idempotencyKey", Assert.Throws<ArgumentNullException>(() => OrderService.ScopeIdempotencyKey("s", null!)).ParamName);
    }

    [Theory]
    [InlineData("cust-a", false, true)]
    [InlineData("cust-b", false, false)]
    [InlineData("op-1", true, true)]
    public async Task GetAsync_OrderOfCustomerA_AnswersItsOwnerAndOperatorsOnly(string subject, bool isOperator, bool visible)
    {
        var service = new OrderService(new InMemoryOrderStore(), new RecordingEventPublisher(), TestClock.Create());
        var placed = await service.PlaceAsync(Command(2, customerId: ""), new Caller("cust-a", false), null, "corr-1", Ct);

        var view = await service.GetAsync(placed.OrderId!, new Caller(subject, isOperator), Ct);

        Assert.Equal(visible, view is not null);
        if (visible)
        {
            Assert.Equal(placed.OrderId, view!.OrderId);
            Assert.Equal("cust-a", view.Customer.Id);
        }
    }

    [Fact]
    public async Task GetAsync_MissingOrder_IsNullEvenForAnOperator()
    {
        var service = new OrderService(new InMemoryOrderStore(), new RecordingEventPublisher(), TestClock.Create());

        Assert.Null(await service.GetAsync("0195a1b2-c3d4-7e5f-8a9b-000000000000", new Caller("op-1", true), Ct));
    }

    [Fact]
    public async Task PlaceAndGet_NullCaller_ThrowArgumentNullException()
    {
        var service = new OrderService(new InMemoryOrderStore(), new RecordingEventPublisher(), TestClock.Create());

        Assert.Equal("caller", (await Assert.ThrowsAsync<ArgumentNullException>(() => service.PlaceAsync(Command(1), null!, null, "corr-1", Ct))).ParamName);
        Assert.Equal("caller", (await Assert.ThrowsAsync<ArgumentNullException>(() => service.GetAsync("o", null!, Ct))).ParamName);
    }

    [Fact]
    public void OverallStatus_Null_ThrowsArgumentNullException()
    {
        Assert.Equal("statuses", Assert.Throws<ArgumentNullException>(() => OrderService.OverallStatus(null!)).ParamName);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Fanout.Contracts.Events.CustomerInfo PlacedCustomer(string envelopeJson) =>
        Fanout.Contracts.Events.EventParser.Parse(envelopeJson, Fanout.Contracts.Events.EventTypes.OrderPlaced, Fanout.Contracts.Events.ContractsJsonContext.Default.OrderPlaced).Data.Customer;

    private static PlaceOrderCommand Command(int quantity, string customerId = "c1", string? phone = null) => new()
    {
        Customer = new Fanout.Contracts.Events.CustomerInfo { Id = customerId, Email = "a@example.com", Phone = phone },
        Items = [new Fanout.Contracts.Events.OrderLine { Sku = "MUG-01", Quantity = quantity }],
    };

    /// <summary>A publisher during whose call the caller gives up: it cancels the caller's token, then fails with
    /// the cancellation (as an SDK call observing that token would) or with the given error.</summary>
    private sealed class CancellingPublisher(CancellationTokenSource caller, Exception? failure = null) : Fanout.Functions.Common.Publishing.IEventPublisher
    {
        public async Task PublishAsync(Fanout.Functions.Common.Publishing.OutgoingEvent outgoing, CancellationToken cancellationToken)
        {
            await caller.CancelAsync();
            if (failure is not null)
            {
                throw failure;
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
    }
}
