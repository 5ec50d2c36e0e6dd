namespace Fanout.Contracts.Configuration;

/// <summary>Environment variable names shared by the CDK stack (which sets them) and the functions (which
/// read them once at start-up). Endpoints are not here on purpose: the AWS SDK convention
/// <c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c> covers them.</summary>
public static class SettingNames
{
    /// <summary>The service's own DynamoDB table.</summary>
    public const string TableName = "FANOUT_TABLE_NAME";

    /// <summary>The ARN of the <c>order-events</c> topic the function publishes facts to.</summary>
    public const string TopicArn = "FANOUT_TOPIC_ARN";

    /// <summary>The service name put on every log line (e.g. <c>sms</c>).</summary>
    public const string ServiceName = "FANOUT_SERVICE_NAME";

    /// <summary>How many days idempotency records are kept before the table's TTL removes them.</summary>
    public const string IdempotencyTtlDays = "FANOUT_IDEMPOTENCY_TTL_DAYS";

    /// <summary><c>record</c> (default: write the rendered SMS to the table) or <c>sns</c> (send through SNS).</summary>
    public const string SmsSender = "FANOUT_SMS_SENDER";

    /// <summary><c>record</c> (default) or <c>ses</c> (send through SES v2).</summary>
    public const string EmailSender = "FANOUT_EMAIL_SENDER";

    /// <summary>The verified SES identity e-mail is sent from (required when the e-mail sender is <c>ses</c>).</summary>
    public const string EmailFromAddress = "FANOUT_EMAIL_FROM_ADDRESS";

    /// <summary>Minimum log level: <c>Debug</c>, <c>Information</c> (default), <c>Warning</c> or <c>Error</c>.</summary>
    public const string LogLevel = "FANOUT_LOG_LEVEL";

    /// <summary>The first retry delay of a transiently failed record, in whole seconds (see <c>ConsumerSpec.RetryBackoffBaseSeconds</c>).</summary>
    public const string RetryBackoffBaseSeconds = "FANOUT_RETRY_BACKOFF_BASE_SECONDS";

    /// <summary>The longest retry delay of a transiently failed record, in whole seconds.</summary>
    public const string RetryBackoffCapSeconds = "FANOUT_RETRY_BACKOFF_CAP_SECONDS";

    /// <summary>OrderIntake: the E.164 calling codes a customer's phone may start with, comma-separated (e.g.
    /// <c>+1,+44</c>). Set from CDK context <c>smsAllowedCountryCodes</c>; unset means
    /// <see cref="Topology.OrderApiTopology.DefaultSmsAllowedCountryCodes"/>.</summary>
    public const string SmsAllowedCountryCodes = "FANOUT_SMS_ALLOWED_COUNTRY_CODES";

    /// <summary>OrderIntake: how long a request waits for its inline publish before answering anyway, in milliseconds
    /// (the outbox relay publishes what it could not). Default <see cref="Topology.OutboxSpec.InlinePublishTimeoutMs"/>.</summary>
    public const string InlinePublishTimeoutMs = "FANOUT_INLINE_PUBLISH_TIMEOUT_MS";

    /// <summary>Reconciler: an order <c>PENDING</c> or <c>CANCELLING</c> for longer than this many seconds is stuck.
    /// Set from CDK context <c>stuckOrderThresholdMinutes</c> (default 15 minutes).</summary>
    public const string StuckOrderThresholdSeconds = "FANOUT_STUCK_ORDER_THRESHOLD_SECONDS";
}
