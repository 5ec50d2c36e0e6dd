using System.Text.Json.Serialization;

namespace Fanout.Cli.Cost;

/// <summary>SQS requests per completed order, by kind (see <see cref="CostReport.SqsRequests"/>).</summary>
internal sealed class SqsRequestsPerOrder
{
    /// <summary>SNS→SQS deliveries: SQS bills each as a send to the queue.</summary>
    [JsonPropertyName("deliveries")]
    public double Deliveries { get; init; }

    /// <summary>ReceiveMessage calls of the event source mappings that returned messages.</summary>
    [JsonPropertyName("receives")]
    public double Receives { get; init; }

    /// <summary>DeleteMessageBatch calls after handled batches.</summary>
    [JsonPropertyName("deletes")]
    public double Deletes { get; init; }

    /// <summary>ChangeMessageVisibilityBatch calls (retry delays).</summary>
    [JsonPropertyName("visibilityChanges")]
    public double VisibilityChanges { get; init; }

    /// <summary>Any other SQS call (e.g. GetQueueUrl, a direct send).</summary>
    [JsonPropertyName("other")]
    public double Other { get; init; }
}

/// <summary>USD per million completed orders for one service line.</summary>
internal sealed class UsdByService
{
    [JsonPropertyName("sns")]
    public decimal Sns { get; init; }

    [JsonPropertyName("sqs")]
    public decimal Sqs { get; init; }

    [JsonPropertyName("dynamoDb")]
    public decimal DynamoDb { get; init; }

    [JsonPropertyName("lambdaRequests")]
    public decimal LambdaRequests { get; init; }

    [JsonPropertyName("lambdaDuration")]
    public decimal LambdaDuration { get; init; }

    [JsonPropertyName("apiGateway")]
    public decimal ApiGateway { get; init; }

    [JsonPropertyName("cloudWatchLogs")]
    public decimal CloudWatchLogs { get; init; }

    [JsonPropertyName("xRay")]
    public decimal XRay { get; init; }

    /// <summary>Always 0 per order: SNS and SQS reuse KMS data keys for minutes, so KMS is a cost per time.</summary>
    [JsonPropertyName("kms")]
    public decimal Kms { get; init; }

    [JsonIgnore]
    public decimal Total => Sns + Sqs + DynamoDb + LambdaRequests + LambdaDuration + ApiGateway + CloudWatchLogs + XRay + Kms;

    public UsdByService Rounded() => new()
    {
        Sns = CostModel.Round(Sns),
        Sqs = CostModel.Round(Sqs),
        DynamoDb = CostModel.Round(DynamoDb),
        LambdaRequests = CostModel.Round(LambdaRequests),
        LambdaDuration = CostModel.Round(LambdaDuration),
        ApiGateway = CostModel.Round(ApiGateway),
        CloudWatchLogs = CostModel.Round(CloudWatchLogs),
        XRay = CostModel.Round(XRay),
        Kms = CostModel.Round(Kms),
    };
}

/// <summary>One function's line of the Lambda figures.</summary>
internal sealed class FunctionCost
{
    [JsonPropertyName("function")]
    public string Function { get; init; } = "";

    [JsonPropertyName("memoryMb")]
    public int MemoryMb { get; init; }

    [JsonPropertyName("invocations")]
    public long Invocations { get; init; }

    /// <summary>Σ of each invocation's in-process duration rounded up to the ms.</summary>
    [JsonPropertyName("billedMilliseconds")]
    public long BilledMilliseconds { get; init; }

    /// <summary>False for the scheduled reconciler: a fixed cost, left out of the per-order figures.</summary>
    [JsonPropertyName("perOrder")]
    public bool PerOrder { get; init; }

    [JsonPropertyName("invocationsPerOrder")]
    public double InvocationsPerOrder { get; init; }

    [JsonPropertyName("gbSecondsPerOrder")]
    public double GbSecondsPerOrder { get; init; }
}

/// <summary>Which price list priced the run.</summary>
internal sealed class PriceSummary
{
    [JsonPropertyName("date")]
    public string Date { get; init; } = "";

    [JsonPropertyName("region")]
    public string Region { get; init; } = "";

    [JsonPropertyName("currency")]
    public string Currency { get; init; } = "";

    /// <summary>Prices not checked on <see cref="Date"/> (see the price file).</summary>
    [JsonPropertyName("unconfirmed")]
    public IReadOnlyList<string> Unconfirmed { get; init; } = [];
}

/// <summary>The answer of <c>fanout cost --json</c>: every figure is per completed order unless named otherwise.</summary>
internal sealed class CostReport
{
    [JsonPropertyName("ordersPlaced")]
    public int OrdersPlaced { get; init; }

    [JsonPropertyName("ordersCompleted")]
    public int OrdersCompleted { get; init; }

    [JsonPropertyName("elapsedSeconds")]
    public double ElapsedSeconds { get; init; }

    /// <summary>Events the topic accepted, counted at each function's publisher (SNS bills each as a request).</summary>
    [JsonPropertyName("snsPublishesPerOrder")]
    public double SnsPublishesPerOrder { get; init; }

    [JsonPropertyName("snsPublishesByType")]
    public Dictionary<string, double> SnsPublishesByType { get; init; } = [];

    /// <summary>Σ of <see cref="SqsRequests"/>; idle receives are not in it.</summary>
    [JsonPropertyName("sqsRequestsPerOrder")]
    public double SqsRequestsPerOrder { get; init; }

    [JsonPropertyName("sqsRequests")]
    public SqsRequestsPerOrder SqsRequests { get; init; } = new();

    /// <summary>Empty long-poll receives during the whole run (a total, not per order): what having pollers costs
    /// whatever the traffic.</summary>
    [JsonPropertyName("sqsIdleReceives")]
    public long SqsIdleReceives { get; init; }

    [JsonPropertyName("dynamoDbWriteUnitsPerOrder")]
    public double DynamoDbWriteUnitsPerOrder { get; init; }

    [JsonPropertyName("dynamoDbReadUnitsPerOrder")]
    public double DynamoDbReadUnitsPerOrder { get; init; }

    /// <summary><c>aws-rules</c> (computed from item sizes by AWS's rules), or <c>dynamodb-local-reported</c> when no
    /// rules-based meter was attached (DynamoDB Local over-counts transactions).</summary>
    [JsonPropertyName("dynamoDbUnitsBasis")]
    public string DynamoDbUnitsBasis { get; init; } = "";

    /// <summary>DynamoDB Local's own <c>ConsumedCapacity</c> figure: a cross-check only.</summary>
    [JsonPropertyName("dynamoDbReportedWriteUnitsPerOrder")]
    public double DynamoDbReportedWriteUnitsPerOrder { get; init; }

    [JsonPropertyName("dynamoDbReportedReadUnitsPerOrder")]
    public double DynamoDbReportedReadUnitsPerOrder { get; init; }

    [JsonPropertyName("dynamoDbWriteRequestsPerOrder")]
    public double DynamoDbWriteRequestsPerOrder { get; init; }

    [JsonPropertyName("dynamoDbReadRequestsPerOrder")]
    public double DynamoDbReadRequestsPerOrder { get; init; }

    [JsonPropertyName("lambdaArchitecture")]
    public string LambdaArchitecture { get; init; } = "";

    [JsonPropertyName("lambdaInvocationsPerOrder")]
    public double LambdaInvocationsPerOrder { get; init; }

    [JsonPropertyName("lambdaGbSecondsPerOrder")]
    public double LambdaGbSecondsPerOrder { get; init; }

    [JsonPropertyName("lambda")]
    public IReadOnlyList<FunctionCost> Lambda { get; init; } = [];

    /// <summary>HTTP API requests: the POST and one GET per order (a client polling more pays more).</summary>
    [JsonPropertyName("apiRequestsPerOrder")]
    public double ApiRequestsPerOrder { get; init; }

    /// <summary>UTF-8 bytes the functions wrote to their log (CloudWatch Logs ingestion), without Lambda's own
    /// START/END/REPORT lines.</summary>
    [JsonPropertyName("logBytesPerOrder")]
    public double LogBytesPerOrder { get; init; }

    /// <summary>Traces X-Ray records per order, from the sampling share given (1 = every order traced).</summary>
    [JsonPropertyName("xRayTracesPerOrder")]
    public double XRayTracesPerOrder { get; init; }

    [JsonPropertyName("usdPerMillionOrders")]
    public decimal UsdPerMillionOrders { get; init; }

    [JsonPropertyName("usdPerMillionOrdersByService")]
    public UsdByService UsdPerMillionOrdersByService { get; init; } = new();

    [JsonPropertyName("prices")]
    public PriceSummary Prices { get; init; } = new();
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(PriceList))]
[JsonSerializable(typeof(CostReport))]
internal sealed partial class CostJsonContext : JsonSerializerContext;
