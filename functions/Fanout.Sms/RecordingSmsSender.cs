using Amazon.DynamoDBv2;
using Fanout.Functions.Common.Sqs;
using Fanout.Sms.Core;

namespace Fanout.Sms;

/// <summary>The default sender: records the rendered SMS as <c>SMS#orderId</c> in the sms table instead of sending it.</summary>
public sealed class RecordingSmsSender : ISmsSender
{
    public const string KeyPrefix = "SMS#";
    private readonly RecordedMessages _messages;

    public RecordingSmsSender(IAmazonDynamoDB dynamo, string tableName, TimeProvider time) =>
        _messages = new RecordedMessages(dynamo, tableName, KeyPrefix, time);

    public Task<string> SendAsync(string orderId, string phoneNumber, string text, CancellationToken cancellationToken) =>
        _messages.RecordAsync(orderId, new Dictionary<string, string> { ["to"] = phoneNumber, ["text"] = text }, cancellationToken);
}
