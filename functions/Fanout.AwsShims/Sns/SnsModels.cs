namespace Fanout.AwsShims.Sns;

/// <summary>One message for <see cref="SnsClient.PublishAsync"/> or an entry of a batch.</summary>
public sealed class SnsPublishRequest
{
    /// <summary>The topic to publish to; leave null when <see cref="PhoneNumber"/> is set.</summary>
    public string? TopicArn { get; init; }

    /// <summary>An E.164 number for a direct SMS; leave null when publishing to a topic.</summary>
    public string? PhoneNumber { get; init; }

    public required string Message { get; init; }

    public string? Subject { get; init; }

    /// <summary>String message attributes (subscription filter policies match on these).</summary>
    public IReadOnlyDictionary<string, string> StringAttributes { get; init; } = new Dictionary<string, string>();

    /// <summary>Batch entries need an id unique within the batch.</summary>
    public string? BatchEntryId { get; init; }
}

/// <summary>The result of a batch publish: which entries SNS accepted and which it refused.</summary>
public sealed record SnsPublishBatchResult(IReadOnlyList<SnsBatchSuccess> Successful, IReadOnlyList<SnsBatchFailure> Failed);

public sealed record SnsBatchSuccess(string Id, string MessageId);

public sealed record SnsBatchFailure(string Id, string Code, string Message, bool SenderFault);
