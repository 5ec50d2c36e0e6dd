using Amazon.DynamoDBv2;
using Fanout.Email.Core;
using Fanout.Functions.Common.Sqs;

namespace Fanout.Email;

/// <summary>The default sender: records the rendered e-mail as <c>EMAIL#orderId</c> in the email table instead of sending it.</summary>
public sealed class RecordingEmailSender : IEmailSender
{
    public const string KeyPrefix = "EMAIL#";
    private readonly RecordedMessages _messages;

    public RecordingEmailSender(IAmazonDynamoDB dynamo, string tableName, TimeProvider time) =>
        _messages = new RecordedMessages(dynamo, tableName, KeyPrefix, time);

    public Task<string> SendAsync(string orderId, EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _messages.RecordAsync(
            orderId,
            new Dictionary<string, string> { ["to"] = message.To, ["subject"] = message.Subject, ["text"] = message.Text },
            cancellationToken);
    }
}
