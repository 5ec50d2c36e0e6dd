using System.Globalization;
using Fanout.Contracts.Topology;
using Fanout.Harness.Metering;
using Fanout.IntegrationTests.Support;

namespace Fanout.IntegrationTests.Cost;

/// <summary>DynamoDB write units one completed order costs, by AWS's rules (<see cref="DynamoDbCapacityRules"/>),
/// measured on the real local system with the capacity meter attached before any client is built.</summary>
[Trait("Category", "Integration")]
public sealed class WriteBudgetTests : IAsyncLifetime
{
    /// <summary>The issue's budget: at most 12 write units per completed order.</summary>
    public const double WriteUnitsPerOrderBudget = 12;

    private MeteredLocalFanout? _system;

    private DynamoDbCapacityMeter Meter => _system!.Meter;

    public async ValueTask InitializeAsync() => _system = await MeteredLocalFanout.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_system is not null)
        {
            await _system.DisposeAsync();
        }
    }

    [Fact]
    public async Task PlaceOrder_OneLineWithPhoneCompleted_WriteUnitsWithinBudget()
    {
        var fanout = _system!.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("BUDGET-1", 100, ct);
        var before = Meter.SnapshotByTable();

        var id = await Api.PlaceAsync(fanout, Api.OrderJson("budget-customer", "+14155550100", ("BUDGET-1", 2)), ct);
        var view = await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, id, ct), v => v is { Status: not "PENDING" }, TimeSpan.FromSeconds(60), $"order {id} to finish");
        Assert.Equal("COMPLETED", view!.Status);
        Assert.Equal(("SENT", "SENT", "RESERVED"), (view.Services["sms"], view.Services["email"], view.Services["inventory"]));
        await _system.SettleAsync(ct);

        var usage = MeteredLocalFanout.Window(before, Meter.SnapshotByTable());
        var output = TestContext.Current.TestOutputHelper;
        foreach (var ((table, operation), u) in usage.OrderBy(kv => kv.Key.Table, StringComparer.Ordinal).ThenBy(kv => kv.Key.Operation, StringComparer.Ordinal))
        {
            output?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{table,-18} {operation,-20} WCU {u.WriteUnits,5:0.#} RCU {u.ReadUnits,5:0.#} reported WCU {u.ReportedWriteUnits,5:0.#} RCU {u.ReportedReadUnits,5:0.#} writes {u.WriteRequests,3} reads {u.ReadRequests,3}"));
        }

        var perTable = usage.GroupBy(kv => kv.Key.Table).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value.WriteUnits), StringComparer.Ordinal);
        var total = perTable.Values.Sum();
        output?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"TOTAL WCU {total:0.#} (reported {usage.Values.Sum(u => u.ReportedWriteUnits):0.#}); per table: {string.Join(", ", perTable.Select(kv => $"{kv.Key}={kv.Value:0.#}"))}"));

        // One conditional put per message: the message is the SMS and e-mail services' only write.
        Assert.Equal(1, perTable.GetValueOrDefault(FanoutTopology.SmsTable.LocalName));
        Assert.Equal(1, perTable.GetValueOrDefault(FanoutTopology.EmailTable.LocalName));
        Assert.True(total <= WriteUnitsPerOrderBudget, string.Create(CultureInfo.InvariantCulture, $"{total} write units for one completed order; the budget is {WriteUnitsPerOrderBudget}."));
    }

}
