using Fanout.Contracts.Topology;
using Fanout.Orders;
using Fanout.Orders.Core;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.OrderStatus.Store;

/// <summary>The three outcomes of one order applied concurrently by the DynamoDB order store (as separate invocations
/// would), in every interleaving of their reads and writes, against a table model that evaluates the store's real
/// conditions: each is applied, the order is settled exactly once (one <c>completedAt</c>, markers removed once), no
/// conditional write fails, and the result is the one the in-memory store gives.</summary>
[Trait("Category", "Unit")]
public sealed class OutcomeInterleavingTests
{
    private const string OrderId = OrderPlacedBuilder.DefaultOrderId;

    private static readonly (string Service, string Status)[] Outcomes =
    [
        (TrackedServices.Sms, ServiceStatus.Sent),
        (TrackedServices.Email, ServiceStatus.Sent),
        (TrackedServices.Inventory, ServiceStatus.Reserved),
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Every interleaving of the three callers' read-then-write steps (90 of them).</summary>
    public static TheoryData<string> Schedules()
    {
        var data = new TheoryData<string>();
        foreach (var schedule in Interleave(Outcomes.Select(o => new[] { o.Service + ":get", o.Service + ":update" }).ToArray()))
        {
            data.Add(string.Join(' ', schedule));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public async Task ApplyOutcomeAsync_ThreeOutcomesInterleaved_EachAppliedOrderSettledOnceNoFailedWrite(string schedule)
    {
        var table = new ConditionalOrderTable(new Turnstile(schedule.Split(' ')));
        var time = TestClock.Create();
        var order = NewOrder();
        var item = DynamoOrderStore.ToItem(order);
        item[ReconcilerSpec.OpenShardAttribute] = new() { S = OpenOrders.ShardKey(OpenOrders.ShardOf(OrderId)) };
        item[ReconcilerSpec.OpenSinceAttribute] = new() { S = OpenOrders.Since(TestClock.Start) };
        table.Items[DynamoOrderStore.OrderPrefix + OrderId] = item;
        var store = new DynamoOrderStore(table, "orders", time);

        var results = await Task.WhenAll(Outcomes.Select(o => Task.Run(
            () =>
            {
                Turnstile.Caller = o.Service;
                return store.ApplyOutcomeAsync(OrderId, "event-" + o.Service, o.Service, o.Status, Ct);
            },
            Ct)));

        Assert.All(results, r => Assert.Equal(ApplyOutcomeStatus.Applied, r.Status));
        Assert.Equal(0, table.FailedWrites);
        Assert.InRange(table.Applied.Count, 3, 4);
        Assert.Single(table.Applied, u => u.UpdateExpression.Contains("completedAt = :now", StringComparison.Ordinal));
        Assert.Single(table.Applied, u => u.UpdateExpression.Contains("REMOVE #shard, #since", StringComparison.Ordinal));
        var stored = DynamoOrderStore.FromItem(table.Items[DynamoOrderStore.OrderPrefix + OrderId]);
        Assert.Equal(Final(await InMemoryFinalAsync(order)), Final(stored));
    }

    [Fact]
    public async Task ApplyOutcomeAsync_OneAfterAnother_ThreeWritesTheLastOneSettling()
    {
        var table = new ConditionalOrderTable(new Turnstile([]));
        var order = NewOrder();
        table.Items[DynamoOrderStore.OrderPrefix + OrderId] = DynamoOrderStore.ToItem(order);
        var store = new DynamoOrderStore(table, "orders", TestClock.Create());

        foreach (var (service, status) in Outcomes)
        {
            await store.ApplyOutcomeAsync(OrderId, "event-" + service, service, status, Ct);
        }

        Assert.Equal(3, table.Applied.Count);
        Assert.Contains("completedAt = :now", table.Applied[2].UpdateExpression, StringComparison.Ordinal);
        Assert.Equal(Amazon.DynamoDBv2.ReturnValue.ALL_NEW, table.Applied[0].ReturnValues);
    }

    private static async Task<OrderRecord> InMemoryFinalAsync(OrderRecord order)
    {
        var memory = new InMemoryOrderStore(TestClock.Create());
        memory.Add(order with { OpenSince = TestClock.Start });
        foreach (var (service, status) in Outcomes)
        {
            await memory.ApplyOutcomeAsync(OrderId, "event-" + service, service, status, Ct);
        }

        return (await memory.GetAsync(OrderId, Ct))!;
    }

    private static string Final(OrderRecord order) =>
        string.Join(
            '|',
            order.Status,
            string.Join(',', order.Statuses.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value)),
            string.Join(',', order.AppliedEvents.Order(StringComparer.Ordinal)),
            string.Join(',', order.AppliedAt.Keys.Order(StringComparer.Ordinal)),
            order.Lifecycle ?? "-",
            order.CompletedAt is null ? "open" : "completed",
            order.OpenSince is null ? "unindexed" : "indexed");

    private static OrderRecord NewOrder()
    {
        var placed = new OrderPlacedBuilder().Build();
        return new OrderRecord(
            OrderId,
            OrderPlacedEvents.Create(placed, "corr-1", TestClock.Start).Json,
            "corr-1",
            "hash-1",
            TestClock.Start,
            TrackedServices.All.ToDictionary(s => s, _ => ServiceStatus.Pending));
    }

    private static IEnumerable<List<string>> Interleave(string[][] sequences)
    {
        if (sequences.All(s => s.Length == 0))
        {
            yield return [];
            yield break;
        }

        for (var i = 0; i < sequences.Length; i++)
        {
            if (sequences[i].Length == 0)
            {
                continue;
            }

            var rest = sequences.Select((s, j) => j == i ? s[1..] : s).ToArray();
            foreach (var tail in Interleave(rest))
            {
                tail.Insert(0, sequences[i][0]);
                yield return tail;
            }
        }
    }
}
