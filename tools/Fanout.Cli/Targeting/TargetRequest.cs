namespace Fanout.Cli.Targeting;

/// <summary>What a command has to reach.</summary>
[Flags]
internal enum TargetNeeds
{
    None = 0,

    /// <summary>The order API (HTTP).</summary>
    Api = 1,

    /// <summary>Consumer queues and their DLQs: one service's (<see cref="TargetRequest.Service"/>) or every one.</summary>
    Queues = 2,

    /// <summary>One DynamoDB table (<see cref="TargetRequest.TableId"/>).</summary>
    Table = 4,
}

/// <summary>The command line's say on where to talk to; <see cref="TargetResolver"/> fills the gaps.</summary>
internal sealed record TargetRequest
{
    public TargetNeeds Needs { get; init; }

    /// <summary>Things used when they resolve but not worth failing over (e.g. the table holding DLQ failure reasons).</summary>
    public TargetNeeds Wants { get; init; }

    public string? ApiUrl { get; init; }

    public string? Region { get; init; }

    public string? Stack { get; init; }

    public string? QueueUrl { get; init; }

    public string? DeadLetterQueueUrl { get; init; }

    public string? Table { get; init; }

    /// <summary>The consumer service whose queues are needed; null means every consumer.</summary>
    public string? Service { get; init; }

    /// <summary>The table id (<c>orders</c>, <c>sms</c>, <c>email</c>, <c>inventory</c>) behind <see cref="TargetNeeds.Table"/>.</summary>
    public string? TableId { get; init; }
}
