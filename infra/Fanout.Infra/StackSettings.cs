using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Logs;
using Fanout.Contracts.Topology;

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
        public const string JwtIssuer = "jwtIssuer";
        public const string JwtAudience = "jwtAudience";
        public const string SmsAllowedCountryCodes = "smsAllowedCountryCodes";
        public const string CorsAllowedOrigins = "corsAllowedOrigins";
        public const string StuckOrderThresholdMinutes = "stuckOrderThresholdMinutes";
        public const string EndToEndSloMs = "endToEndSloMs";
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

    /// <summary>An existing OpenID Connect issuer whose access tokens the API accepts instead of the stack's own
    /// Cognito user pool, e.g. <c>https://login.example.com/</c>; it must equal the tokens' <c>iss</c> claim exactly.
    /// Null (the default) makes the stack create the pool.</summary>
    public string? JwtIssuer { get; init; }

    /// <summary>With <see cref="JwtIssuer"/>: the values of which a token's <c>aud</c> claim (or, when it has none,
    /// its <c>client_id</c>) must match one. Empty when the stack's own pool issues the tokens.</summary>
    public IReadOnlyList<string> JwtAudience { get; init; } = [];

    /// <summary>True when <see cref="JwtIssuer"/> replaces the stack's own user pool.</summary>
    public bool BringsOwnIssuer => JwtIssuer is not null;

    /// <summary>The E.164 calling codes (<c>+</c> and 1–3 digits, e.g. <c>+44</c>) OrderIntake accepts phone numbers
    /// from, so real SMS only ever goes to countries the shop chose.</summary>
    public IReadOnlyList<string> SmsAllowedCountryCodes { get; init; } = OrderApiTopology.DefaultSmsAllowedCountryCodes;

    /// <summary>The browser origins (RFC 6454, e.g. <c>https://shop.example.com</c>) allowed to call the API from
    /// script; empty (the default) configures no CORS at all, which suits server-side and native clients.</summary>
    public IReadOnlyList<string> CorsAllowedOrigins { get; init; } = [];

    /// <summary>How long, in minutes, an order may stay <c>PENDING</c> or <c>CANCELLING</c> before the reconciler
    /// republishes what it owes and counts it as stuck (the <c>StuckOrders</c> metric, alarmed above zero).</summary>
    public int StuckOrderThresholdMinutes { get; init; } = ReconcilerSpec.DefaultStuckThresholdMinutes;

    /// <summary>The shortest <see cref="StuckOrderThresholdMinutes"/>: one reconciler period. A shorter one would count
    /// orders the normal path is still completing, raising the alarm on healthy traffic.</summary>
    public const int MinStuckOrderThresholdMinutes = ReconcilerSpec.ScheduleMinutes;

    /// <summary>The longest <see cref="StuckOrderThresholdMinutes"/>: one day, the time DynamoDB Streams keeps the
    /// records the relay would otherwise have retried; an order open that long must have been reported by then.</summary>
    public const int MaxStuckOrderThresholdMinutes = 1440;

    /// <summary>The end-to-end objective, in milliseconds: the p99 of <c>EndToEndLatency</c> (from an order's
    /// <c>OrderPlaced</c> <c>time</c> to each outcome applied at order status) above which the latency alarm fires.</summary>
    public int EndToEndSloMs { get; init; } = DefaultEndToEndSloMs;

    /// <summary>Default <see cref="EndToEndSloMs"/>: two seconds, room for one SNS→SQS→Lambda hop per outcome plus a
    /// cold start on AWS.</summary>
    public const int DefaultEndToEndSloMs = 2000;

    /// <summary>The lowest <see cref="EndToEndSloMs"/>: one SNS → SQS → Lambda hop alone takes tens of milliseconds
    /// on AWS, so an objective under this would alarm on a healthy system.</summary>
    public const int MinEndToEndSloMs = 100;

    /// <summary>The highest <see cref="EndToEndSloMs"/>: 15 minutes, the default stuck-order threshold, beyond which
    /// the reconciler's alarm speaks for a slow order instead.</summary>
    public const int MaxEndToEndSloMs = 900_000;

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

        // A list arrives as a JSON array from cdk.json and as text from `-c key=a,b` (or `-c 'key=["a","b"]'`).
        // Null when unset; items are trimmed, blanks dropped and repeats removed.
        List<string>? List(string key)
        {
            var value = context(key);
            IEnumerable<string?>? items = value switch
            {
                null => null,
                string s when s.TrimStart().StartsWith('[') => JsonItems(key, s),
                string s => s.Split(','),
                IEnumerable e => e.Cast<object?>().Select(item => item?.ToString()),
                var other => [other.ToString()],
            };
            return items?.Select(item => item?.Trim()).OfType<string>().Where(item => item.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        }

        IEnumerable<string?>? JsonItems(string key, string json)
        {
            try
            {
                using var document = JsonDocument.Parse(json);
                if (document.RootElement.ValueKind == JsonValueKind.Array && document.RootElement.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
                {
                    return document.RootElement.EnumerateArray().Select(e => e.GetString()).ToList();
                }
            }
            catch (JsonException)
            {
                // Reported below, with the key to fix.
            }

            problems.Add($"{key} must be a JSON array of strings or a comma-separated list (got '{json}')");
            return null;
        }

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

        var issuer = Text(Keys.JwtIssuer);
        var audience = List(Keys.JwtAudience);
        if (issuer is not null && !IsHttpsUrl(issuer))
        {
            problems.Add($"{Keys.JwtIssuer} must be an https URL, exactly the 'iss' claim of the issuer's tokens (got '{issuer}')");
        }

        if (issuer is not null && audience is not { Count: > 0 })
        {
            problems.Add($"{Keys.JwtAudience} is required with {Keys.JwtIssuer}: the audiences (or app client ids) a token must be issued for, comma-separated or a JSON array");
        }
        else if (issuer is null && audience is { Count: > 0 })
        {
            problems.Add($"{Keys.JwtIssuer} is required with {Keys.JwtAudience}: the https URL of the issuer whose tokens carry that audience");
        }

        var smsCodes = List(Keys.SmsAllowedCountryCodes);
        foreach (var code in smsCodes?.Where(c => !CallingCodePattern().IsMatch(c)) ?? [])
        {
            problems.Add($"{Keys.SmsAllowedCountryCodes} must list E.164 calling codes, '+' and 1 to 3 digits not starting with 0, e.g. +1,+44 (got '{code}')");
        }

        if (smsCodes is { Count: 0 })
        {
            problems.Add($"{Keys.SmsAllowedCountryCodes} must list at least one calling code, e.g. +1");
        }

        var origins = List(Keys.CorsAllowedOrigins) ?? [];
        foreach (var origin in origins.Where(o => !IsAllowedOrigin(o)))
        {
            problems.Add(origin.Contains('*', StringComparison.Ordinal)
                ? $"{Keys.CorsAllowedOrigins} must name each origin; a wildcard would let script on any web site read the API's answers (got '{origin}')"
                : $"{Keys.CorsAllowedOrigins} must list origins as https://host[:port] (or http://localhost[:port] for development), lower case, without a path or trailing slash (got '{origin}')");
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
            JwtIssuer = issuer,
            JwtAudience = issuer is null ? [] : audience ?? [],
            SmsAllowedCountryCodes = smsCodes ?? defaults.SmsAllowedCountryCodes,
            CorsAllowedOrigins = origins,
            StuckOrderThresholdMinutes = Int(
                Keys.StuckOrderThresholdMinutes, defaults.StuckOrderThresholdMinutes, MinStuckOrderThresholdMinutes, MaxStuckOrderThresholdMinutes),
            EndToEndSloMs = Int(Keys.EndToEndSloMs, defaults.EndToEndSloMs, MinEndToEndSloMs, MaxEndToEndSloMs),
        };

        if (problems.Count > 0)
        {
            throw new InfraConfigurationException("Invalid CDK context: " + string.Join("; ", problems) + ".");
        }

        return settings;
    }

    /// <summary>An absolute https URL with a host and no query, fragment or credentials: what API Gateway accepts as a
    /// JWT authorizer's issuer, and what OpenID Connect Discovery 1.0 §3 requires of an issuer identifier.</summary>
    private static bool IsHttpsUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && uri.Scheme == Uri.UriSchemeHttps
        && uri.Host.Length > 0
        && uri.Query.Length == 0
        && uri.Fragment.Length == 0
        && uri.UserInfo.Length == 0;

    /// <summary>A serialized origin (RFC 6454 §6.2) as browsers send it: https with a host, or plain http for a
    /// developer's localhost only.</summary>
    private static bool IsAllowedOrigin(string value) => HttpsOriginPattern().IsMatch(value) || LocalhostOriginPattern().IsMatch(value);

    [GeneratedRegex(@"^https://[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$")]
    private static partial Regex HttpsOriginPattern();

    [GeneratedRegex("^http://localhost(:[0-9]{1,5})?$")]
    private static partial Regex LocalhostOriginPattern();

    /// <summary>An ITU-T E.164 country calling code: one to three digits, never starting with 0.</summary>
    [GeneratedRegex("^\\+[1-9][0-9]{0,2}$")]
    private static partial Regex CallingCodePattern();

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
