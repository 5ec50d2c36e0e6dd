using System.Text;
using Fanout.Cli.Cost;
using Fanout.Harness.Metering;

namespace Fanout.Cli.Tests.Cost;

[Trait("Category", "Unit")]
public sealed class CostModelTests
{
    private static PriceList Prices() => new()
    {
        Date = "2026-11-29",
        Region = "us-east-1",
        Currency = "USD",
        Prices = new Dictionary<string, Price>
        {
            [PriceList.SnsPublishRequest] = new() { Usd = 0.50m, Per = 1_000_000, Source = "https://aws.amazon.com/sns/pricing/", Confirmed = true },
            [PriceList.SqsRequest] = new() { Usd = 0.40m, Per = 1_000_000, Source = "https://aws.amazon.com/sqs/pricing/", Confirmed = true },
            [PriceList.DynamoDbWriteRequestUnit] = new() { Usd = 0.625m, Per = 1_000_000, Source = "https://aws.amazon.com/dynamodb/pricing/on-demand/", Confirmed = true },
            [PriceList.DynamoDbReadRequestUnit] = new() { Usd = 0.125m, Per = 1_000_000, Source = "https://aws.amazon.com/dynamodb/pricing/on-demand/", Confirmed = true },
            [PriceList.LambdaRequest] = new() { Usd = 0.20m, Per = 1_000_000, Source = "https://aws.amazon.com/lambda/pricing/", Confirmed = true },
            [PriceList.LambdaGbSecondX86] = new() { Usd = 0.0000166667m, Per = 1, Source = "https://aws.amazon.com/lambda/pricing/", Confirmed = true },
            [PriceList.LambdaGbSecondArm64] = new() { Usd = 0.0000133334m, Per = 1, Source = "https://aws.amazon.com/lambda/pricing/", Confirmed = true },
            [PriceList.HttpApiRequest] = new() { Usd = 1.00m, Per = 1_000_000, Source = "https://aws.amazon.com/api-gateway/pricing/", Confirmed = true },
            [PriceList.CloudWatchLogsIngestedGb] = new() { Usd = 0.50m, Per = 1, Source = "https://aws.amazon.com/cloudwatch/pricing/", Confirmed = true },
            [PriceList.XRayTraceRecorded] = new() { Usd = 5.00m, Per = 1_000_000, Source = "https://aws.amazon.com/xray/pricing/", Confirmed = false },
            [PriceList.KmsRequest] = new() { Usd = 0.03m, Per = 10_000, Source = "https://aws.amazon.com/kms/pricing/", Confirmed = false },
        },
    };

    /// <summary>Four completed orders: 16 publishes, 24 deliveries + 24 receives + 24 deletes, 48 WRU and 8 RRU by the
    /// rules, OrderIntake 8 × (512 MB, 400 ms in all), Sms 4 × (256 MB, 1000 ms in all), one scheduled reconciler run,
    /// 8 API requests, 4 MiB of logs, 5% of orders traced.</summary>
    private static CostMeasurement Run(string architecture = CostModel.X86, bool rules = true) => new()
    {
        OrdersPlaced = 5,
        OrdersCompleted = 4,
        PublishesByType = new Dictionary<string, long> { ["OrderPlaced"] = 4, ["InventoryReserved"] = 4, ["SmsSent"] = 4, ["EmailSent"] = 4 },
        Sqs = new SqsUsage(Receives: 24, EmptyReceives: 100, Deletes: 24, VisibilityChanges: 0, Sends: 0, Other: 0, MessagesReceived: 24, FirstReceipts: 24),
        DynamoDbByRules = rules ? new DynamoDbUsage(48, 8, 64, 8, 60, 8) : null,
        DynamoDbReported = new ReportedDynamoDbUsage(64, 8, 60, 8),
        Functions =
        [
            new FunctionMeasurement("OrderIntake", 512, 8, 400, PerOrder: true),
            new FunctionMeasurement("Sms", 256, 4, 1000, PerOrder: true),
            new FunctionMeasurement("Reconciler", 256, 1, 100, PerOrder: false),
        ],
        ApiRequests = 8,
        LogBytes = 4 * 1024 * 1024,
        Architecture = architecture,
        TraceSampling = 0.05,
    };

    [Fact]
    public void Compute_KnownCounts_GivesFiguresPerCompletedOrder()
    {
        var report = CostModel.Compute(Run(), Prices());

        Assert.Equal(4, report.OrdersCompleted);
        Assert.Equal(4, report.SnsPublishesPerOrder);
        Assert.Equal(1, report.SnsPublishesByType["SmsSent"]);
        Assert.Equal(18, report.SqsRequestsPerOrder);
        Assert.Equal(6, report.SqsRequests.Deliveries);
        Assert.Equal(100, report.SqsIdleReceives);
        Assert.Equal(12, report.DynamoDbWriteUnitsPerOrder);
        Assert.Equal(2, report.DynamoDbReadUnitsPerOrder);
        Assert.Equal("aws-rules", report.DynamoDbUnitsBasis);
        Assert.Equal(16, report.DynamoDbReportedWriteUnitsPerOrder);
        Assert.Equal(15, report.DynamoDbWriteRequestsPerOrder);
        Assert.Equal(3, report.LambdaInvocationsPerOrder);
        Assert.Equal(0.1125, report.LambdaGbSecondsPerOrder, 12);
        Assert.Equal(2, report.ApiRequestsPerOrder);
        Assert.Equal(1_048_576, report.LogBytesPerOrder);
        Assert.Equal(0.05, report.XRayTracesPerOrder);
        var reconciler = Assert.Single(report.Lambda, f => f.Function == "Reconciler");
        Assert.False(reconciler.PerOrder);
        Assert.Equal(0, reconciler.InvocationsPerOrder);
    }

    [Fact]
    public void Compute_KnownCounts_ItemisesUsdPerMillionOrders()
    {
        var usd = CostModel.Compute(Run(), Prices());

        Assert.Equal(2.00m, usd.UsdPerMillionOrdersByService.Sns);
        Assert.Equal(7.20m, usd.UsdPerMillionOrdersByService.Sqs);
        Assert.Equal(7.75m, usd.UsdPerMillionOrdersByService.DynamoDb);
        Assert.Equal(0.60m, usd.UsdPerMillionOrdersByService.LambdaRequests);
        Assert.Equal(1.8750m, usd.UsdPerMillionOrdersByService.LambdaDuration); // 112,500 GB-s × $0.0000166667
        Assert.Equal(2.00m, usd.UsdPerMillionOrdersByService.ApiGateway);
        Assert.Equal(488.2813m, usd.UsdPerMillionOrdersByService.CloudWatchLogs); // 976.5625 GB × $0.50
        Assert.Equal(0.25m, usd.UsdPerMillionOrdersByService.XRay);
        Assert.Equal(0m, usd.UsdPerMillionOrdersByService.Kms);
        Assert.Equal(509.9563m, usd.UsdPerMillionOrders); // Σ before rounding: 509.95625375
        Assert.Equal(["kmsRequest", "xRayTraceRecorded"], usd.Prices.Unconfirmed);
    }

    [Fact]
    public void Compute_Arm64_PricesDurationAtTheArmRate()
    {
        var report = CostModel.Compute(Run(CostModel.Arm64), Prices());

        Assert.Equal("arm64", report.LambdaArchitecture);
        Assert.Equal(1.5000m, report.UsdPerMillionOrdersByService.LambdaDuration); // 112,500 GB-s × $0.0000133334
    }

    [Fact]
    public void Compute_NoRulesMeter_UsesTheReportedFigureAndSaysSo()
    {
        var report = CostModel.Compute(Run(rules: false), Prices());

        Assert.Equal("dynamodb-local-reported", report.DynamoDbUnitsBasis);
        Assert.Equal(16, report.DynamoDbWriteUnitsPerOrder);
        Assert.Equal(10.25m, report.UsdPerMillionOrdersByService.DynamoDb);
    }

    [Fact]
    public void Compute_NoOrderCompleted_Throws()
    {
        Assert.Throws<ArgumentException>(() => CostModel.Compute(Run() with { OrdersCompleted = 0 }, Prices()));
    }

    [Fact]
    public void Compute_UnknownArchitecture_Throws()
    {
        Assert.Throws<ArgumentException>(() => CostModel.Compute(Run("riscv"), Prices()));
    }

    [Fact]
    public void LoadEmbedded_ShippedList_IsDatedUsEast1WithASourcePerPrice()
    {
        var prices = PriceList.LoadEmbedded();

        Assert.Equal("us-east-1", prices.Region);
        Assert.Equal("USD", prices.Currency);
        Assert.True(DateOnly.TryParseExact(prices.Date, "yyyy-MM-dd", out _));
        Assert.All(PriceList.Required, name => Assert.StartsWith("https://aws.amazon.com/", prices[name].Source, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_MissingPrice_Throws()
    {
        using var json = new MemoryStream(Encoding.UTF8.GetBytes("""{"date":"2026-11-29","region":"us-east-1","currency":"USD","prices":{}}"""));

        var error = Assert.Throws<InvalidOperationException>(() => PriceList.Parse(json));

        Assert.Contains("snsPublishRequest", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NotUsd_Throws()
    {
        using var json = new MemoryStream(Encoding.UTF8.GetBytes("""{"date":"2026-11-29","region":"us-east-1","currency":"EUR","prices":{}}"""));

        Assert.Throws<InvalidOperationException>(() => PriceList.Parse(json));
    }

    [Fact]
    public void StackArchitecture_CdkJsonSaysArm64_ReadsIt()
    {
        var dir = Directory.CreateTempSubdirectory("fanout-cost-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "cdk.json"), """{"context":{"architecture":"arm64"}}""");
            Assert.Equal("arm64", CostRunner.StackArchitecture(dir.FullName));
            File.WriteAllText(Path.Combine(dir.FullName, "cdk.json"), """{"context":{}}""");
            Assert.Equal("x86_64", CostRunner.StackArchitecture(dir.FullName));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
