using Amazon.DynamoDBv2;
using Fanout.Functions.Common.Idempotency;
using Fanout.Functions.Common.Sqs;
using Fanout.Sms.Core;

namespace Fanout.Sms;

/// <summary>The default sender: records the rendered SMS as <c>SMS#&lt;orderId&gt;#&lt;notification&gt;</c> in the
/// sms table instead of sending it (item shape: <see cref="RecordedMessages"/>). Transactional with its record: given
/// the event's stamp, its one conditional write is also the event's idempotency record.</summary>
public sealed class RecordingSmsSender : ISmsSender
{
    public const string KeyPrefix = "SMS#";
    public const string Channel = "sms";

    private readonly RecordedMessages _messages;

    public RecordingSmsSender(IAmazonDynamoDB dynamo, string tableName, TimeProvider time) =>
        _messages = new RecordedMessages(dynamo, tableName, KeyPrefix, Channel, time);

    public bool IsTransactionalWithRecord => true;

    public Task<string> SendAsync(string orderId, SmsMessage message, SendStamp? stamp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _messages.RecordAsync(
            orderId,
            message.Notification,
            new Dictionary<string, string> { ["to"] = message.PhoneNumber, ["text"] = message.Text },
            stamp,
            cancellationToken);
    }
}
