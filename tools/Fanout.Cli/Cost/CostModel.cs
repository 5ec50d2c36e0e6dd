using Fanout.Harness.Metering;

namespace Fanout.Cli.Cost;

/// <summary>One function's share of a cost run.</summary>
/// <param name="MemoryMb">The memory the function deploys with (<c>FunctionSpec.MemoryMb</c>).</param>
/// <param name="BilledMilliseconds">Σ of each invocation's duration rounded up to the next ms (Lambda's billing).</param>
/// <param name="PerOrder">False for a function that runs on a schedule whatever the orders (the reconciler): its cost
/// is fixed, not per order.</param>
internal sealed record FunctionMeasurement(string Function, int MemoryMb, long Invocations, long BilledMilliseconds, bool PerOrder)
{
    /// <summary>Lambda GB-seconds: memory in GB (MB / 1024) × billed seconds.</summary>
    public double GbSeconds => MemoryMb / 1024.0 * BilledMilliseconds / 1000.0;
}

/// <summary>What a cost run measured, over the window from the first order to the system going quiet.</summary>
internal sealed record CostMeasurement
{
    public required int OrdersPlaced { get; init; }

    /// <summary>Orders that reached <c>COMPLETED</c>: every figure is divided by this.</summary>
    public required int OrdersCompleted { get; init; }

    /// <summary>Events the topic accepted (counted at each function's publisher), per CloudEvents type.</summary>
    public required IReadOnlyDictionary<string, long> PublishesByType { get; init; }

    public required SqsUsage Sqs { get; init; }

    /// <summary>DynamoDB units by AWS's rules (B2's meter); null when no rules-based meter was attached.</summary>
    public required DynamoDbUsage? DynamoDbByRules { get; init; }

    /// <summary>DynamoDB units as the endpoint reported them (DynamoDB Local: a cross-check only).</summary>
    public required ReportedDynamoDbUsage DynamoDbReported { get; init; }

    public required IReadOnlyList<FunctionMeasurement> Functions { get; init; }

    /// <summary>HTTP API requests counted per order: the POST and one GET.</summary>
    public required long ApiRequests { get; init; }

    /// <summary>UTF-8 bytes the functions wrote to their log.</summary>
    public required long LogBytes { get; init; }

    /// <summary><c>x86_64</c> or <c>arm64</c>, as the stack deploys.</summary>
    public required string Architecture { get; init; }

    /// <summary>The share of orders X-Ray records a trace for (1: every order; X-Ray's default rule records the first
    /// request each second and 5% of the rest).</summary>
    public double TraceSampling { get; init; } = 1.0;

    public TimeSpan Elapsed { get; init; }
}

/// <summary>Turns a cost run's counts into figures per completed order and USD per million orders, itemised per
/// service, at the given list prices. Pure: no I/O, no clock.</summary>
internal static class CostModel
{
    public const string Arm64 = "arm64";
    public const string X86 = "x86_64";
    private const decimal Million = 1_000_000m;
    private const double BytesPerGb = 1024.0 * 1024.0 * 1024.0;

    /// <exception cref="ArgumentException">No order completed (nothing to divide by), or an unknown architecture.</exception>
    public static CostReport Compute(CostMeasurement run, PriceList prices)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(prices);
        if (run.OrdersCompleted <= 0)
        {
            throw new ArgumentException("No order completed: there is nothing to divide the cost by.", nameof(run));
        }

        if (run.Architecture is not (X86 or Arm64))
        {
            throw new ArgumentException($"Unknown Lambda architecture '{run.Architecture}' (x86_64 or arm64).", nameof(run));
        }

        double orders = run.OrdersCompleted;
        double PerOrder(double total) => total / orders;

        var snsPublishes = PerOrder(run.PublishesByType.Values.Sum());
        var sqs = new SqsRequestsPerOrder
        {
            Deliveries = PerOrder(run.Sqs.FirstReceipts),
            Receives = PerOrder(run.Sqs.Receives),
            Deletes = PerOrder(run.Sqs.Deletes),
            VisibilityChanges = PerOrder(run.Sqs.VisibilityChanges),
            Other = PerOrder(run.Sqs.Sends + run.Sqs.Other),
        };
        var sqsRequests = sqs.Deliveries + sqs.Receives + sqs.Deletes + sqs.VisibilityChanges + sqs.Other;

        var byRules = run.DynamoDbByRules is not null;
        var writeUnits = PerOrder(run.DynamoDbByRules?.WriteUnits ?? run.DynamoDbReported.WriteUnits);
        var readUnits = PerOrder(run.DynamoDbByRules?.ReadUnits ?? run.DynamoDbReported.ReadUnits);

        var perOrderFunctions = run.Functions.Where(f => f.PerOrder).ToList();
        var invocations = PerOrder(perOrderFunctions.Sum(f => f.Invocations));
        var gbSeconds = PerOrder(perOrderFunctions.Sum(f => f.GbSeconds));
        var apiRequests = PerOrder(run.ApiRequests);
        var logBytes = PerOrder(run.LogBytes);
        var traces = run.TraceSampling;

        decimal PerMillion(string price, double perOrder) => prices[price].For((decimal)perOrder * Million);
        var gbSecondPrice = run.Architecture == Arm64 ? PriceList.LambdaGbSecondArm64 : PriceList.LambdaGbSecondX86;
        var usd = new UsdByService
        {
            Sns = PerMillion(PriceList.SnsPublishRequest, snsPublishes),
            Sqs = PerMillion(PriceList.SqsRequest, sqsRequests),
            DynamoDb = PerMillion(PriceList.DynamoDbWriteRequestUnit, writeUnits) + PerMillion(PriceList.DynamoDbReadRequestUnit, readUnits),
            LambdaRequests = PerMillion(PriceList.LambdaRequest, invocations),
            LambdaDuration = PerMillion(gbSecondPrice, gbSeconds),
            ApiGateway = PerMillion(PriceList.HttpApiRequest, apiRequests),
            CloudWatchLogs = PerMillion(PriceList.CloudWatchLogsIngestedGb, logBytes / BytesPerGb),
            XRay = PerMillion(PriceList.XRayTraceRecorded, traces),
            Kms = 0,
        };

        return new CostReport
        {
            OrdersPlaced = run.OrdersPlaced,
            OrdersCompleted = run.OrdersCompleted,
            ElapsedSeconds = Math.Round(run.Elapsed.TotalSeconds, 1),
            SnsPublishesPerOrder = snsPublishes,
            SnsPublishesByType = run.PublishesByType.ToDictionary(p => p.Key, p => PerOrder(p.Value), StringComparer.Ordinal),
            SqsRequestsPerOrder = sqsRequests,
            SqsRequests = sqs,
            SqsIdleReceives = run.Sqs.EmptyReceives,
            DynamoDbWriteUnitsPerOrder = writeUnits,
            DynamoDbReadUnitsPerOrder = readUnits,
            DynamoDbUnitsBasis = byRules ? "aws-rules" : "dynamodb-local-reported",
            DynamoDbReportedWriteUnitsPerOrder = PerOrder(run.DynamoDbReported.WriteUnits),
            DynamoDbReportedReadUnitsPerOrder = PerOrder(run.DynamoDbReported.ReadUnits),
            DynamoDbWriteRequestsPerOrder = PerOrder(run.DynamoDbReported.WriteRequests),
            DynamoDbReadRequestsPerOrder = PerOrder(run.DynamoDbReported.ReadRequests),
            LambdaArchitecture = run.Architecture,
            LambdaInvocationsPerOrder = invocations,
            LambdaGbSecondsPerOrder = gbSeconds,
            Lambda =
            [
                .. run.Functions.OrderBy(f => f.Function, StringComparer.Ordinal).Select(f => new FunctionCost
                {
                    Function = f.Function,
                    MemoryMb = f.MemoryMb,
                    Invocations = f.Invocations,
                    BilledMilliseconds = f.BilledMilliseconds,
                    PerOrder = f.PerOrder,
                    InvocationsPerOrder = f.PerOrder ? PerOrder(f.Invocations) : 0,
                    GbSecondsPerOrder = f.PerOrder ? PerOrder(f.GbSeconds) : 0,
                }),
            ],
            ApiRequestsPerOrder = apiRequests,
            LogBytesPerOrder = logBytes,
            XRayTracesPerOrder = traces,
            UsdPerMillionOrders = Round(usd.Total),
            UsdPerMillionOrdersByService = usd.Rounded(),
            Prices = new PriceSummary
            {
                Date = prices.Date,
                Region = prices.Region,
                Currency = prices.Currency,
                Unconfirmed = prices.Unconfirmed,
            },
        };
    }

    /// <summary>USD to the ten-thousandth (a millionth of a cent per order).</summary>
    public static decimal Round(decimal usd) => Math.Round(usd, 4, MidpointRounding.AwayFromZero);
}
