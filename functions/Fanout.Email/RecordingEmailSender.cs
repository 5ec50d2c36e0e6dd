using Amazon.DynamoDBv2;
using Fanout.Email.Core;
using Fanout.Functions.Common.Idempotency;
using Fanout.Functions.Common.Sqs;

namespace Fanout.Email;

/// <summary>The default sender: records the rendered e-mail as <c>EMAIL#&lt;orderId&gt;#&lt;notification&gt;</c> in
/// the email table instead of sending it (item shape: <see cref="RecordedMessages"/>). Transactional with its record: given the event's
/// stamp, its one conditional write is also the event's idempotency record.</summary>
public sealed class RecordingEmailSender : IEmailSender
{
    public const string KeyPrefix = "EMAIL#";
    public const string Channel = "email";
    private readonly RecordedMessages _messages;

    public RecordingEmailSender(IAmazonDynamoDB dynamo, string tableName, TimeProvider time) =>
        _messages = new RecordedMessages(dynamo, tableName, KeyPrefix, Channel, time);

    public bool IsTransactionalWithRecord => true;

    public Task<string> SendAsync(string orderId, EmailMessage message, SendStamp? stamp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _messages.RecordAsync(
            orderId,
            message.Notification,
            new Dictionary<string, string> { ["to"] = message.To, ["subject"] = message.Subject, ["text"] = message.Text },
            stamp,
            cancellationToken);
    }
}
