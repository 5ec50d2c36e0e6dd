using Amazon.SQS.Model;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.IntegrationTests.Support;
using Fanout.Inventory;
using Fanout.Orders;

namespace Fanout.IntegrationTests;

/// <summary>SQS delivers at least once: every OrderPlaced arrives three times and still acts once.</summary>
[Trait("Category", "Integration")]
public sealed class DuplicateDeliveryTests(DefaultFanoutFixture fixture) : IClassFixture<DefaultFanoutFixture>
{
    [Fact]
    public async Task Consumers_EveryOrderPlacedDeliveredThreeTimes_ExactlyOneEffectPerOrderAndService()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("DUPE-1", 500, ct);

        var orderIds = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            orderIds.Add(await Api.PlaceAsync(fanout, Api.OrderJson($"dupe-{i}", "+14155550100", ("DUPE-1", 2)), ct));
        }

        // Send each stored OrderPlaced envelope twice more, byte for byte, straight to every consumer queue,
        // with the same message attributes SNS raw delivery carries.
        var orders = await Inspect.ItemsAsync(fanout, FanoutTopology.OrdersTable, DynamoOrderStore.OrderPrefix);
        Assert.Equal(30, orders.Count);
        foreach (var consumer in new[] { FanoutTopology.Sms, FanoutTopology.Email, FanoutTopology.Inventory })
        {
            var queueUrl = fanout.Topology.QueueFor(consumer).QueueUrl;
            foreach (var order in orders)
            {
                for (var copy = 0; copy < 2; copy++)
                {
                    await fanout.Sqs.SendMessageAsync(
                        new SendMessageRequest
                        {
                            QueueUrl = queueUrl,
                            MessageBody = Fanout.Orders.Core.OrderPlacedEvents.Create(
                                Fanout.Orders.Core.OrderPlacedEvents.FromDataJson(order["data"].S),
                                order["correlationId"].S,
                                DateTimeOffset.Parse(order["createdAt"].S, System.Globalization.CultureInfo.InvariantCulture)).Json,
                            MessageAttributes = new Dictionary<string, MessageAttributeValue>
                            {
                                [EventAttributes.Type] = new() { DataType = "String", StringValue = EventTypes.OrderPlaced },
                                [EventAttributes.CorrelationId] = new() { DataType = "String", StringValue = order["correlationId"].S },
                            },
                        },
                        ct);
                }
            }
        }

        foreach (var id in orderIds)
        {
            var view = await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, id, ct), v => v is { Status: not "PENDING" }, TimeSpan.FromSeconds(120), $"order {id} to finish");
            Assert.Equal("COMPLETED", view!.Status);
        }

        // Every duplicate consumed, and the duplicates' re-published outcomes absorbed by OrderStatus.
        await Eventually.WaitAsync(() => Inspect.AllQueuesEmptyAsync(fanout), empty => empty, TimeSpan.FromSeconds(60), "every queue and DLQ to be empty");
        var smsMapping = fanout.Mappings.Single(m => m.Queue.Consumer == FanoutTopology.Sms);
        Assert.True(smsMapping.Stats.Deleted >= 90, $"the SMS consumer should have consumed all 90 deliveries, consumed {smsMapping.Stats.Deleted}");

        // Provider calls, not SMS#/EMAIL# rows: the recording senders' rows deduplicate themselves by order id,
        // so only the call count shows a second SMS or e-mail.
        Assert.Equal(orderIds.Order(), fixture.SmsCalls.PerOrder.Keys.Order());
        Assert.All(orderIds, id => Assert.Equal(1, fixture.SmsCalls.For(id)));
        Assert.Equal(orderIds.Order(), fixture.EmailCalls.PerOrder.Keys.Order());
        Assert.All(orderIds, id => Assert.Equal(1, fixture.EmailCalls.For(id)));
        Assert.Equal(orderIds.Order(), (await Inspect.ItemsAsync(fanout, FanoutTopology.SmsTable, "SMS#")).Select(i => i["orderId"].S).Order());
        Assert.Equal(orderIds.Order(), (await Inspect.ItemsAsync(fanout, FanoutTopology.InventoryTable, DynamoStockLedger.OrderPrefix)).Select(i => i["orderId"].S).Order());
        Assert.Equal(500 - (30 * 2), await fanout.Stock.GetAsync("DUPE-1", ct));
    }
}
