namespace Fanout.Contracts.Topology;

/// <summary>The CloudFormation output names the stack exports and the CLI reads, so `fanout` can operate a
/// deployed stack from nothing but its name.</summary>
public static class StackOutputNames
{
    public const string ApiUrl = "ApiUrl";
    public const string TopicArn = "TopicArn";
    public const string Region = "Region";

    /// <summary>The Cognito user pool id (absent when the stack trusts another issuer through <c>jwtIssuer</c>).</summary>
    public const string UserPoolId = "UserPoolId";

    /// <summary>The shop's app client id: the audience of the API's JWT authorizer when the stack made the pool.</summary>
    public const string UserPoolClientId = "UserPoolClientId";

    /// <summary>The issuer (<c>iss</c>) the API's JWT authorizer trusts.</summary>
    public const string JwtIssuer = "JwtIssuer";

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
