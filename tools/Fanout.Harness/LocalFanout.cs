using System.Globalization;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.SQS;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.AwsShims.Runtime;
using Fanout.AwsShims.Sns;
using Fanout.Contracts.Configuration;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Aws;
using Fanout.Functions.Common.Configuration;
using Fanout.Functions.Common.Publishing;
using Fanout.Harness.Emulators;
using Fanout.Harness.EventSources;
using Fanout.Harness.Identity;
using Fanout.Harness.Provisioning;
using Fanout.Inventory;
using Fanout.Reconciler.Core;

namespace Fanout.Harness;

/// <summary>Which AWS endpoints the local system runs against.</summary>
public enum EmulatorChoice
{
    /// <summary>fauxqs + DynamoDB Local, started on free ports (no Docker).</summary>
    Embedded,

    /// <summary>LocalStack in Docker via Testcontainers.</summary>
    LocalStack,

    /// <summary>Endpoints already running, from <c>AWS_ENDPOINT_URL</c> (or the per-service variables).</summary>
    External,
}

public sealed record LocalFanoutOptions
{
    public const string EmulatorVariable = "FANOUT_EMULATOR";

    public EmulatorChoice Emulators { get; init; } = EmulatorChoiceFromEnvironment();

    public string Region { get; init; } = "us-east-1";

    /// <summary>Whether to start cognito-local and provision the shop's user pool (<see cref="LocalFanout.Identity"/>),
    /// whatever <see cref="Emulators"/> is: LocalStack's community image has no Cognito. Tests that call the handler
    /// directly turn it off and start faster.</summary>
    public bool SignIn { get; init; } = true;

    /// <summary>Locally, failed records come back after this many seconds (AWS: 6 × function timeout).</summary>
    public int VisibilityTimeoutSeconds { get; init; } = 30;

    /// <summary>The "function timeout": each invocation's deadline is this far after it starts, and the handler's
    /// token is cancelled just before it, as the Lambda runtime does.</summary>
    public TimeSpan FunctionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Test switch: wraps a service's publisher (key: function name, e.g. "Sms").</summary>
    public Func<string, IEventPublisher, IEventPublisher>? DecoratePublisher { get; init; }

    /// <summary>The first retry delay of a transiently failed record, in seconds (AWS: 2; short here so tests stay fast).</summary>
    public int RetryBackoffBaseSeconds { get; init; } = 1;

    /// <summary>The longest retry delay before jitter, in seconds (AWS: 300).</summary>
    public int RetryBackoffCapSeconds { get; init; } = 5;

    /// <summary>Test switch: wraps the SMS consumer's sender (e.g. <see cref="SenderCalls.Wrap(Fanout.Sms.Core.ISmsSender)"/>).</summary>
    public Func<Fanout.Sms.Core.ISmsSender, Fanout.Sms.Core.ISmsSender>? DecorateSmsSender { get; init; }

    /// <summary>Test switch: wraps the e-mail consumer's sender.</summary>
    public Func<Fanout.Email.Core.IEmailSender, Fanout.Email.Core.IEmailSender>? DecorateEmailSender { get; init; }

    /// <summary>Wraps a function's handler (key: function name): every consumer's, and OrderIntake's, OutboxRelay's and
    /// the Reconciler's (e.g. to meter invocations).</summary>
    public Func<string, ILambdaHandler, ILambdaHandler>? DecorateHandler { get; init; }

    /// <summary>Whether the outbox relay runs, fed by the in-process poller of the orders table's stream (on AWS: the
    /// relay's event source mapping). Tests of the intake alone may turn it off.</summary>
    public bool OutboxRelay { get; init; } = true;

    /// <summary>How often the stream poller reads the orders table's stream (default <see cref="OutboxSpec.LocalPollIntervalMs"/>).</summary>
    public TimeSpan StreamPollInterval { get; init; } = TimeSpan.FromMilliseconds(OutboxSpec.LocalPollIntervalMs);

    /// <summary>How often the reconciler runs (AWS: every <see cref="ReconcilerSpec.ScheduleMinutes"/> minutes); tests shorten it.</summary>
    public TimeSpan ReconcilerPeriod { get; init; } = TimeSpan.FromMinutes(ReconcilerSpec.ScheduleMinutes);

    /// <summary>How long an order may stay open before the reconciler counts it stuck
    /// (<see cref="SettingNames.StuckOrderThresholdSeconds"/>; default <see cref="ReconcilerSpec.DefaultStuckThresholdMinutes"/> minutes).</summary>
    public TimeSpan StuckOrderThreshold { get; init; } = TimeSpan.FromMinutes(ReconcilerSpec.DefaultStuckThresholdMinutes);

    /// <summary>Test switch: "the intake crashes between its write and its publish" (see <see cref="IntakeCrashSwitch"/>).</summary>
    public IntakeCrashSwitch? IntakeCrash { get; init; }

    /// <summary>Where the functions' JSON log lines go.</summary>
    public TextWriter FunctionLog { get; init; } = TextWriter.Null;

    /// <summary>Harness diagnostics (poll errors, failed invocations).</summary>
    public Action<string> HarnessLog { get; init; } = _ => { };

    public static EmulatorChoice EmulatorChoiceFromEnvironment() =>
        Environment.GetEnvironmentVariable(EmulatorVariable)?.ToLowerInvariant() switch
        {
            null or "" or "embedded" => EmulatorChoice.Embedded,
            "localstack" => EmulatorChoice.LocalStack,
            "external" => EmulatorChoice.External,
            var other => throw new InvalidOperationException($"{EmulatorVariable} must be embedded, localstack or external (got '{other}')."),
        };
}

/// <summary>The whole of Fanout on one machine: emulators, the provisioned topology, every function and an
/// event source mapping per consumer queue. The HTTP side is exposed as the OrderIntake handler itself.</summary>
public sealed class LocalFanout : IAsyncDisposable
{
    private readonly IEmulatorSet? _emulators;
    private readonly EmulatorProcess? _cognito;
    private readonly List<SqsEventSourceMapping> _mappings;
    private readonly IntakeCrashSwitch? _intakeCrash;
    private readonly HttpClient _streamsHttp;

    private LocalFanout(IEmulatorSet? emulators, EmulatorProcess? cognito, LocalUserPool? identity, AwsTarget target, ProvisionedTopology topology, IAmazonSQS sqs, IAmazonDynamoDB dynamo, SnsClient sns, ILambdaHandler orderApi, List<SqsEventSourceMapping> mappings, OutboxDrivers drivers)
    {
        _intakeCrash = drivers.IntakeCrash;
        _streamsHttp = drivers.StreamsHttp;
        StreamPoller = drivers.StreamPoller;
        Reconciler = drivers.Reconciler;
        MessagingPause = emulators is EmbeddedEmulators embedded ? new ProcessPause(embedded.MessagingProcessId, "fauxqs") : null;
        _emulators = emulators;
        _cognito = cognito;
        Identity = identity;
        Target = target;
        Topology = topology;
        Sqs = sqs;
        Dynamo = dynamo;
        Sns = sns;
        OrderApi = orderApi;
        _mappings = mappings;
        Stock = new StockAdmin(dynamo, topology.TableFor(FanoutTopology.InventoryTable), TimeProvider.System);
    }

    public AwsTarget Target { get; }

    public string Description =>
        (_emulators?.Description ?? $"external endpoints: {Target.Sqs}")
        + (_cognito is null ? "" : $", cognito-local on 127.0.0.1:{_cognito.Port} (pid {_cognito.ProcessId})");

    /// <summary>The local sign-in (cognito-local's pool, app client and demo users); null when
    /// <see cref="LocalFanoutOptions.SignIn"/> is off.</summary>
    public LocalUserPool? Identity { get; }

    public ProvisionedTopology Topology { get; }

    public IAmazonSQS Sqs { get; }

    public IAmazonDynamoDB Dynamo { get; }

    public SnsClient Sns { get; }

    /// <summary>The OrderIntake function, invoked with API Gateway HTTP API 2.0 JSON.</summary>
    public ILambdaHandler OrderApi { get; }

    public StockAdmin Stock { get; }

    public IReadOnlyList<SqsEventSourceMapping> Mappings => _mappings;

    /// <summary>The orders table's stream poller driving the outbox relay; null when <see cref="LocalFanoutOptions.OutboxRelay"/> is off.</summary>
    public DynamoDbStreamPoller? StreamPoller { get; }

    /// <summary>The reconciler's schedule (<see cref="ScheduledInvoker.InvokeNowAsync"/> runs it at once).</summary>
    public ScheduledInvoker Reconciler { get; }

    /// <summary>Test switch: freezes the SNS + SQS emulator (fauxqs) with <c>SIGSTOP</c>; null unless the emulators are the
    /// embedded ones. Disposing the system always resumes it first.</summary>
    public ProcessPause? MessagingPause { get; }

    public static async Task<LocalFanout> StartAsync(LocalFanoutOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var repoRoot = options.Emulators == EmulatorChoice.Embedded || options.SignIn ? RepositoryLayout.FindRoot() : "";
        var cognitoTask = options.SignIn ? StartCognitoLocalAsync(repoRoot, cancellationToken) : Task.FromResult<EmulatorProcess?>(null);
        IEmulatorSet? emulators;
        try
        {
            emulators = options.Emulators switch
            {
                EmulatorChoice.Embedded => await EmbeddedEmulators.StartAsync(repoRoot, options.Region, cancellationToken),
                EmulatorChoice.LocalStack => await LocalStackEmulator.StartAsync(options.Region, cancellationToken),
                _ => null,
            };
        }
        catch
        {
            await DisposeStartedAsync(cognitoTask);
            throw;
        }

        LocalUserPool? identity = null;
        try
        {
            var cognito = await cognitoTask;
            if (cognito is not null)
            {
                identity = await LocalUserPool.ProvisionAsync(new Uri($"http://127.0.0.1:{cognito.Port}/"), options.Region, cancellationToken);
            }

            var target = emulators?.Target ?? ExternalTarget(options.Region);
            target.ApplyToProcess();
            var sqs = new AmazonSQSClient(new AmazonSQSConfig());
            var dynamo = AwsClients.DynamoDb();
            var sns = AwsClients.Sns(TimeProvider.System);
            var topology = await new TopologyProvisioner(sqs, sns, dynamo).ProvisionAsync(new ProvisionOptions { VisibilityTimeoutSeconds = options.VisibilityTimeoutSeconds }, cancellationToken);

            ILambdaHandler orderApi = Fanout.OrderIntake.Composition.Create(Settings(FanoutTopology.OrderIntake, topology, options), TimeProvider.System, options.FunctionLog, Decorator(options, FanoutTopology.OrderIntake));
            orderApi = options.DecorateHandler?.Invoke(FanoutTopology.OrderIntake.Name, orderApi) ?? orderApi;
            var handlers = new Dictionary<string, ILambdaHandler>
            {
                [FanoutTopology.Sms.Service] = Fanout.Sms.Composition.Create(Settings(FanoutTopology.Sms.Function, topology, options), TimeProvider.System, options.FunctionLog, Decorator(options, FanoutTopology.Sms.Function), options.DecorateSmsSender),
                [FanoutTopology.Email.Service] = Fanout.Email.Composition.Create(Settings(FanoutTopology.Email.Function, topology, options), TimeProvider.System, options.FunctionLog, Decorator(options, FanoutTopology.Email.Function), options.DecorateEmailSender),
                [FanoutTopology.Inventory.Service] = Fanout.Inventory.Composition.Create(Settings(FanoutTopology.Inventory.Function, topology, options), TimeProvider.System, options.FunctionLog, Decorator(options, FanoutTopology.Inventory.Function)),
                [FanoutTopology.OrderStatus.Service] = Fanout.OrderStatus.Composition.Create(Settings(FanoutTopology.OrderStatus.Function, topology, options), TimeProvider.System, options.FunctionLog),
            };

            var drivers = StartOutboxDrivers(target, topology, options);
            var mappings = new List<SqsEventSourceMapping>();
            foreach (var consumer in FanoutTopology.Consumers)
            {
                var handler = handlers[consumer.Service];
                handler = options.DecorateHandler?.Invoke(consumer.Function.Name, handler) ?? handler;
                var mapping = new SqsEventSourceMapping(sqs, topology.QueueFor(consumer), handler, options.FunctionTimeout, options.Region, TimeProvider.System, options.HarnessLog);
                mapping.Start();
                mappings.Add(mapping);
            }

            return new LocalFanout(emulators, cognito, identity, target, topology, sqs, dynamo, sns, orderApi, mappings, drivers);
        }
        catch
        {
            identity?.Dispose();
            await DisposeStartedAsync(cognitoTask);
            if (emulators is not null)
            {
                await emulators.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Calls OrderIntake exactly as API Gateway would: request JSON in, response JSON out.</summary>
    public async Task<HttpApiResponse> InvokeApiAsync(HttpApiRequest request, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(request, AwsShimsJsonContext.Default.HttpApiRequest);
        var invocation = new LambdaInvocation(Guid.NewGuid().ToString(), DateTimeOffset.MaxValue, null, null);
        byte[] response;
        if (_intakeCrash is null)
        {
            response = await OrderApi.InvokeAsync(payload, invocation, cancellationToken);
        }
        else
        {
            var crashed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task<byte[]> handling;
            using (_intakeCrash.Begin(crashed))
            {
                handling = OrderApi.InvokeAsync(payload, invocation, cancellationToken);
            }

            if (await Task.WhenAny(handling, crashed.Task) != handling)
            {
                // The invocation is over for the caller; whatever the abandoned handler does next reaches no one.
                _ = handling.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                await crashed.Task;
            }

            response = await handling;
        }

        return JsonSerializer.Deserialize(response, AwsShimsJsonContext.Default.HttpApiResponse)
            ?? throw new InvalidOperationException("OrderIntake returned no response.");
    }

    public async ValueTask DisposeAsync()
    {
        // A frozen emulator would hang every poller's shutdown: thaw it first.
        MessagingPause?.Dispose();
        await Reconciler.DisposeAsync();
        if (StreamPoller is not null)
        {
            await StreamPoller.DisposeAsync();
        }

        _streamsHttp.Dispose();
        await Task.WhenAll(_mappings.Select(m => m.DisposeAsync().AsTask()));
        Sqs.Dispose();
        Dynamo.Dispose();
        Identity?.Dispose();
        if (_cognito is not null)
        {
            await _cognito.DisposeAsync();
        }

        if (_emulators is not null)
        {
            await _emulators.DisposeAsync();
        }
    }

    private static async Task<EmulatorProcess?> StartCognitoLocalAsync(string repoRoot, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Path.Combine(repoRoot, "node_modules", "cognito-local")))
        {
            throw new InvalidOperationException("The npm package 'cognito-local' is not installed; run scripts/install-deps.sh first.");
        }

        return await EmulatorProcess.StartAsync(repoRoot, "cognito-local.mjs", "cognito-local", TimeSpan.FromSeconds(30), cancellationToken);
    }

    // Never leave a started emulator behind when a later step fails.
    private static async Task DisposeStartedAsync(Task<EmulatorProcess?> starting)
    {
        try
        {
            if (await starting is { } process)
            {
                await process.DisposeAsync();
            }
        }
#pragma warning disable CA1031 // The failure that brought us here is the one to report; this one only means nothing started.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private static Func<IEventPublisher, IEventPublisher>? Decorator(LocalFanoutOptions options, FunctionSpec function)
    {
        var decorate = options.DecoratePublisher is { } d ? (Func<IEventPublisher, IEventPublisher>)(inner => d(function.Name, inner)) : null;
        if (function != FanoutTopology.OrderIntake || options.IntakeCrash is not { } crash)
        {
            return decorate;
        }

        // Outermost, so a crashed publish reaches no other decorator (a counting one sees only real publishes).
        return inner => crash.Wrap(decorate?.Invoke(inner) ?? inner);
    }

    /// <summary>The outbox relay behind its stream poller, and the reconciler on its schedule.</summary>
    private static OutboxDrivers StartOutboxDrivers(AwsTarget target, ProvisionedTopology topology, LocalFanoutOptions options)
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        DynamoDbStreamPoller? poller = null;
        try
        {
            if (options.OutboxRelay)
            {
                var streamArn = topology.OrdersStreamArn ?? throw new InvalidOperationException($"The orders table '{topology.TableFor(FanoutTopology.OrdersTable)}' has no stream; the outbox relay needs one (delete the table and start again).");
                ILambdaHandler relay = Fanout.OutboxRelay.Composition.Create(Settings(FanoutTopology.OutboxRelay, topology, options), TimeProvider.System, options.FunctionLog, Decorator(options, FanoutTopology.OutboxRelay));
                relay = options.DecorateHandler?.Invoke(FanoutTopology.OutboxRelay.Name, relay) ?? relay;
                var streams = new DynamoDbStreamsClient(http, new BasicAWSCredentials(target.AccessKeyId, target.SecretAccessKey), target.Region, target.DynamoDb, TimeProvider.System);
                poller = new DynamoDbStreamPoller(
                    streams,
                    streamArn,
                    relay,
                    new StreamPollerOptions
                    {
                        PollInterval = options.StreamPollInterval,
                        FunctionTimeout = options.FunctionTimeout,
                        Region = target.Region,
                        // A table made for this run is read from its start; an external one from now on.
                        StartAtTrimHorizon = options.Emulators != EmulatorChoice.External,
                    },
                    TimeProvider.System,
                    options.HarnessLog);
                poller.Start();
            }

            ILambdaHandler reconciler = Fanout.Reconciler.Composition.Create(
                Settings(FanoutTopology.Reconciler, topology, options),
                new ReconcilerSettings(options.StuckOrderThreshold),
                TimeProvider.System,
                options.FunctionLog,
                Decorator(options, FanoutTopology.Reconciler));
            reconciler = options.DecorateHandler?.Invoke(FanoutTopology.Reconciler.Name, reconciler) ?? reconciler;
            var schedule = new ScheduledInvoker(reconciler, options.ReconcilerPeriod, options.FunctionTimeout, FanoutTopology.Reconciler.Name, TimeProvider.System, options.HarnessLog);
            schedule.Start();
            return new OutboxDrivers(poller, schedule, options.IntakeCrash, http);
        }
        catch
        {
            poller?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            http.Dispose();
            throw;
        }
    }

    private sealed record OutboxDrivers(DynamoDbStreamPoller? StreamPoller, ScheduledInvoker Reconciler, IntakeCrashSwitch? IntakeCrash, HttpClient StreamsHttp);

    private static FunctionSettings Settings(FunctionSpec function, ProvisionedTopology topology, LocalFanoutOptions options)
    {
        var values = new Dictionary<string, string>
        {
            [SettingNames.TableName] = topology.TableFor(function.Table),
            [SettingNames.TopicArn] = topology.TopicArn,
            [SettingNames.RetryBackoffBaseSeconds] = options.RetryBackoffBaseSeconds.ToString(CultureInfo.InvariantCulture),
            [SettingNames.RetryBackoffCapSeconds] = options.RetryBackoffCapSeconds.ToString(CultureInfo.InvariantCulture),
            [SettingNames.IdempotencyTtlDays] = FanoutTopology.IdempotencyRetentionDays.ToString(CultureInfo.InvariantCulture),
        };
        // Sender choice and log level may still come from the developer's environment. The service name is the one the
        // stack gives the function (FunctionSpec.Service, else its consumer's, which is its project's name), so the
        // local log lines and metrics carry the same Service as on AWS.
        return FunctionSettings.FromEnvironment(
            function.Service ?? function.AssemblyName.Replace("Fanout.", "", StringComparison.Ordinal).ToLowerInvariant(),
            function.Publishes,
            name => values.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name));
    }

    private static AwsTarget ExternalTarget(string region)
    {
        string Endpoint(string service) =>
            Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_" + service) ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL")
            ?? throw new InvalidOperationException($"External endpoints need AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_{service}).");
        return new AwsTarget(
            new Uri(Endpoint("SQS")),
            new Uri(Endpoint("SNS")),
            new Uri(Endpoint("DYNAMODB")),
            Environment.GetEnvironmentVariable("AWS_REGION") ?? region,
            Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") ?? "test",
            Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY") ?? "test");
    }
}
