using System.Globalization;
using Amazon.CDK;
using Constructs;
using Fanout.Contracts.Configuration;
using Fanout.Contracts.Topology;
using Fanout.Infra.Constructs;

namespace Fanout.Infra;

public sealed class FanoutStackProps : StackProps
{
    public required StackSettings Settings { get; init; }

    /// <summary>The consumers to deploy; the shared topology unless a test passes its own.</summary>
    public IReadOnlyList<ConsumerSpec> Consumers { get; init; } = FanoutTopology.Consumers;

    public FunctionSpec OrderIntake { get; init; } = FanoutTopology.OrderIntake;

    public FunctionSpec OutboxRelay { get; init; } = FanoutTopology.OutboxRelay;

    public FunctionSpec Reconciler { get; init; } = FanoutTopology.Reconciler;

    public IReadOnlyList<TableSpec> Tables { get; init; } = FanoutTopology.Tables;
}

/// <summary>The whole fan-out, in the order a request travels:
/// (sign-in →) HTTP API with a JWT authorizer → OrderIntake → order-events topic → (filtered subscription → queue → consumer function) × N,
/// each service with its own table; the orders table's outbox drained by the outbox relay (its stream) and, for
/// orders stuck anyway, the scheduled reconciler; and monitoring over all of it.</summary>
public sealed class FanoutStack : Stack
{
    public FanoutStack(Construct scope, string id, FanoutStackProps props)
        : base(scope, id, props)
    {
        ArgumentNullException.ThrowIfNull(props);
        ArgumentNullException.ThrowIfNull(props.Settings);
        // The rules CloudFormation and CDK do not check (visibility timeout vs. function timeout: aws-cdk#20527),
        // checked here so a bad topology fails `cdk synth` instead of redelivering messages in production.
        FanoutTopology.Validate(props.Consumers);
        var settings = props.Settings;
        // Lets the bill be split by project (activate the tag as a cost allocation tag once).
        Amazon.CDK.Tags.Of(this).Add("project", "fanout");

        var key = new MessagingKey(this, "MessagingKey", new MessagingKeyProps { AliasName = $"alias/{StackName}/messaging" });
        var orderEvents = new EncryptedTopic(this, "OrderEvents", new EncryptedTopicProps
        {
            Key = key.Key,
            TopicName = FanoutTopology.TopicName,
            DisplayName = "Fanout order events",
            ActiveTracing = true,
        });
        key.AllowSnsDelivery(FanoutTopology.TopicName);

        var tables = props.Tables.ToDictionary(
            spec => spec,
            spec => new ServiceTable(this, Pascal(spec.Id) + "Table", new ServiceTableProps
            {
                Spec = spec,
                Destroy = settings.DestroyTables,
                // The outbox lives in the order service's table: the relay reads its stream, the reconciler its index.
                Outbox = spec == props.OutboxRelay.Table || spec == props.Reconciler.Table,
            }));

        var intake = new FanoutFunction(this, props.OrderIntake.Name, new FanoutFunctionProps
        {
            Spec = props.OrderIntake,
            ServiceName = props.OrderIntake.Service
                ?? throw new TopologyException($"Function '{props.OrderIntake.Name}' is no consumer, so its spec must name its Service."),
            Table = TableOf(tables, props.OrderIntake).Table,
            OrderEvents = orderEvents.Topic,
            Key = key.Key,
            Settings = settings,
            ExtraEnvironment = new Dictionary<string, string>
            {
                [SettingNames.SmsAllowedCountryCodes] = string.Join(",", settings.SmsAllowedCountryCodes),
                // How long a request waits for its inline publish before answering 202 anyway (the entry is durable).
                [SettingNames.InlinePublishTimeoutMs] = OutboxSpec.InlinePublishTimeoutMs.ToString(CultureInfo.InvariantCulture),
            },
            TableGrants = TableItemScopes.For(props.OrderIntake),
        });

        // The stack's own user pool issues the tokens unless the deployer brings an issuer (CDK context jwtIssuer).
        var signIn = settings.BringsOwnIssuer ? null : new ShopSignIn(this, "SignIn", new ShopSignInProps { Destroy = settings.DestroyTables });
        var issuer = signIn?.Issuer ?? settings.JwtIssuer!;
        var api = new OrderApi(this, "OrderApi", new OrderApiProps
        {
            Handler = intake.Function,
            ThrottleRate = settings.ApiThrottleRate,
            ThrottleBurst = settings.ApiThrottleBurst,
            LogRetention = settings.LogRetention,
            JwtIssuer = issuer,
            JwtAudience = signIn?.Audience ?? settings.JwtAudience,
            CorsAllowedOrigins = settings.CorsAllowedOrigins,
        });

        var consumers = props.Consumers.Select(consumer => new ConsumerService(this, consumer.Function.Name, new ConsumerServiceProps
        {
            Consumer = consumer,
            Queues = new ConsumerQueue(this, consumer.Function.Name + "Queues", new ConsumerQueueProps
            {
                Consumer = consumer,
                Topic = orderEvents.Topic,
                Key = key.Key,
            }),
            Table = TableOf(tables, consumer.Function).Table,
            OrderEvents = orderEvents.Topic,
            Key = key.Key,
            Settings = settings,
            TableGrants = TableItemScopes.For(consumer.Function),
        })).ToList();

        var relay = new OutboxRelayService(this, props.OutboxRelay.Name, new OutboxRelayServiceProps
        {
            Spec = props.OutboxRelay,
            Table = TableOf(tables, props.OutboxRelay).Table,
            OrderEvents = orderEvents.Topic,
            Key = key.Key,
            Settings = settings,
        });

        var reconciler = new ReconcilerService(this, props.Reconciler.Name, new ReconcilerServiceProps
        {
            Spec = props.Reconciler,
            Table = TableOf(tables, props.Reconciler).Table,
            OrderEvents = orderEvents.Topic,
            Key = key.Key,
            Settings = settings,
        });

        var monitoring = new Monitoring(this, "Monitoring", new MonitoringProps
        {
            Key = key,
            OrderEvents = orderEvents.Topic,
            Api = api.Api,
            Consumers = consumers,
            Functions = [intake, .. consumers.Select(c => c.Function), relay.Function, reconciler.Function],
            QueueAgeAlarmSeconds = settings.QueueAgeAlarmSeconds,
            AlarmEmail = settings.AlarmEmail,
            FailureQueues =
            [
                new FailureQueue(props.OutboxRelay.Name + "FailureQueue", relay.FailureQueue,
                    "the outbox relay gave up on stream batches (retries or record age exhausted); the reconciler republishes what those orders owe"),
                new FailureQueue(props.Reconciler.Name + "ScheduleDeadLetterQueue", reconciler.ScheduleDeadLetterQueue,
                    "EventBridge Scheduler could not invoke the reconciler"),
            ],
            StreamReader = relay.Function,
            StuckOrdersService = props.Reconciler.Service,
            // Order status applies the outcomes, so it is where an order's end-to-end latency is measured.
            EndToEndService = props.Consumers.FirstOrDefault(c => c.Function.Name == FanoutTopology.OrderStatus.Function.Name)?.Service,
            EndToEndSloMs = settings.EndToEndSloMs,
        });

        // Output names are shared with the `fanout` CLI, which operates a deployed stack from its outputs alone.
        Output(StackOutputNames.ApiUrl, api.Url, "Base URL of the order API (POST /orders, GET /orders/{id})");
        Output(StackOutputNames.TopicArn, orderEvents.Topic.TopicArn, "The order-events topic");
        Output(StackOutputNames.Region, Region, "The region the stack is deployed in");
        Output(StackOutputNames.JwtIssuer, issuer, "The issuer the API accepts access tokens from (their iss claim)");
        if (signIn is not null)
        {
            Output(StackOutputNames.UserPoolId, signIn.UserPool.UserPoolId, "The shop's Cognito user pool (aws cognito-idp admin-create-user --user-pool-id ...)");
            Output(StackOutputNames.UserPoolClientId, signIn.Client.UserPoolClientId, "The shop front-end's app client: the access tokens' client_id");
        }

        Output("AlarmTopicArn", monitoring.AlarmTopic.Topic.TopicArn, "Subscribe here to receive the alarms");
        foreach (var consumer in consumers)
        {
            Output(StackOutputNames.QueueUrl(consumer.Consumer), consumer.Queues.Queue.QueueUrl, $"{consumer.Consumer.Function.Name}'s queue");
            Output(StackOutputNames.DeadLetterQueueUrl(consumer.Consumer), consumer.Queues.DeadLetterQueue.QueueUrl, $"{consumer.Consumer.Function.Name}'s dead-letter queue");
        }

        Output(OutboxRelayFailureQueueUrlOutput, relay.FailureQueue.QueueUrl, "Stream batches the outbox relay gave up on (their shard and sequence numbers)");
        Output(ReconcilerScheduleDeadLetterQueueUrlOutput, reconciler.ScheduleDeadLetterQueue.QueueUrl, "Scheduled reconciler runs EventBridge Scheduler could not start");
        foreach (var table in tables.Values)
        {
            Output(StackOutputNames.TableName(table.Spec), table.Table.TableName, $"The {table.Spec.Id} service's table");
        }
    }

    /// <summary>The output naming the outbox relay's on-failure queue.</summary>
    public const string OutboxRelayFailureQueueUrlOutput = "OutboxRelayFailureQueueUrl";

    /// <summary>The output naming the reconciler schedule's dead-letter queue.</summary>
    public const string ReconcilerScheduleDeadLetterQueueUrlOutput = "ReconcilerScheduleDeadLetterQueueUrl";

    private void Output(string name, string value, string description) =>
        _ = new CfnOutput(this, name, new CfnOutputProps { Value = value, Description = description });

    private static ServiceTable TableOf(Dictionary<TableSpec, ServiceTable> tables, FunctionSpec function) =>
        tables.TryGetValue(function.Table, out var table)
            ? table
            : throw new TopologyException($"Function '{function.Name}' uses table '{function.Table.Id}', which is not among the stack's tables.");

    private static string Pascal(string id) => string.Concat(
        id.Split('-', '_').Where(part => part.Length > 0).Select(part => char.ToUpperInvariant(part[0]) + part[1..]));
}
