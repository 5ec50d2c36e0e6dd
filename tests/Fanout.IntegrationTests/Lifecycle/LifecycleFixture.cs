using System.Collections.Concurrent;
using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Publishing;
using Fanout.Harness;
using Fanout.IntegrationTests.Support;

namespace Fanout.IntegrationTests.Lifecycle;

/// <summary>A local Fanout with three test switches, each keyed by text that only one test's order carries (a
/// customer id or an order id), so tests sharing the fixture never trip each other's switch:
/// <list type="bullet">
/// <item><see cref="HoldOrderPlaced"/>: the inventory consumer does not see an <c>OrderPlaced</c> whose envelope
/// contains the marker until the test opens the gate (the record is answered as a batch item failure, so SQS
/// delivers it again later): how an <c>OrderCancelled</c> overtakes its <c>OrderPlaced</c>.</item>
/// <item><see cref="FailRelease"/>: the inventory consumer's publisher throws on an <c>InventoryReleased</c> for
/// that order, inside the consumer, so the consumer records the failure's reason and SQS retries, then
/// dead-letters, the <c>OrderCancelled</c>: a compensation that fails every time.</item>
/// <item><see cref="Published"/>: every event the order service published (inline, relay or reconciler), so a test
/// can deliver the very same <c>OrderCancelled</c> bytes again.</item>
/// </list></summary>
public sealed class LifecycleFixture : FanoutFixture
{
    /// <summary>The message the release fault throws with: what the DLQ's recorded reason must show.</summary>
    public const string ReleaseFaultMessage = "Injected fault: InventoryReleased could not be published";

    private readonly ConcurrentDictionary<string, Gate> _holds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _failRelease = new(StringComparer.Ordinal);

    /// <summary>Every event published by the order service's functions, in publish order.</summary>
    public ConcurrentQueue<OutgoingEvent> Published { get; } = [];

    protected override LocalFanoutOptions Options => base.Options with
    {
        // A held invocation returns at once; the function timeout only bounds real work.
        FunctionTimeout = TimeSpan.FromSeconds(20),
        DecorateHandler = (function, inner) => function == FanoutTopology.Inventory.Function.Name ? new HoldingHandler(inner, this) : inner,
        DecoratePublisher = (function, inner) =>
        {
            if (function == FanoutTopology.Inventory.Function.Name)
            {
                return new FailingReleasePublisher(inner, this);
            }

            return function == FanoutTopology.OrderIntake.Name || function == FanoutTopology.OutboxRelay.Name || function == FanoutTopology.Reconciler.Name
                ? new CapturingPublisher(inner, Published)
                : inner;
        },
    };

    /// <summary>Holds every inventory <c>OrderPlaced</c> whose envelope contains <paramref name="marker"/> until the
    /// returned gate is opened.</summary>
    public Gate HoldOrderPlaced(string marker)
    {
        var gate = new Gate();
        _holds[marker] = gate;
        return gate;
    }

    /// <summary>Turns the release fault on or off for one order.</summary>
    public void FailRelease(string orderId, bool fail)
    {
        if (fail)
        {
            _failRelease[orderId] = true;
        }
        else
        {
            _failRelease.TryRemove(orderId, out _);
        }
    }

    /// <summary>The <c>OrderCancelled</c> the order service published for <paramref name="orderId"/>, if any.</summary>
    public OutgoingEvent? CancelledEvent(string orderId) =>
        Published.FirstOrDefault(e => e.Type == EventTypes.OrderCancelled && e.Id == EventIds.For(orderId, "orders", "CANCELLED"));

    /// <summary>Closed until <see cref="Open"/>; counts what it held back and what went through after.</summary>
    public sealed class Gate
    {
        private int _heldBack;
        private int _passed;

        public bool IsOpen { get; private set; }

        /// <summary>Deliveries answered "try again" while closed.</summary>
        public int HeldBack => Volatile.Read(ref _heldBack);

        /// <summary>Deliveries handed to the real handler after opening, that it did not report as failed.</summary>
        public int Passed => Volatile.Read(ref _passed);

        public void Open() => IsOpen = true;

        internal void CountHeldBack() => Interlocked.Increment(ref _heldBack);

        internal void CountPassed() => Interlocked.Increment(ref _passed);
    }

    private sealed class HoldingHandler(ILambdaHandler inner, LifecycleFixture fixture) : ILambdaHandler
    {
        public async Task<byte[]> InvokeAsync(ReadOnlyMemory<byte> payload, LambdaInvocation invocation, CancellationToken cancellationToken)
        {
            var sqsEvent = JsonSerializer.Deserialize(payload.Span, AwsShimsJsonContext.Default.SqsEvent)!;
            var held = new List<SqsMessage>();
            var watched = new List<(SqsMessage Message, Gate Gate)>();
            foreach (var message in sqsEvent.Records)
            {
                if (message.GetStringAttribute(EventAttributes.Type) != EventTypes.OrderPlaced)
                {
                    continue;
                }

                foreach (var (marker, gate) in fixture._holds)
                {
                    if (message.Body.Contains(marker, StringComparison.Ordinal))
                    {
                        if (gate.IsOpen)
                        {
                            watched.Add((message, gate));
                        }
                        else
                        {
                            held.Add(message);
                            gate.CountHeldBack();
                        }
                    }
                }
            }

            if (held.Count == 0 && watched.Count == 0)
            {
                return await inner.InvokeAsync(payload, invocation, cancellationToken);
            }

            var failures = held.Select(m => new BatchItemFailure { ItemIdentifier = m.MessageId }).ToList();
            var rest = new SqsEvent { Records = [.. sqsEvent.Records.Where(m => !held.Contains(m))] };
            if (rest.Records.Count > 0)
            {
                var answer = await inner.InvokeAsync(JsonSerializer.SerializeToUtf8Bytes(rest, AwsShimsJsonContext.Default.SqsEvent), invocation, cancellationToken);
                var innerFailures = answer.Length == 0 ? [] : JsonSerializer.Deserialize(answer, AwsShimsJsonContext.Default.SqsBatchResponse)?.BatchItemFailures ?? [];
                failures.AddRange(innerFailures);
                foreach (var (message, gate) in watched)
                {
                    if (!innerFailures.Any(f => f.ItemIdentifier == message.MessageId))
                    {
                        gate.CountPassed();
                    }
                }
            }

            return JsonSerializer.SerializeToUtf8Bytes(new SqsBatchResponse { BatchItemFailures = failures }, AwsShimsJsonContext.Default.SqsBatchResponse);
        }
    }

    private sealed class FailingReleasePublisher(IEventPublisher inner, LifecycleFixture fixture) : IEventPublisher
    {
        public Task PublishAsync(OutgoingEvent outgoing, CancellationToken cancellationToken)
        {
            if (outgoing.Type == EventTypes.InventoryReleased && fixture._failRelease.Keys.Any(id => outgoing.Json.Contains(id, StringComparison.Ordinal)))
            {
                throw new InvalidOperationException(ReleaseFaultMessage);
            }

            return inner.PublishAsync(outgoing, cancellationToken);
        }
    }

    private sealed class CapturingPublisher(IEventPublisher inner, ConcurrentQueue<OutgoingEvent> published) : IEventPublisher
    {
        public async Task PublishAsync(OutgoingEvent outgoing, CancellationToken cancellationToken)
        {
            await inner.PublishAsync(outgoing, cancellationToken);
            published.Enqueue(outgoing);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class LifecycleGroup : ICollectionFixture<LifecycleFixture>
{
    public const string Name = "Lifecycle";
}
