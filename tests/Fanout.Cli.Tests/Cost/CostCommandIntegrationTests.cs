using System.Diagnostics;
using System.Text.Json;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;

namespace Fanout.Cli.Tests.Cost;

/// <summary>`fanout cost --orders 3 --json` as a user runs it: its own process (the AWS call meter is process-wide),
/// a fresh local system on the real emulators, and figures that hang together.</summary>
[Trait("Category", "Integration")]
public sealed class CostCommandIntegrationTests
{
    [Fact]
    public async Task Cost_ThreeOrdersJson_ReportsConsistentFiguresPerCompletedOrder()
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "fanout.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { cli, "cost", "--orders", "3", "--json" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}");
        using var json = JsonDocument.Parse(await stdout);
        var root = json.RootElement;
        double Number(string name) => root.GetProperty(name).GetDouble();

        Assert.Equal(3, root.GetProperty("ordersCompleted").GetInt32());
        // At least one OrderPlaced and one outcome from each of inventory, SMS and e-mail (more only if a fact went
        // out twice, which at-least-once delivery allows).
        var published = root.GetProperty("snsPublishesByType").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.All(new[] { EventTypes.OrderPlaced, EventTypes.InventoryReserved, EventTypes.SmsSent, EventTypes.EmailSent }, type => Assert.True(published.GetValueOrDefault(type) >= 1, type));
        Assert.True(Number("snsPublishesPerOrder") >= 4);
        Assert.Equal(published.Values.Sum(), Number("snsPublishesPerOrder"), 9);
        // Counted at the publishers and at the queues, the two ends agree: every publish reaches each queue whose
        // subscription filter takes its type (OrderPlaced three, each outcome the status queue).
        var sqs = root.GetProperty("sqsRequests");
        var expectedDeliveries = published.Sum(p => p.Value * FanoutTopology.Consumers.Count(c => c.EventTypes.Contains(p.Key)));
        Assert.Equal(expectedDeliveries, sqs.GetProperty("deliveries").GetDouble(), 9);
        // A receive returns up to ten messages; a handled batch is deleted with one DeleteMessageBatch.
        var receives = sqs.GetProperty("receives").GetDouble();
        Assert.True(receives > 0);
        Assert.InRange(sqs.GetProperty("deletes").GetDouble(), 1.0 / 3, receives);
        Assert.True(Number("sqsRequestsPerOrder") >= expectedDeliveries + receives);
        Assert.True(Number("dynamoDbWriteUnitsPerOrder") > 0);
        Assert.True(Number("dynamoDbReadUnitsPerOrder") > 0);
        Assert.True(Number("dynamoDbReportedWriteUnitsPerOrder") > 0);
        // OrderIntake (POST and GET), one run each of inventory, SMS, e-mail, and the status function at least once.
        Assert.True(Number("lambdaInvocationsPerOrder") >= 2);
        Assert.True(Number("lambdaGbSecondsPerOrder") > 0);
        Assert.Equal(2, Number("apiRequestsPerOrder"));
        Assert.True(Number("logBytesPerOrder") > 0);
        Assert.True(root.GetProperty("usdPerMillionOrders").GetDecimal() > 0);
        var byService = root.GetProperty("usdPerMillionOrdersByService");
        var sum = byService.EnumerateObject().Sum(p => p.Value.GetDecimal());
        Assert.InRange(root.GetProperty("usdPerMillionOrders").GetDecimal() - sum, -0.001m, 0.001m);
        Assert.Equal("us-east-1", root.GetProperty("prices").GetProperty("region").GetString());
    }
}
