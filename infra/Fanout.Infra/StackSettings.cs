using System.Globalization;
using System.Text.RegularExpressions;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Logs;

namespace Fanout.Infra;

/// <summary>The deploy-time choices, read from CDK context (<c>cdk.json</c> or <c>cdk deploy -c key=value</c>).
/// Everything structural (topic, queues, tables, limits) comes from the shared topology instead.</summary>
public sealed partial record StackSettings
{
    /// <summary>The context keys, as a user types them after <c>-c</c>.</summary>
    public static class Keys
    {
        public const string StackName = "stackName";
        public const string ApiThrottleRate = "apiThrottleRate";
        public const string ApiThrottleBurst = "apiThrottleBurst";
        public const string AlarmEmail = "alarmEmail";
        public const string SmsSender = "smsSender";
        public const string EmailSender = "emailSender";
        public const string EmailFromAddress = "emailFromAddress";
        public const string DestroyTables = "destroyTables";
        public const string QueueAgeAlarmSeconds = "queueAgeAlarmSeconds";
        public const string LogRetentionDays = "logRetentionDays";
        public const string LogLevel = "logLevel";
        public const string FunctionAssetsDir = "functionAssetsDir";
        public const string Architecture = "architecture";
    }

    /// <summary>Sender choices, as the functions read them (see Fanout.Functions.Common FunctionSettings).</summary>
    public static class Senders
    {
        public const string Record = "record";
        public const string Sns = "sns";
        public const string Ses = "ses";
    }

    public const string X86 = "x86_64";
    public const string Arm64 = "arm64";

    public string StackName { get; init; } = "Fanout";

    /// <summary>Steady-state requests per second the API's default stage lets through.</summary>
    public double ApiThrottleRate { get; init; } = 50;

    public int ApiThrottleBurst { get; init; } = 100;

    /// <summary>When set, the alarm topic e-mails this address (the recipient must confirm the subscription).</summary>
    public string? AlarmEmail { get; init; }

    /// <summary><c>record</c> writes the SMS to the table; <c>sns</c> sends it (needs SMS set up in the account).</summary>
    public string SmsSender { get; init; } = Senders.Record;

    /// <summary><c>record</c> writes the e-mail to the table; <c>ses</c> sends it from a verified identity.</summary>
    public string EmailSender { get; init; } = Senders.Record;

    public string? EmailFromAddress { get; init; }

    /// <summary>For throw-away dev stacks: tables are deleted with the stack instead of retained.</summary>
    public bool DestroyTables { get; init; }

    public int QueueAgeAlarmSeconds { get; init; } = 300;

    public int LogRetentionDays { get; init; } = 30;

    public string LogLevel { get; init; } = "Information";

    /// <summary>Where scripts/build-functions.sh puts <c>&lt;Function&gt;/bootstrap</c>; relative paths are
    /// resolved from the working directory (the repository root when run by the CDK CLI).</summary>
    public string FunctionAssetsDir { get; init; } = "artifacts/lambda";

    public string Architecture { get; init; } = X86;

    public Architecture LambdaArchitecture => Architecture == Arm64 ? Amazon.CDK.AWS.Lambda.Architecture.ARM_64 : Amazon.CDK.AWS.Lambda.Architecture.X86_64;

    public RetentionDays LogRetention => RetentionByDays[LogRetentionDays];

    /// <summary>The retention periods CloudWatch Logs accepts, in days.</summary>
    private static readonly Dictionary<int, RetentionDays> RetentionByDays = new()
    {
        [1] = RetentionDays.ONE_DAY,
        [3] = RetentionDays.THREE_DAYS,
        [5] = RetentionDays.FIVE_DAYS,
        [7] = RetentionDays.ONE_WEEK,
        [14] = RetentionDays.TWO_WEEKS,
        [30] = RetentionDays.ONE_MONTH,
        [60] = RetentionDays.TWO_MONTHS,
        [90] = RetentionDays.THREE_MONTHS,
        [120] = RetentionDays.FOUR_MONTHS,
        [150] = RetentionDays.FIVE_MONTHS,
        [180] = RetentionDays.SIX_MONTHS,
        [365] = RetentionDays.ONE_YEAR,
        [400] = RetentionDays.THIRTEEN_MONTHS,
        [545] = RetentionDays.EIGHTEEN_MONTHS,
        [731] = RetentionDays.TWO_YEARS,
        [1827] = RetentionDays.FIVE_YEARS,
        [3653] = RetentionDays.TEN_YEARS,
    };

    private static readonly string[] LogLevels = ["Debug", "Information", "Warning", "Error"];

    /// <summary>Reads and checks every setting, reporting all problems at once with the key to fix.</summary>
    /// <param name="context">Looks a context key up (e.g. <c>app.Node.TryGetContext</c>); null when unset.</param>
    public static StackSettings FromContext(Func<string, object?> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var problems = new List<string>();
        var defaults = new StackSettings();

        string? Text(string key) => context(key) switch
        {
            null => null,
            string s => s.Trim() is { Length: > 0 } trimmed ? trimmed : null,
            bool b => b ? "true" : "false",
            IConvertible c => c.ToString(CultureInfo.InvariantCulture),
            var other => other.ToString(),
        };

        int Int(string key, int fallback, int min, int max)
        {
            if (Text(key) is not { } raw)
            {
                return fallback;
            }

            if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value == Math.Floor(value) && value >= min && value <= max)
            {
                return (int)value;
            }

            problems.Add($"{key} must be a whole number from {min} to {max} (got '{raw}')");
            return fallback;
        }

        double Number(string key, double fallback, double min, double max)
        {
            if (Text(key) is not { } raw)
            {
                return fallback;
            }

            if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            {
                return value;
            }

            problems.Add($"{key} must be a number from {min} to {max} (got '{raw}')");
            return fallback;
        }

        string OneOf(string key, string fallback, params string[] allowed)
        {
            var raw = Text(key) ?? fallback;
            var match = allowed.FirstOrDefault(a => string.Equals(a, raw, StringComparison.OrdinalIgnoreCase));
            if (match is null)
            {
                problems.Add($"{key} must be one of {string.Join(", ", allowed)} (got '{raw}')");
                return fallback;
            }

            return match;
        }

        var stackName = Text(Keys.StackName) ?? defaults.StackName;
        if (!StackNamePattern().IsMatch(stackName))
        {
            problems.Add($"{Keys.StackName} must start with a letter and hold only letters, digits and hyphens, at most 128 characters (got '{stackName}')");
        }

        var alarmEmail = Text(Keys.AlarmEmail);
        if (alarmEmail is not null && !EmailPattern().IsMatch(alarmEmail))
        {
            problems.Add($"{Keys.AlarmEmail} must be an e-mail address (got '{alarmEmail}')");
        }

        var emailSender = OneOf(Keys.EmailSender, defaults.EmailSender, Senders.Record, Senders.Ses);
        var from = Text(Keys.EmailFromAddress);
        if (from is not null && !EmailPattern().IsMatch(from))
        {
            problems.Add($"{Keys.EmailFromAddress} must be an e-mail address (got '{from}')");
        }
        else if (from is null && emailSender == Senders.Ses)
        {
            problems.Add($"{Keys.EmailFromAddress} is required when {Keys.EmailSender} is '{Senders.Ses}' (a verified SES identity, e.g. orders@example.com)");
        }

        var retention = Int(Keys.LogRetentionDays, defaults.LogRetentionDays, 1, 3653);
        if (!RetentionByDays.ContainsKey(retention))
        {
            problems.Add($"{Keys.LogRetentionDays} must be one of {string.Join(", ", RetentionByDays.Keys)} (got {retention})");
            retention = defaults.LogRetentionDays;
        }

        var destroy = Text(Keys.DestroyTables) ?? "false";
        if (!bool.TryParse(destroy, out var destroyTables))
        {
            problems.Add($"{Keys.DestroyTables} must be true or false (got '{destroy}')");
        }

        var settings = new StackSettings
        {
            StackName = stackName,
            ApiThrottleRate = Number(Keys.ApiThrottleRate, defaults.ApiThrottleRate, 1, 10_000),
            ApiThrottleBurst = Int(Keys.ApiThrottleBurst, defaults.ApiThrottleBurst, 1, 5_000),
            AlarmEmail = alarmEmail,
            SmsSender = OneOf(Keys.SmsSender, defaults.SmsSender, Senders.Record, Senders.Sns),
            EmailSender = emailSender,
            EmailFromAddress = from,
            DestroyTables = destroyTables,
            QueueAgeAlarmSeconds = Int(Keys.QueueAgeAlarmSeconds, defaults.QueueAgeAlarmSeconds, 60, 1_209_600),
            LogRetentionDays = retention,
            LogLevel = OneOf(Keys.LogLevel, defaults.LogLevel, LogLevels),
            FunctionAssetsDir = Text(Keys.FunctionAssetsDir) ?? defaults.FunctionAssetsDir,
            Architecture = OneOf(Keys.Architecture, defaults.Architecture, X86, Arm64),
        };

        if (problems.Count > 0)
        {
            throw new InfraConfigurationException("Invalid CDK context: " + string.Join("; ", problems) + ".");
        }

        return settings;
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9-]{0,127}$")]
    private static partial Regex StackNamePattern();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailPattern();
}

/// <summary>A deploy-time setting or build output the stack cannot be built from; the message says what to fix.</summary>
public sealed class InfraConfigurationException : Exception
{
    public InfraConfigurationException()
    {
    }

    public InfraConfigurationException(string message)
        : base(message)
    {
    }

    public InfraConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
