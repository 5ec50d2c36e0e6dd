using Fanout.Contracts.Topology;

namespace Fanout.Infra.Tests.Support;

/// <summary>Where the stack puts each piece in its construct tree (mirrors FanoutStack's composition).</summary>
internal static class Paths
{
    public static bool IsConsumer(string functionName) => FanoutTopology.Consumers.Any(c => c.Function.Name == functionName);

    public static ConsumerSpec Consumer(string functionName) => FanoutTopology.Consumers.Single(c => c.Function.Name == functionName);

    public static FunctionSpec Function(string functionName) => FanoutTopology.Functions.Single(f => f.Name == functionName);

    /// <summary>The FanoutFunction construct of a function: consumers nest it in their ConsumerService, the relay and
    /// the reconciler in their own constructs; only OrderIntake sits at the stack's root.</summary>
    public static string FanoutFunction(string functionName) => functionName == FanoutTopology.OrderIntake.Name ? functionName : $"{functionName}/Function";

    public static string LambdaFunction(string functionName) => $"{FanoutFunction(functionName)}/Function/Resource";

    public static string RolePolicy(string functionName) => $"{FanoutFunction(functionName)}/Role/DefaultPolicy/Resource";

    public static string LogGroup(string functionName) => $"{FanoutFunction(functionName)}/Logs/Resource";

    public static string EventSourceMapping(string functionName) => $"{FanoutFunction(functionName)}/Function/Queue/Resource";

    public static string Queue(string functionName) => $"{functionName}Queues/Queue/Resource";

    public static string QueuePolicy(string functionName) => $"{functionName}Queues/Queue/Policy/Resource";

    public static string DeadLetterQueue(string functionName) => $"{functionName}Queues/DeadLetterQueue/Resource";

    public static string SubscriptionDeadLetterQueue(string functionName) => $"{functionName}Queues/SubscriptionDeadLetterQueue/Resource";

    public static string Subscription(string functionName) => $"{functionName}Queues/Subscription/Resource";

    public static string Table(TableSpec table) => $"{char.ToUpperInvariant(table.Id[0])}{table.Id[1..]}Table/Table/Resource";

    public static readonly string RelayMapping = $"{FanoutTopology.OutboxRelay.Name}/Function/Function/Stream/Resource";
    public static readonly string RelayFailureQueue = $"{FanoutTopology.OutboxRelay.Name}/FailureQueue/Resource";
    public static readonly string Schedule = $"{FanoutTopology.Reconciler.Name}/Schedule";
    public static readonly string ScheduleRole = $"{FanoutTopology.Reconciler.Name}/ScheduleRole/Resource";
    public static readonly string ScheduleRolePolicy = $"{FanoutTopology.Reconciler.Name}/ScheduleRole/DefaultPolicy/Resource";
    public static readonly string ScheduleDeadLetterQueue = $"{FanoutTopology.Reconciler.Name}/ScheduleDeadLetterQueue/Resource";

    public const string Key = "MessagingKey/Key/Resource";
    public const string OrderEventsTopic = "OrderEvents/Topic/Resource";
    public const string OrderEventsTopicPolicy = "OrderEvents/Topic/Policy/Resource";
    public const string AlarmTopic = "Monitoring/AlarmTopic/Topic/Resource";
    public const string AlarmTopicPolicy = "Monitoring/AlarmTopic/Topic/Policy/Resource";
    public const string Api = "OrderApi/Api/Resource";
    public const string Stage = "OrderApi/DefaultStage/Resource";
    public const string Dashboard = "Monitoring/Dashboard/Resource";
    public const string UserPool = "SignIn/UserPool/Resource";
    public const string UserPoolClient = "SignIn/UserPool/ShopClient/Resource";

    public static TheoryData<string> ConsumerNames() => new(FanoutTopology.Consumers.Select(c => c.Function.Name));

    public static TheoryData<string> FunctionNames() => new(FanoutTopology.Functions.Select(f => f.Name));

    public static TheoryData<string> TableIds() => new(FanoutTopology.Tables.Select(t => t.Id));
}
