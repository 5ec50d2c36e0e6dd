using System.Globalization;
using Amazon.CDK;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.Scheduler;
using Amazon.CDK.AWS.SNS;
using Amazon.CDK.AWS.SQS;
using Constructs;
using Fanout.Contracts.Configuration;
using Fanout.Contracts.Topology;

namespace Fanout.Infra.Constructs;

public sealed class ReconcilerServiceProps
{
    /// <summary>The reconciler's function; <see cref="FanoutTopology.Reconciler"/> unless a test passes its own.</summary>
    public required FunctionSpec Spec { get; init; }

    /// <summary>The order service's table, with the <see cref="ReconcilerSpec.OpenOrdersIndex"/> index.</summary>
    public required ITable Table { get; init; }

    public required ITopic OrderEvents { get; init; }

    public required IKey Key { get; init; }

    public required StackSettings Settings { get; init; }
}

/// <summary>The reconciler: the Reconciler function, run every <see cref="ReconcilerSpec.ScheduleMinutes"/> minutes by
/// an EventBridge Scheduler schedule (AWS: "EventBridge Scheduler User Guide", schedule types and targets) whose own
/// role may only invoke it, with a retry policy and a dead-letter queue for invocations Scheduler could not make.</summary>
public sealed class ReconcilerService : Construct
{
    /// <summary>The queue for scheduled invocations Scheduler gave up on (the target's dead-letter queue).</summary>
    public const string ScheduleDeadLetterQueueName = "fanout-reconciler-schedule-dlq";

    /// <summary>How often Scheduler retries a failed invocation. A run missed for good is covered by the next one,
    /// <see cref="ReconcilerSpec.ScheduleMinutes"/> minutes later, so retrying longer than that is pointless.</summary>
    public const int ScheduleMaximumRetryAttempts = 3;

    /// <summary>How long, in seconds, Scheduler keeps trying one invocation: the schedule's period.</summary>
    public const int ScheduleMaximumEventAgeSeconds = ReconcilerSpec.ScheduleMinutes * 60;

    /// <summary>How long the dead-letter queue keeps a message, in days (SQS's maximum).</summary>
    public const int DeadLetterRetentionDays = 14;

    public ReconcilerService(Construct scope, string id, ReconcilerServiceProps props)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(props);
        ArgumentNullException.ThrowIfNull(props.Spec);
        ArgumentNullException.ThrowIfNull(props.Settings);
        ArgumentNullException.ThrowIfNull(props.Key);
        var stack = Stack.Of(this);

        Function = new FanoutFunction(this, "Function", new FanoutFunctionProps
        {
            Spec = props.Spec,
            ServiceName = props.Spec.Service
                ?? throw new TopologyException($"Function '{props.Spec.Name}' is no consumer, so its spec must name its Service."),
            Table = props.Table,
            OrderEvents = props.OrderEvents,
            Key = props.Key,
            Settings = props.Settings,
            TableGrants = TableItemScopes.For(props.Spec),
            ExtraEnvironment = new Dictionary<string, string>
            {
                [SettingNames.StuckOrderThresholdSeconds] = (props.Settings.StuckOrderThresholdMinutes * 60).ToString(CultureInfo.InvariantCulture),
            },
        });

        ScheduleDeadLetterQueue = new Queue(this, "ScheduleDeadLetterQueue", new QueueProps
        {
            QueueName = ScheduleDeadLetterQueueName,
            Encryption = QueueEncryption.KMS,
            EncryptionMasterKey = props.Key,
            EnforceSSL = true,
            RetentionPeriod = Duration.Days(DeadLetterRetentionDays),
        });

        // Scheduler's execution role (EventBridge Scheduler User Guide, "Set up the execution role"): invoke this one
        // function, and send what it could not deliver to its dead-letter queue (encrypted, so the key too).
        // aws:SourceAccount is the confused-deputy guard: Scheduler acting for another account cannot assume it.
        ScheduleRole = new Role(this, "ScheduleRole", new RoleProps
        {
            AssumedBy = new ServicePrincipal("scheduler.amazonaws.com", new ServicePrincipalOpts
            {
                Conditions = new Dictionary<string, object>
                {
                    ["StringEquals"] = new Dictionary<string, object> { ["aws:SourceAccount"] = stack.Account },
                },
            }),
            Description = $"EventBridge Scheduler: runs the Fanout {props.Spec.Name} function every {ReconcilerSpec.ScheduleMinutes} minutes.",
        });
        Allow("InvokeReconciler", ["lambda:InvokeFunction"], [Function.Function.FunctionArn]);
        Allow("SendMissedRunsToDeadLetterQueue", ["sqs:SendMessage"], [ScheduleDeadLetterQueue.QueueArn]);
        Allow("EncryptForDeadLetterQueue", ["kms:GenerateDataKey", "kms:Decrypt"], [props.Key.KeyArn]);

        Schedule = new CfnSchedule(this, "Schedule", new CfnScheduleProps
        {
            Description = $"Fanout: finds orders open longer than {props.Settings.StuckOrderThresholdMinutes} minutes and republishes what they owe.",
            ScheduleExpression = $"rate({ReconcilerSpec.ScheduleMinutes} minutes)",
            // A fixed rate: the threshold is measured in minutes, so no flexible window is needed to spread load.
            FlexibleTimeWindow = new CfnSchedule.FlexibleTimeWindowProperty { Mode = "OFF" },
            State = "ENABLED",
            Target = new CfnSchedule.TargetProperty
            {
                Arn = Function.Function.FunctionArn,
                RoleArn = ScheduleRole.RoleArn,
                // The reconciler reads nothing from its input; an empty object keeps the event valid JSON.
                Input = "{}",
                RetryPolicy = new CfnSchedule.RetryPolicyProperty
                {
                    MaximumRetryAttempts = ScheduleMaximumRetryAttempts,
                    MaximumEventAgeInSeconds = ScheduleMaximumEventAgeSeconds,
                },
                DeadLetterConfig = new CfnSchedule.DeadLetterConfigProperty { Arn = ScheduleDeadLetterQueue.QueueArn },
            },
        });
        // Scheduler checks nothing at creation, but the first run must find the role able to invoke.
        Schedule.Node.AddDependency(ScheduleRole);
    }

    public FanoutFunction Function { get; }

    public Queue ScheduleDeadLetterQueue { get; }

    public Role ScheduleRole { get; }

    public CfnSchedule Schedule { get; }

    private void Allow(string sid, string[] actions, string[] resources) =>
        ScheduleRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps { Sid = sid, Actions = actions, Resources = resources }));
}
