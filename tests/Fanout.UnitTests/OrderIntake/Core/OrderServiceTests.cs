using Fanout.Contracts.Events;
using Fanout.Functions.Common.Publishing;
using Fanout.OrderIntake.Core;
using Fanout.Orders.Core;
using Fanout.Orders.Outbox;
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

        Assert.Equal(expected, OrderStatuses.Of(statuses));
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
    public async Task PlaceAsync_NewOrder_WritesTheOrderAsItsOwnOutboxEntryThenPublishesItsOrderPlaced()
    {
        var store = new InMemoryOrderStore();
        var publisher = new RecordingEventPublisher();
        var service = new OrderService(store, publisher, TestClock.Create());

        var result = await service.PlaceAsync(Command(2), Owner, "key-1", "corr-1", TestContext.Current.CancellationToken);

        Assert.Equal(PlaceOrderStatus.Accepted, result.Status);
        Assert.Null(result.PublishError);
        var order = Assert.Single(store.Orders);
        Assert.Equal(result.OrderId, order.OrderId);
        Assert.Equal(TestClock.Start, order.CreatedAt);
        Assert.Equal(TestClock.Start, order.OpenSince);
        Assert.Equal(OrderService.RequestHash(Command(2)), order.RequestHash);
        var published = Assert.Single(publisher.Published);
        Assert.Equal(EventIds.For(order.OrderId, "orders", "PLACED"), published.Id);
        Assert.Equal(EventTypes.OrderPlaced, published.Type);
        Assert.Equal("corr-1", published.CorrelationId);
        Assert.Equal(order.EventJson, published.Json);
        // No separate outbox entry: the order owes its OrderPlaced until an outcome shows it got through.
        Assert.Empty(store.WrittenEntries);
        Assert.True(order.OwesPlaced);
    }

    [Fact]
    public async Task PlaceAsync_NewOrder_IdIsTheUuidV8TheScopedKeyNamesOnTheUtcDay()
    {
        var store = new InMemoryOrderStore();
        var service = new OrderService(store, new RecordingEventPublisher(), TestClock.Create());

        var result = await service.PlaceAsync(Command(2), Owner, "key-1", "corr-1", Ct);

        Assert.Equal(OrderIds.ForKey(OrderService.ScopeIdempotencyKey(Owner.Subject, "key-1"), OrderIds.DayOf(TestClock.Start)), result.OrderId);
        var id = Guid.Parse(result.OrderId!);
        Assert.Equal(8, id.Version);
        Assert.Equal(Assert.Single(store.Orders).OrderId, result.OrderId);
    }

    [Fact]
    public async Task PlaceAsync_PublishFails_AcceptsAndKeepsTheEntryWithTheError()
    {
        var store = new InMemoryOrderStore();
        var failure = new TimeoutException("SNS timed out");
        var service = new OrderService(store, new RecordingEventPublisher { FailWith = failure }, TestClock.Create());

        var result = await service.PlaceAsync(Command(1), Owner, "key-1", "corr-1", TestContext.Current.CancellationToken);

        Assert.Equal(PlaceOrderStatus.Accepted, result.Status);
        Assert.Same(failure, result.PublishError);
        var order = Assert.Single(store.Orders);
        Assert.Equal(order.OrderId, result.OrderId);
        Assert.True(order.OwesPlaced);
    }

    [Fact]
    public async Task PlaceAsync_PublishHangsPastTheInlineTimeout_AcceptsWithTheTimeoutAndKeepsTheEntry()
    {
        var store = new InMemoryOrderStore();
        var time = TestClock.Create();
        var service = new OrderService(store, new HangingPublisher(), time, TimeSpan.FromMilliseconds(250));

        var placing = service.PlaceAsync(Command(1), Owner, "key-1", "corr-1", Ct);
        time.Advance(TimeSpan.FromMilliseconds(249));
        Assert.False(placing.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var result = await placing;

        Assert.Equal(PlaceOrderStatus.Accepted, result.Status);
        Assert.IsAssignableFrom<OperationCanceledException>(result.PublishError);
        Assert.True(Assert.Single(store.Orders).OwesPlaced);
    }

    [Fact]
    public void Constructor_InlineTimeoutNotPositive_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new OrderService(new InMemoryOrderStore(), new RecordingEventPublisher(), TestClock.Create(), TimeSpan.Zero));
        _ = new OrderService(new InMemoryOrderStore(), new RecordingEventPublisher(), TestClock.Create(), TimeSpan.FromTicks(1));
    }

    [Fact]
    public async Task PlaceAsync_Replay_AnswersTheOriginalOrderAndPublishesNothingMore()
    {
        var store = new InMemoryOrderStore();
        var publisher = new RecordingEventPublisher { FailWith = new TimeoutException("down") };
        var service = new OrderService(store, publisher, TestClock.Create());
        var first = await service.PlaceAsync(Command(1), Owner, "key-1", "corr-1", Ct);
        publisher.FailWith = null;

        var again = await service.PlaceAsync(Command(1), Owner, "key-1", "corr-2", Ct);

        Assert.Equal(PlaceOrderStatus.Replayed, again.Status);
        Assert.Equal(first.OrderId, again.OrderId);
        Assert.Null(again.PublishError);
        Assert.Equal(1, publisher.Attempts);
        Assert.True(Assert.Single(store.Orders).OwesPlaced);
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
    public async Task PlaceAsync_PublishTimesOutWithTaskCanceledWhileTheCallerWaits_AcceptsWithTheError()
    {
        // An SDK timeout surfaces as TaskCanceledException though nobody cancelled the request: the entry waits for the relay.
        var store = new InMemoryOrderStore();
        var timeout = new TaskCanceledException("The request timed out.");
        var service = new OrderService(store, new RecordingEventPublisher { FailWith = timeout }, TestClock.Create());

        var result = await service.PlaceAsync(Command(1), Owner, "key-1", "corr-1", TestContext.Current.CancellationToken);

        Assert.Equal(PlaceOrderStatus.Accepted, result.Status);
        Assert.Same(timeout, result.PublishError);
        Assert.True(Assert.Single(store.Orders).OwesPlaced);
    }

    [Fact]
    public async Task PlaceAsync_CallerCancelledDuringPublish_PropagatesTheCancellationAndKeepsTheEntry()
    {
        using var cancellation = new CancellationTokenSource();
        var publisher = new CancellingPublisher(cancellation);
        var store = new InMemoryOrderStore();
        var service = new OrderService(store, publisher, TestClock.Create());

        await Assert.ThrowsAsync<OperationCanceledException>(() => service.PlaceAsync(Command(1), Owner, "key-1", "corr-1", cancellation.Token));

        Assert.True(Assert.Single(store.Orders).OwesPlaced);
    }

    [Fact]
    public async Task PlaceAsync_CallerCancelledAndPublishFailsOtherwise_PropagatesTheFailure()
    {
        // Once the request itself is cancelled, nothing is swallowed: the invocation is out of time anyway.
        using var cancellation = new CancellationTokenSource();
        var failure = new TimeoutException("SNS timed out");
        var service = new OrderService(new InMemoryOrderStore(), new CancellingPublisher(cancellation, failure), TestClock.Create());

        Assert.Same(failure, await Assert.ThrowsAsync<TimeoutException>(() => service.PlaceAsync(Command(1), Owner, "key-1", "corr-1", cancellation.Token)));
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

        var error = await Assert.ThrowsAsync<ArgumentNullException>(() => service.PlaceAsync(null!, Owner, "key-1", "corr-1", TestContext.Current.CancellationToken));

        Assert.Equal("command", error.ParamName);
    }

    [Fact]
    public async Task PlaceAsync_NoCustomerNamed_PlacesTheOrderForTheCallersSub()
    {
        var store = new InMemoryOrderStore();
        var publisher = new RecordingEventPublisher();
        var service = new OrderService(store, publisher, TestClock.Create());

        var result = await service.PlaceAsync(Command(2, customerId: "", phone: "+14155550123"), new Caller("cust-42", false), "key-1", "corr-1", Ct);

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

        var result = await service.PlaceAsync(Command(2, customerId: "cust-43"), new Caller("op-1", true), "key-1", "corr-1", Ct);

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
        var placed = await service.PlaceAsync(Command(2, customerId: ""), new Caller("cust-a", false), "key-1", "corr-1", Ct);

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

        Assert.Equal("caller", (await Assert.ThrowsAsync<ArgumentNullException>(() => service.PlaceAsync(Command(1), null!, "key-1", "corr-1", Ct))).ParamName);
        Assert.Equal("caller", (await Assert.ThrowsAsync<ArgumentNullException>(() => service.GetAsync("o", null!, Ct))).ParamName);
    }

    [Fact]
    public void OverallStatus_Null_ThrowsArgumentNullException()
    {
        Assert.Equal("statuses", Assert.Throws<ArgumentNullException>(() => OrderStatuses.Of(null!)).ParamName);
    }

    [Fact]
    public async Task PlaceAsync_MissingKey_ThrowsArgumentException()
    {
        var service = new OrderService(new InMemoryOrderStore(), new RecordingEventPublisher(), TestClock.Create());

        Assert.Equal("idempotencyKey", (await Assert.ThrowsAsync<ArgumentNullException>(() => service.PlaceAsync(Command(1), Owner, null!, "corr-1", Ct))).ParamName);
        Assert.Equal("idempotencyKey", (await Assert.ThrowsAsync<ArgumentException>(() => service.PlaceAsync(Command(1), Owner, "", "corr-1", Ct))).ParamName);
    }

    [Theory]
    [InlineData("SENT", "SENT", "RESERVED", null, "COMPLETED")]
    [InlineData("SENT", "SENT", "REJECTED", null, "REJECTED")]
    [InlineData("PENDING", "SENT", "RESERVED", null, "PENDING")]
    [InlineData("SENT", "SENT", "RESERVED", "CANCELLING", "CANCELLING")]
    [InlineData("SENT", "SENT", "RELEASED", "CANCELLED", "CANCELLED")]
    public async Task GetAsync_StoredLifecycleOrServiceStatuses_GivesTheStatus(string sms, string email, string inventory, string? lifecycle, string expected)
    {
        var store = new InMemoryOrderStore();
        var service = new OrderService(store, new RecordingEventPublisher(), TestClock.Create());
        var placed = await service.PlaceAsync(Command(2), Owner, "key-1", "corr-1", Ct);
        var order = store.Find(placed.OrderId!)!;
        store.Replace(order with { Lifecycle = lifecycle, Statuses = Statuses(sms, email, inventory) });

        var view = await service.GetAsync(placed.OrderId!, Owner, Ct);

        Assert.Equal(expected, view!.Status);
        Assert.Equal(inventory, view.Services[TrackedServices.Inventory]);
    }

    [Theory]
    [InlineData("PENDING", "PENDING", "PENDING", false, "customer")]
    [InlineData("SENT", "SKIPPED", "RESERVED", true, "operator")]
    [InlineData("SENT", "PENDING", "REJECTED", false, "customer")]
    public async Task CancelAsync_PendingOrCompletedOrder_WritesCancellingAndTheOutboxEntryThenPublishesIt(string sms, string email, string inventory, bool byOperator, string cancelledBy)
    {
        var time = TestClock.Create();
        var store = new InMemoryOrderStore(time);
        var publisher = new RecordingEventPublisher();
        var service = new OrderService(store, publisher, time);
        var placed = await service.PlaceAsync(Command(2, phone: "+14155550123"), Owner, "key-1", "corr-1", Ct);
        store.Replace(store.Find(placed.OrderId!)! with { Statuses = Statuses(sms, email, inventory) });
        time.Advance(TimeSpan.FromMinutes(3));
        var caller = byOperator ? new Caller("op-1", true) : Owner;

        var result = await service.CancelAsync(placed.OrderId!, caller, "corr-9", Ct);

        Assert.Equal(CancelOrderStatus.Accepted, result.Status);
        Assert.Equal(OrderStatuses.Cancelling, result.CurrentStatus);
        Assert.Null(result.PublishError);
        var order = store.Find(placed.OrderId!)!;
        Assert.Equal(OrderStatuses.Cancelling, order.Lifecycle);
        Assert.Equal(TestClock.Start.AddMinutes(3), order.OpenSince);
        var entry = store.WrittenEntries[^1];
        Assert.Equal(EventIds.For(placed.OrderId!, "orders", "CANCELLED"), entry.EventId);
        Assert.Equal(EventTypes.OrderCancelled, entry.Event.Type);
        Assert.Equal("corr-9", entry.Event.CorrelationId);
        Assert.Equal(order.CancelEventJson, entry.Event.Json);
        Assert.Equal(entry.Event.Json, publisher.Published[^1].Json);
        Assert.Empty(store.PendingEntries);
        var cancelled = EventParser.Parse(entry.Event.Json, EventTypes.OrderCancelled, ContractsJsonContext.Default.OrderCancelled).Data;
        Assert.Equal(placed.OrderId, cancelled.OrderId);
        Assert.Equal(("c1", "a@example.com", "+14155550123"), (cancelled.Customer.Id, cancelled.Customer.Email, cancelled.Customer.Phone));
        Assert.Equal(TestClock.Start.AddMinutes(3), cancelled.CancelledAt);
        Assert.Equal(cancelledBy, cancelled.CancelledBy);
    }

    [Theory]
    [InlineData("SENT", "SENT", "REJECTED", null, CancelOrderStatus.NotCancellable, "REJECTED")]
    [InlineData("SENT", "SENT", "RELEASED", "CANCELLED", CancelOrderStatus.NotCancellable, "CANCELLED")]
    [InlineData("SENT", "SENT", "RESERVED", "CANCELLING", CancelOrderStatus.AlreadyCancelling, "CANCELLING")]
    public async Task CancelAsync_RejectedCancelledOrCancelling_WritesAndPublishesNothing(string sms, string email, string inventory, string? lifecycle, CancelOrderStatus expected, string current)
    {
        var store = new InMemoryOrderStore();
        var publisher = new RecordingEventPublisher();
        var service = new OrderService(store, publisher, TestClock.Create());
        var placed = await service.PlaceAsync(Command(2), Owner, "key-1", "corr-1", Ct);
        store.Replace(store.Find(placed.OrderId!)! with { Lifecycle = lifecycle, Statuses = Statuses(sms, email, inventory) });

        var result = await service.CancelAsync(placed.OrderId!, Owner, "corr-2", Ct);

        Assert.Equal(expected, result.Status);
        Assert.Equal(current, result.CurrentStatus);
        // The order item is its OrderPlaced's entry: no outbox entry was written.
        Assert.Empty(store.WrittenEntries);
        Assert.Equal(1, publisher.Attempts);
        Assert.Equal(lifecycle, store.Find(placed.OrderId!)!.Lifecycle);
    }

    [Theory]
    [InlineData("cust-other", false, CancelOrderStatus.NotFound)]
    [InlineData("c1", false, CancelOrderStatus.Accepted)]
    [InlineData("op-1", true, CancelOrderStatus.Accepted)]
    public async Task CancelAsync_OnlyTheOwnerOrAnOperator_OthersGetNotFound(string subject, bool isOperator, CancelOrderStatus expected)
    {
        var store = new InMemoryOrderStore();
        var service = new OrderService(store, new RecordingEventPublisher(), TestClock.Create());
        var placed = await service.PlaceAsync(Command(2), Owner, "key-1", "corr-1", Ct);

        var result = await service.CancelAsync(placed.OrderId!, new Caller(subject, isOperator), "corr-2", Ct);

        Assert.Equal(expected, result.Status);
        Assert.Equal(expected == CancelOrderStatus.Accepted ? OrderStatuses.Cancelling : null, store.Find(placed.OrderId!)!.Lifecycle);
    }

    [Fact]
    public async Task CancelAsync_MissingOrder_IsNotFound()
    {
        var service = new OrderService(new InMemoryOrderStore(), new RecordingEventPublisher(), TestClock.Create());

        var result = await service.CancelAsync("0195a1b2-c3d4-7e5f-8a9b-000000000000", new Caller("op-1", true), "corr-1", Ct);

        Assert.Equal(CancelOrderStatus.NotFound, result.Status);
    }

    [Fact]
    public async Task CancelAsync_ARejectionLandsBetweenReadAndWrite_ReReadsAndAnswersNotCancellable()
    {
        var store = new InMemoryOrderStore();
        var publisher = new RecordingEventPublisher();
        var service = new OrderService(store, publisher, TestClock.Create());
        var placed = await service.PlaceAsync(Command(2), Owner, "key-1", "corr-1", Ct);
        store.Replace(store.Find(placed.OrderId!)! with { Statuses = Statuses("SENT", "SENT", "PENDING") });
        store.BeforeCancelWrite = s => s.Replace(s.Find(placed.OrderId!)! with { Statuses = Statuses("SENT", "SENT", "REJECTED") });

        var result = await service.CancelAsync(placed.OrderId!, Owner, "corr-2", Ct);

        Assert.Equal(CancelOrderStatus.NotCancellable, result.Status);
        Assert.Equal(OrderStatuses.Rejected, result.CurrentStatus);
        Assert.Null(store.Find(placed.OrderId!)!.Lifecycle);
        // The order item is its OrderPlaced's entry: no outbox entry was written.
        Assert.Empty(store.WrittenEntries);
    }

    [Fact]
    public async Task CancelAsync_AConcurrentCancelWins_TheLoserAnswersAlreadyCancelling()
    {
        var store = new InMemoryOrderStore();
        var publisher = new RecordingEventPublisher();
        var service = new OrderService(store, publisher, TestClock.Create());
        var placed = await service.PlaceAsync(Command(2), Owner, "key-1", "corr-1", Ct);
        store.BeforeCancelWrite = s => s.Replace(s.Find(placed.OrderId!)! with { Lifecycle = OrderStatuses.Cancelling });

        var result = await service.CancelAsync(placed.OrderId!, Owner, "corr-2", Ct);

        Assert.Equal(CancelOrderStatus.AlreadyCancelling, result.Status);
        // The order item is its OrderPlaced's entry: no outbox entry was written.
        Assert.Empty(store.WrittenEntries);
        Assert.Equal(1, publisher.Attempts);
    }

    [Fact]
    public async Task CancelAsync_PublishFails_StillAcceptedWithTheErrorAndTheEntryKept()
    {
        var store = new InMemoryOrderStore();
        var publisher = new RecordingEventPublisher();
        var service = new OrderService(store, publisher, TestClock.Create());
        var placed = await service.PlaceAsync(Command(2), Owner, "key-1", "corr-1", Ct);
        var failure = new TimeoutException("down");
        publisher.FailWith = failure;

        var result = await service.CancelAsync(placed.OrderId!, Owner, "corr-2", Ct);

        Assert.Equal(CancelOrderStatus.Accepted, result.Status);
        Assert.Same(failure, result.PublishError);
        Assert.Equal(EventTypes.OrderCancelled, Assert.Single(store.PendingEntries).Event.Type);
    }

    [Fact]
    public async Task CancelAsync_OrderChangesUnderEveryAttempt_ThrowsAfterThreeReads()
    {
        var store = new FlappingStore();
        var service = new OrderService(store, new RecordingEventPublisher(), TestClock.Create());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => service.CancelAsync(FlappingStore.Id, Owner, "corr-2", Ct));

        Assert.Equal($"Order {FlappingStore.Id} changed under each of 3 cancellation attempts.", error.Message);
        Assert.Equal(3, store.Reads);
    }

    [Fact]
    public async Task CancelAsync_NullCaller_ThrowsArgumentNullException()
    {
        var service = new OrderService(new InMemoryOrderStore(), new RecordingEventPublisher(), TestClock.Create());

        Assert.Equal("caller", (await Assert.ThrowsAsync<ArgumentNullException>(() => service.CancelAsync("o", null!, "corr-1", Ct))).ParamName);
    }

    private static Dictionary<string, string> Statuses(string sms, string email, string inventory) => new()
    {
        [TrackedServices.Sms] = sms,
        [TrackedServices.Email] = email,
        [TrackedServices.Inventory] = inventory,
    };

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

    /// <summary>Never finishes a publish until its token is cancelled.</summary>
    private sealed class HangingPublisher : IEventPublisher
    {
        public Task PublishAsync(OutgoingEvent outgoing, CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);
    }

    /// <summary>An order whose conditional cancel write always loses to a concurrent change.</summary>
    private sealed class FlappingStore : IOrderStore
    {
        public const string Id = "0195a1b2-c3d4-7e5f-8a9b-0000000000ff";
        private readonly InMemoryOrderStore _inner = new();

        public int Reads { get; private set; }

        public IOutbox Outbox => _inner.Outbox;

        public Task<CreateOrderResult> CreateAsync(OrderRecord order, string idempotencyKey, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<OrderRecord?> GetAsync(string orderId, CancellationToken cancellationToken)
        {
            Reads++;
            var placed = OutgoingEvents.Create(
                EventIds.For(Id, OrderService.ServiceName, "PLACED"),
                EventSources.Orders,
                EventTypes.OrderPlaced,
                Id,
                "corr-1",
                TestClock.Start,
                new OrderPlaced { OrderId = Id, Customer = new CustomerInfo { Id = "c1", Email = "a@example.com" }, Items = [new OrderLine { Sku = "MUG-01", Quantity = 1 }], PlacedAt = TestClock.Start },
                ContractsJsonContext.Default.CloudEventOrderPlaced);
            return Task.FromResult<OrderRecord?>(new OrderRecord(Id, placed.Json, "corr-1", "h", TestClock.Start, Statuses("PENDING", "PENDING", "PENDING")));
        }

        public Task<bool> RequestCancelAsync(OrderRecord seen, OutboxEntry cancelled, DateTimeOffset at, CancellationToken cancellationToken) => Task.FromResult(false);

        public Task<ApplyOutcomeResult> ApplyOutcomeAsync(string orderId, string eventId, string service, string status, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }
}
