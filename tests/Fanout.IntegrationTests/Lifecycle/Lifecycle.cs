using System.Text.Json;
using Amazon.SQS.Model;
using Fanout.AwsShims.Events;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Harness;
using Fanout.IntegrationTests.Support;
using Fanout.OrderIntake.Core;

namespace Fanout.IntegrationTests.Lifecycle;

/// <summary>The cancel route and the lifecycle's observable state: order views, stock, recorded notifications.</summary>
public static class Lifecycle
{
    /// <summary><c>POST /orders/{id}/cancel</c> (<see cref="OrderApiTopology.CancelOrder"/>) as API Gateway delivers
    /// it, signed in as <paramref name="caller"/> (default: the operator).</summary>
    public static HttpApiRequest CancelRequest(string orderId, ApiCaller? caller = null)
    {
        var request = Api.Get(orderId, caller);
        var path = "/orders/" + orderId + "/cancel";
        request.RouteKey = OrderApiTopology.CancelOrder.RouteKey;
        request.RawPath = path;
        request.RequestContext.RouteKey = request.RouteKey;
        request.RequestContext.Http.Method = OrderApiTopology.CancelOrder.Method;
        request.RequestContext.Http.Path = path;
        return request;
    }

    public static Task<HttpApiResponse> CancelAsync(LocalFanout fanout, string orderId, CancellationToken cancellationToken, ApiCaller? caller = null) =>
        fanout.InvokeApiAsync(CancelRequest(orderId, caller), cancellationToken);

    /// <summary>Places an order (with a fresh <c>Idempotency-Key</c>, which POST requires) and returns its id.</summary>
    public static Task<string> PlaceAsync(LocalFanout fanout, string body, CancellationToken cancellationToken, ApiCaller? caller = null) =>
        Api.PlaceAsync(fanout, body, cancellationToken, idempotencyKey: Guid.NewGuid().ToString(), caller: caller);

    public static Task<OrderView?> WaitForStatusAsync(LocalFanout fanout, string orderId, string status, CancellationToken cancellationToken, int seconds = 60, ApiCaller? caller = null) =>
        Eventually.WaitAsync(
            () => Api.GetOrderAsync(fanout, orderId, cancellationToken, caller),
            v => v?.Status == status,
            TimeSpan.FromSeconds(seconds),
            $"order {orderId} to be {status}");

    /// <summary>The <c>notification</c> of every message the sms or email service recorded for the order (the
    /// recording senders' items: <c>orderId</c>, <c>channel</c>, <c>notification</c>, <c>sentAt</c>, <c>text</c>).</summary>
    public static async Task<List<string>> NotificationsAsync(LocalFanout fanout, TableSpec table, string orderId)
    {
        var items = await Inspect.ItemsAsync(fanout, table, "");
        return [.. items
            .Where(i => i.TryGetValue("orderId", out var id) && id.S == orderId && i.ContainsKey("sentAt") && i.ContainsKey("text"))
            .Select(i => i.TryGetValue("notification", out var kind) ? kind.S : "")
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>True when no consumer queue (DLQs aside) holds a visible or in-flight message: every delivery so far
    /// was consumed. DLQs are left out so one test's dead letters do not stall another's wait.</summary>
    public static async Task<bool> ConsumerQueuesIdleAsync(LocalFanout fanout)
    {
        foreach (var queue in fanout.Topology.Queues.Values)
        {
            var (visible, inFlight) = await Inspect.DepthAsync(fanout, queue.QueueUrl);
            if (visible + inFlight > 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Sends <paramref name="outgoing"/> straight to a consumer's queue, byte for byte, with the message
    /// attributes SNS raw delivery carries: one more at-least-once delivery.</summary>
    public static Task SendAgainAsync(LocalFanout fanout, ConsumerSpec consumer, OutgoingEventCopy outgoing, CancellationToken cancellationToken) =>
        fanout.Sqs.SendMessageAsync(
            new SendMessageRequest
            {
                QueueUrl = fanout.Topology.QueueFor(consumer).QueueUrl,
                MessageBody = outgoing.Json,
                MessageAttributes = new Dictionary<string, MessageAttributeValue>
                {
                    [EventAttributes.Type] = new() { DataType = "String", StringValue = outgoing.Type },
                    [EventAttributes.CorrelationId] = new() { DataType = "String", StringValue = outgoing.CorrelationId },
                },
            },
            cancellationToken);

    /// <summary>Moves every message of a consumer's DLQ back to its queue with SQS calls (receive, send with the
    /// same body and attributes, delete): what <c>fanout dlq redrive</c> does where StartMessageMoveTask is missing.</summary>
    /// <returns>How many messages were moved.</returns>
    public static async Task<int> RedriveAsync(LocalFanout fanout, ConsumerSpec consumer, CancellationToken cancellationToken)
    {
        var queue = fanout.Topology.QueueFor(consumer);
        var moved = 0;
        while (true)
        {
            var batch = await fanout.Sqs.ReceiveMessageAsync(
                new ReceiveMessageRequest { QueueUrl = queue.DeadLetterQueueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 1, VisibilityTimeout = 30, MessageAttributeNames = ["All"] },
                cancellationToken);
            if (batch.Messages is not { Count: > 0 } messages)
            {
                return moved;
            }

            foreach (var message in messages)
            {
                await fanout.Sqs.SendMessageAsync(
                    new SendMessageRequest { QueueUrl = queue.QueueUrl, MessageBody = message.Body, MessageAttributes = message.MessageAttributes },
                    cancellationToken);
                await fanout.Sqs.DeleteMessageAsync(queue.DeadLetterQueueUrl, message.ReceiptHandle, cancellationToken);
                moved++;
            }
        }
    }

    /// <summary>The <c>status</c> of a problem or accepted answer's JSON body.</summary>
    public static string? BodyStatus(HttpApiResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (string.IsNullOrEmpty(response.Body))
        {
            return null;
        }

        using var json = JsonDocument.Parse(response.Body);
        return json.RootElement.TryGetProperty("status", out var status) ? status.ToString() : null;
    }
}

/// <summary>What a test re-sends of a published event.</summary>
public sealed record OutgoingEventCopy(string Type, string CorrelationId, string Json)
{
    public static OutgoingEventCopy Of(Fanout.Functions.Common.Publishing.OutgoingEvent outgoing)
    {
        ArgumentNullException.ThrowIfNull(outgoing);
        return new OutgoingEventCopy(outgoing.Type, outgoing.CorrelationId, outgoing.Json);
    }
}
