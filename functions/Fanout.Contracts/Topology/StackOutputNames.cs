namespace Fanout.Contracts.Topology;

/// <summary>The CloudFormation output names the stack exports and the CLI reads, so `fanout` can operate a
/// deployed stack from nothing but its name.</summary>
public static class StackOutputNames
{
    public const string ApiUrl = "ApiUrl";
    public const string TopicArn = "TopicArn";
    public const string Region = "Region";

    /// <summary>e.g. <c>SmsQueueUrl</c>.</summary>
    public static string QueueUrl(ConsumerSpec consumer) => Name(consumer) + "QueueUrl";

    /// <summary>e.g. <c>SmsDeadLetterQueueUrl</c>.</summary>
    public static string DeadLetterQueueUrl(ConsumerSpec consumer) => Name(consumer) + "DeadLetterQueueUrl";

    /// <summary>e.g. <c>InventoryTableName</c>.</summary>
    public static string TableName(TableSpec table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return char.ToUpperInvariant(table.Id[0]) + table.Id[1..] + "TableName";
    }

    private static string Name(ConsumerSpec consumer)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        return consumer.Function.Name;
    }
}
