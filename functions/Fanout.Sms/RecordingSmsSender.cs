using Amazon.DynamoDBv2;
using Fanout.Functions.Common.Sqs;
using Fanout.Sms.Core;

namespace Fanout.Sms;

/// <summary>The default sender: records the rendered SMS as <c>SMS#&lt;orderId&gt;#&lt;notification&gt;</c> in the
/// sms table instead of sending it (item shape: <see cref="RecordedMessages"/>).</summary>
public sealed class RecordingSmsSender : ISmsSender
{
    public const string KeyPrefix = "SMS#";
    public const string Channel = "sms";

    /// <summary>Stored as the notification of a text <see cref="SmsRenderer"/> did not make.</summary>
    public const string UnknownNotification = "UNKNOWN";

    private readonly RecordedMessages _messages;

    public RecordingSmsSender(IAmazonDynamoDB dynamo, string tableName, TimeProvider time) =>
        _messages = new RecordedMessages(dynamo, tableName, KeyPrefix, Channel, time);

    public Task<string> SendAsync(string orderId, string phoneNumber, string text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _messages.RecordAsync(
            orderId,
            SmsRenderer.KindOf(text) ?? UnknownNotification,
            new Dictionary<string, string> { ["to"] = phoneNumber, ["text"] = text },
            cancellationToken);
    }
}
