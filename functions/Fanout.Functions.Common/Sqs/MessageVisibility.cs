using Fanout.AwsShims.Signing;
using System.Collections.Concurrent;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Fanout.Functions.Common.Sqs;

/// <summary>One record's new visibility timeout.</summary>
/// <param name="QueueArn">The record's <c>eventSourceARN</c>.</param>
/// <param name="VisibilityTimeoutSeconds">Seconds from now until the message is visible again.</param>
public sealed record VisibilityChange(string QueueArn, string MessageId, string ReceiptHandle, int VisibilityTimeoutSeconds);

/// <summary>Changes how long received messages stay invisible (the port the batch loop delays retries through).</summary>
public interface IMessageVisibility
{
    /// <summary>Applies the changes; returns the message ids whose change failed (an empty list when all worked).</summary>
    Task<IReadOnlyList<string>> ChangeAsync(IReadOnlyList<VisibilityChange> changes, CancellationToken cancellationToken);
}

/// <summary>Applies visibility changes with SQS <c>ChangeMessageVisibilityBatch</c>, ten entries a call, per queue.
/// Needs <c>sqs:ChangeMessageVisibility</c> on the queue. The queue URL is derived from the record's ARN
/// (<see cref="SqsQueueUrl.FromArn"/>); an emulator that names its queues differently (fauxqs answers
/// <c>http://sqs.region.localhost:port/…</c>) is asked once with <c>GetQueueUrl</c> and the answer kept.</summary>
public sealed class SqsMessageVisibility : IMessageVisibility
{
    private const int MaxBatchEntries = 10;
    private readonly IAmazonSQS _sqs;
    private readonly Uri? _endpoint;
    private readonly ConcurrentDictionary<string, string> _resolved = new(StringComparer.Ordinal);

    /// <param name="endpoint">The SQS endpoint queue URLs are built on (<c>AWS_ENDPOINT_URL_SQS</c>, then
    /// <c>AWS_ENDPOINT_URL</c>); null for AWS's regional endpoint.</param>
    public SqsMessageVisibility(IAmazonSQS sqs, Uri? endpoint)
    {
        ArgumentNullException.ThrowIfNull(sqs);
        _sqs = sqs;
        _endpoint = endpoint;
    }

    public async Task<IReadOnlyList<string>> ChangeAsync(IReadOnlyList<VisibilityChange> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var failed = new List<string>();
        foreach (var queue in changes.GroupBy(c => c.QueueArn, StringComparer.Ordinal))
        {
            var entries = queue.ToList();
            if (_resolved.TryGetValue(queue.Key, out var known))
            {
                failed.AddRange(await ChangeOnAsync(known, entries, cancellationToken));
                continue;
            }

            if (SqsQueueUrl.FromArn(queue.Key, _endpoint) is not { } derived)
            {
                failed.AddRange(entries.Select(c => c.MessageId));
                continue;
            }

            try
            {
                failed.AddRange(await ChangeOnAsync(derived, entries, cancellationToken));
                _resolved[queue.Key] = derived;
            }
            catch (QueueDoesNotExistException) when (_endpoint is not null)
            {
                var parts = queue.Key.Split(':');
                var lookup = await _sqs.GetQueueUrlAsync(new GetQueueUrlRequest { QueueName = parts[5], QueueOwnerAWSAccountId = parts[4] }, cancellationToken);
                _resolved[queue.Key] = lookup.QueueUrl;
                failed.AddRange(await ChangeOnAsync(lookup.QueueUrl, entries, cancellationToken));
            }
        }

        return failed;
    }

    private async Task<List<string>> ChangeOnAsync(string queueUrl, List<VisibilityChange> changes, CancellationToken cancellationToken)
    {
        var failed = new List<string>();
        foreach (var chunk in changes.Chunk(MaxBatchEntries))
        {
            var response = await _sqs.ChangeMessageVisibilityBatchAsync(
                new ChangeMessageVisibilityBatchRequest
                {
                    QueueUrl = queueUrl,
                    // Entry ids only need to be unique within the call; message ids are, and read well in errors.
                    Entries = [.. chunk.Select(c => new ChangeMessageVisibilityBatchRequestEntry
                    {
                        Id = c.MessageId,
                        ReceiptHandle = c.ReceiptHandle,
                        VisibilityTimeout = c.VisibilityTimeoutSeconds,
                    })],
                },
                cancellationToken);
            failed.AddRange(response.Failed?.Select(f => f.Id) ?? []);
        }

        return failed;
    }
}

/// <summary>Queue URLs from queue ARNs (<c>arn:partition:sqs:region:account:name</c>), as SQS spells them:
/// <c>https://sqs.region.amazonaws.com/account/name</c> on AWS, <c>endpoint/account/name</c> on an emulator.</summary>
public static class SqsQueueUrl
{
    /// <summary>The URL of the queue <paramref name="queueArn"/> names, or null when it is not an SQS queue ARN.</summary>
    public static string? FromArn(string queueArn, Uri? endpoint)
    {
        var parts = (queueArn ?? "").Split(':');
        if (parts.Length != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts.Skip(3).Any(string.IsNullOrEmpty))
        {
            return null;
        }

        var (region, account, name) = (parts[3], parts[4], parts[5]);
        var root = endpoint is null
            ? $"https://sqs.{region}.{(parts[1] == "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com")}"
            : endpoint.ToString().TrimEnd('/');
        return $"{root}/{account}/{name}";
    }

    /// <summary>The SQS endpoint override from the standard variables (<see cref="AwsEndpoint.Configured"/>), or null for AWS.</summary>
    public static Uri? EndpointFromEnvironment(Func<string, string?>? environment = null) => AwsEndpoint.Configured("SQS", environment);
}
