using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using Fanout.Cli.Api;
using Fanout.Cli.SignIn;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Harness;
using Fanout.Harness.Http;
using Fanout.Harness.Metering;
using Fanout.OrderIntake.Core;

namespace Fanout.Cli.Cost;

internal sealed record CostOptions
{
    public const string Sku = "MUG-WHITE";

    public int Orders { get; init; } = 100;

    /// <summary>Orders placed and settled before the window opens, so the in-process JIT's first-call compilation
    /// (which a Native AOT function on Lambda does not pay) is not billed to the measured orders.</summary>
    public int WarmUpOrders { get; init; } = 1;

    /// <summary>Orders in flight at once.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary><c>x86_64</c> or <c>arm64</c>; null reads the stack's <c>architecture</c> context from cdk.json.</summary>
    public string? Architecture { get; init; }

    /// <summary>The share of orders X-Ray records (1: every order).</summary>
    public double TraceSampling { get; init; } = 1.0;

    /// <summary>How long the system must show no activity (no invocation running or finishing, no publish, no
    /// message in any queue) before the run's window closes.</summary>
    public TimeSpan QuietPeriod { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>The longest wait for the orders to settle after the last POST was answered.</summary>
    public TimeSpan SettleTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Attaches the DynamoDB meter that applies AWS's rules (item sizes, ×2 in transactions), e.g.
    /// <c>DynamoDbCapacityMeter.Attach</c>; null reports DynamoDB Local's own figure in its place, labelled as such.
    /// Disposed (if disposable) when the window closes.</summary>
    public Func<IDynamoDbMeter>? AttachRulesMeter { get; init; }
}

/// <summary>`fanout cost`: starts a fresh local system (its own emulators on free ports, its own sign-in), places N
/// identical orders through the HTTP API with a JWT (one line of one SKU, with a phone, so inventory, SMS and e-mail
/// all do their work), waits until the system is quiet, reads each order once, and returns what the window between
/// the first POST and that read cost, counted where each service bills it.</summary>
internal static class CostRunner
{
    public static async Task<CostMeasurement> MeasureAsync(CostOptions options, Action<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Orders, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Concurrency, 1);
        var architecture = options.Architecture ?? StackArchitecture(RepositoryLayout.FindRoot());

        // Attached before any AWS client exists: the SDK customizes a client's pipeline when it is built.
        var calls = AwsCallMeter.Attach();
        var rules = options.AttachRulesMeter?.Invoke();
        var invocations = new InvocationMeter();
        var publishes = new PublishMeter();
        var log = new CountingTextWriter(TextWriter.Null);

        progress("starting a fresh local system (emulators, topology, sign-in)...");
        await using var fanout = await LocalFanout.StartAsync(
            new LocalFanoutOptions
            {
                Emulators = EmulatorChoice.Embedded,
                FunctionLog = TextWriter.Synchronized(log),
                DecorateHandler = invocations.Wrap,
                DecoratePublisher = publishes.Wrap,
            },
            cancellationToken);
        var identity = fanout.Identity ?? throw new InvalidOperationException("The local sign-in did not start.");
        await fanout.Stock.SetAsync(CostOptions.Sku, options.Orders + 1000, cancellationToken);
        await using var server = await LocalApiServer.StartAsync(fanout.OrderApi, new LocalApiOptions { Authorizer = identity.CreateAuthorizer(TimeProvider.System) }, cancellationToken);
        var token = await identity.SignInAsync(identity.Customer, cancellationToken);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var api = new OrderApiClient(http, server.Url, new GivenAccessToken(token, "the local customer"));

        // Whatever starting up and warming up cost is not the orders' cost.
        for (var i = 1; i <= options.WarmUpOrders; i++)
        {
            var warmUp = await api.PlaceAsync(Order("warmup", i), null, cancellationToken);
            api.EnsureAuthorized(warmUp.Status);
            if (warmUp.Accepted)
            {
                await api.GetAsync(warmUp.OrderId!, cancellationToken);
            }
        }

        await WaitQuietAsync(fanout, invocations, publishes, options.QuietPeriod, options.SettleTimeout, cancellationToken);
        var sqs0 = calls.Sqs();
        var dynamo0 = calls.DynamoDb();
        var rules0 = rules?.Snapshot();
        var functions0 = invocations.Snapshot();
        var publishes0 = publishes.Snapshot();
        var log0 = log.Bytes;
        var clock = Stopwatch.StartNew();

        progress($"placing {options.Orders} orders through {server.Url} ({options.Concurrency} at a time)...");
        var runId = Guid.NewGuid().ToString("N")[..8];
        var accepted = new ConcurrentBag<string>();
        long apiRequests = 0;
        await Parallel.ForEachAsync(
            Enumerable.Range(1, options.Orders),
            new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var placed = await api.PlaceAsync(Order(runId, i), null, ct);
                Interlocked.Increment(ref apiRequests);
                api.EnsureAuthorized(placed.Status);
                if (placed.Accepted)
                {
                    accepted.Add(placed.OrderId!);
                }
            });

        progress($"{accepted.Count} accepted; waiting for the system to go quiet...");
        await WaitQuietAsync(fanout, invocations, publishes, options.QuietPeriod, options.SettleTimeout, cancellationToken);

        var completed = 0;
        foreach (var orderId in accepted)
        {
            var read = await api.GetAsync(orderId, cancellationToken);
            apiRequests++;
            if (read.Status == HttpStatusCode.OK && read.Order?.Status == "COMPLETED")
            {
                completed++;
            }
        }

        clock.Stop();
        // With a rules meter attached, its own cross-check is the one to use: it reads items around each write with
        // an un-metered client of its own, which this process-wide call meter would count as the system's reads.
        var byRules = rules?.Snapshot().Since(rules0!);
        (rules as IDisposable)?.Dispose();
        var functions = invocations.Snapshot();
        var publishesNow = publishes.Snapshot();
        return new CostMeasurement
        {
            OrdersPlaced = options.Orders,
            OrdersCompleted = completed,
            PublishesByType = publishesNow.ToDictionary(p => p.Key, p => p.Value - publishes0.GetValueOrDefault(p.Key), StringComparer.Ordinal)
                .Where(p => p.Value > 0).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
            Sqs = calls.Sqs().Since(sqs0),
            DynamoDbByRules = byRules,
            DynamoDbReported = byRules is { } r
                ? new ReportedDynamoDbUsage(r.ReportedWriteUnits, r.ReportedReadUnits, r.WriteRequests, r.ReadRequests)
                : calls.DynamoDb().Since(dynamo0),
            Functions = [.. functions.Values.Select(f => Measure(f.Since(functions0.GetValueOrDefault(f.Function)))).Where(f => f.Invocations > 0)],
            ApiRequests = apiRequests,
            LogBytes = log.Bytes - log0,
            Architecture = architecture,
            TraceSampling = options.TraceSampling,
            Elapsed = clock.Elapsed,
        };
    }

    /// <summary>The Lambda architecture the stack deploys: the <c>architecture</c> context of cdk.json (x86_64 if absent).</summary>
    internal static string StackArchitecture(string repoRoot)
    {
        var path = Path.Combine(repoRoot, "cdk.json");
        if (!File.Exists(path))
        {
            return CostModel.X86;
        }

        using var json = JsonDocument.Parse(File.ReadAllText(path));
        return json.RootElement.TryGetProperty("context", out var context)
            && context.TryGetProperty("architecture", out var value)
            && value.GetString() == CostModel.Arm64
                ? CostModel.Arm64
                : CostModel.X86;
    }

    private static FunctionMeasurement Measure(FunctionUsage usage)
    {
        var spec = Functions.FirstOrDefault(f => f.Name == usage.Function)
            ?? throw new InvalidOperationException($"No function named '{usage.Function}' in the topology.");
        return new FunctionMeasurement(usage.Function, spec.MemoryMb, usage.Invocations, usage.BilledMilliseconds, spec != FanoutTopology.Reconciler);
    }

    private static IEnumerable<FunctionSpec> Functions =>
        [FanoutTopology.OrderIntake, FanoutTopology.OutboxRelay, FanoutTopology.Reconciler, .. FanoutTopology.Consumers.Select(c => c.Function)];

    private static PlaceOrderCommand Order(string runId, int sequence) => new()
    {
        // No customer id: the API takes the customer from the token. The mailbox is synthetic.
        Customer = new CustomerInfo { Email = $"cost-{runId}-{sequence}@example.com", Phone = "+14155550123" },
        Items = [new OrderLine { Sku = CostOptions.Sku, Quantity = 1 }],
    };

    /// <summary>Polls (every 100 ms, until <paramref name="timeout"/>) for a system with nothing to do: no invocation
    /// running, no message in any consumer queue (visible or in flight), and no invocation or publish finishing for
    /// <paramref name="quiet"/>. The queue depth reads are not metered.</summary>
    /// <exception cref="TimeoutException">The system did not go quiet in time.</exception>
    private static async Task WaitQuietAsync(LocalFanout fanout, InvocationMeter invocations, PublishMeter publishes, TimeSpan quiet, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        var quietSince = Stopwatch.StartNew();
        var last = (-1L, -1L);
        while (true)
        {
            var now = (invocations.Total, publishes.Total);
            if (now != last || invocations.InFlight > 0 || await QueuedAsync(fanout.Sqs, fanout, cancellationToken) > 0)
            {
                last = now;
                quietSince.Restart();
            }
            else if (quietSince.Elapsed >= quiet)
            {
                return;
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"The system did not go quiet within {timeout.TotalSeconds:0} s.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    private static async Task<long> QueuedAsync(IAmazonSQS sqs, LocalFanout fanout, CancellationToken cancellationToken)
    {
        using var unmetered = AwsCallMeter.Suspend();
        long total = 0;
        foreach (var queue in fanout.Topology.Queues.Values)
        {
            var attributes = await sqs.GetQueueAttributesAsync(
                new GetQueueAttributesRequest { QueueUrl = queue.QueueUrl, AttributeNames = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] },
                cancellationToken);
            total += attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible;
        }

        return total;
    }
}
