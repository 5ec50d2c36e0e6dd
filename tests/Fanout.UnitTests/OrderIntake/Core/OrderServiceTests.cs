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
    public void OverallStatus_Null_ThrowsArgumentNullException()
    {
        Assert.Equal("statuses", Assert.Throws<ArgumentNullException>(() => OrderService.OverallStatus(null!)).ParamName);
    }

    private static PlaceOrderCommand Command(int quantity) => new()
    {
        Customer = new Fanout.Contracts.Events.CustomerInfo { Id = "c1", Email = "a@example.com" },
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
