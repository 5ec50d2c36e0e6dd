using System.Globalization;
using Amazon.SQS.Model;
using Fanout.Cli.Dlq;
using Fanout.Cli.Queues;

namespace Fanout.Cli.Tests.TestDoubles;

/// <summary>In-memory queues with SQS's visibility semantics (receive hides, delete needs the latest receipt,
/// visibility 0 shows again) and a log of every call, so tests can check what happened in which order.</summary>
internal sealed class FakeQueueOps : IQueueOps
{
    private readonly Dictionary<string, List<Stored>> _queues = new(StringComparer.Ordinal);
    private int _nextId;

    public List<string> Log { get; } = [];

    /// <summary>Throws for a send whose body matches.</summary>
    public Func<string, bool> FailSend { get; set; } = _ => false;

    public Func<string, bool> FailDelete { get; set; } = _ => false;

    /// <summary>Returns a wrong MD5 for a send whose body matches.</summary>
    public Func<string, bool> CorruptSend { get; set; } = _ => false;

    public MoveTaskStart MoveTaskAnswer { get; set; } = new(null, "InvalidAction: Unknown action: StartMessageMoveTask");

    public Queue<MoveTaskStatus> MoveTaskStatuses { get; } = new();

    public string Add(string queueUrl, string body, Dictionary<string, MessageAttributeValue>? attributes = null)
    {
        var id = "m" + (++_nextId).ToString(CultureInfo.InvariantCulture);
        Queue(queueUrl).Add(new Stored(id, body, attributes ?? []));
        return id;
    }

    public IReadOnlyList<string> Bodies(string queueUrl) => [.. Queue(queueUrl).Select(m => m.Body)];

    public IReadOnlyList<Stored> Messages(string queueUrl) => Queue(queueUrl);

    public int Visible(string queueUrl) => Queue(queueUrl).Count(m => m.Handle is null);

    public Task<IReadOnlyList<QueueMessage>> ReceiveAsync(string queueUrl, int maxMessages, TimeSpan visibilityTimeout, TimeSpan wait, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var received = new List<QueueMessage>();
        foreach (var message in Queue(queueUrl).Where(m => m.Handle is null).Take(maxMessages))
        {
            message.Handle = Guid.NewGuid().ToString();
            message.Receives++;
            received.Add(new QueueMessage
            {
                MessageId = message.Id,
                ReceiptHandle = message.Handle,
                Body = message.Body,
                MessageAttributes = message.Attributes,
                SystemAttributes = new Dictionary<string, string> { ["ApproximateReceiveCount"] = message.Receives.ToString(CultureInfo.InvariantCulture) },
            });
        }

        Log.Add($"receive {Name(queueUrl)} {received.Count}");
        return Task.FromResult<IReadOnlyList<QueueMessage>>(received);
    }

    public Task<SentMessage> SendAsync(string queueUrl, string body, IReadOnlyDictionary<string, MessageAttributeValue> messageAttributes, CancellationToken cancellationToken)
    {
        if (FailSend(body))
        {
            Log.Add($"send-failed {Name(queueUrl)} {body}");
            throw new AmazonSqsTestException("injected send failure");
        }

        var id = Add(queueUrl, body, messageAttributes.ToDictionary());
        Log.Add($"send {Name(queueUrl)} {body}");
        return Task.FromResult(new SentMessage(id, CorruptSend(body) ? "00000000000000000000000000000000" : DlqRedriver.Md5Hex(body)));
    }

    public Task DeleteAsync(string queueUrl, string receiptHandle, CancellationToken cancellationToken)
    {
        var message = Queue(queueUrl).Single(m => m.Handle == receiptHandle);
        if (FailDelete(message.Body))
        {
            Log.Add($"delete-failed {Name(queueUrl)} {message.Body}");
            throw new AmazonSqsTestException("injected delete failure");
        }

        Queue(queueUrl).Remove(message);
        Log.Add($"delete {Name(queueUrl)} {message.Body}");
        return Task.CompletedTask;
    }

    public Task<int> ChangeVisibilityAsync(string queueUrl, IReadOnlyList<string> receiptHandles, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        var failed = 0;
        foreach (var handle in receiptHandles)
        {
            var message = Queue(queueUrl).FirstOrDefault(m => m.Handle == handle);
            if (message is null)
            {
                failed++;
            }
            else if (visibilityTimeout == TimeSpan.Zero)
            {
                message.Handle = null;
            }
        }

        Log.Add($"release {Name(queueUrl)} {receiptHandles.Count}");
        return Task.FromResult(failed);
    }

    public Task<QueueCounts> GetCountsAsync(string queueUrl, CancellationToken cancellationToken) =>
        Task.FromResult(new QueueCounts(Visible(queueUrl), Queue(queueUrl).Count(m => m.Handle is not null), 0));

    public Task<string> GetArnAsync(string queueUrl, CancellationToken cancellationToken) => Task.FromResult("arn:aws:sqs:us-east-1:000000000000:" + Name(queueUrl));

    public Task<MoveTaskStart> StartMoveTaskAsync(string sourceArn, string destinationArn, int maxPerSecond, CancellationToken cancellationToken)
    {
        Log.Add($"start-move-task {sourceArn} -> {destinationArn} @{maxPerSecond}");
        return Task.FromResult(MoveTaskAnswer);
    }

    public Task<MoveTaskStatus?> GetMoveTaskAsync(string sourceArn, string taskHandle, CancellationToken cancellationToken) =>
        Task.FromResult(MoveTaskStatuses.Count > 1 ? MoveTaskStatuses.Dequeue() : MoveTaskStatuses.TryPeek(out var last) ? last : null);

    public Task CancelMoveTaskAsync(string taskHandle, CancellationToken cancellationToken)
    {
        Log.Add("cancel-move-task " + taskHandle);
        return Task.CompletedTask;
    }

    /// <summary>Makes hidden messages visible, as an expired visibility timeout would.</summary>
    public void ExpireVisibility(string queueUrl, Func<string, bool> body)
    {
        foreach (var message in Queue(queueUrl).Where(m => body(m.Body)))
        {
            message.Handle = null;
        }
    }

    private List<Stored> Queue(string url)
    {
        if (!_queues.TryGetValue(url, out var queue))
        {
            _queues[url] = queue = [];
        }

        return queue;
    }

    private static string Name(string url) => url[(url.LastIndexOf('/') + 1)..];

    internal sealed class Stored(string id, string body, Dictionary<string, MessageAttributeValue> attributes)
    {
        public string Id { get; } = id;

        public string Body { get; } = body;

        public Dictionary<string, MessageAttributeValue> Attributes { get; } = attributes;

        public string? Handle { get; set; }

        public int Receives { get; set; }
    }
}

internal sealed class AmazonSqsTestException(string message) : Amazon.SQS.AmazonSQSException(message);
