using System.Diagnostics;
using System.Text.Json;

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
        // One OrderPlaced and one outcome from each of inventory, SMS and e-mail.
        Assert.Equal(4, Number("snsPublishesPerOrder"));
        var sqs = root.GetProperty("sqsRequests");
        // OrderPlaced reaches three queues, each outcome the status queue: six deliveries, each received and deleted.
        Assert.Equal(6, sqs.GetProperty("deliveries").GetDouble());
        Assert.True(sqs.GetProperty("receives").GetDouble() is > 0 and <= 6);
        Assert.Equal(sqs.GetProperty("receives").GetDouble(), sqs.GetProperty("deletes").GetDouble());
        Assert.True(Number("sqsRequestsPerOrder") >= 6 + 2 * sqs.GetProperty("receives").GetDouble());
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
