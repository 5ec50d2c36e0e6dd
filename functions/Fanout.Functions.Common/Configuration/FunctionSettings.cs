using System.Globalization;
using Fanout.Contracts.Configuration;
using Fanout.Contracts.Orders;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Logging;

namespace Fanout.Functions.Common.Configuration;

/// <summary>A function's configuration, read once from the environment at start-up. A missing or malformed
/// value stops the function at init with a message naming the variable, rather than failing per message.</summary>
public sealed record FunctionSettings
{
    public required string ServiceName { get; init; }

    public required string TableName { get; init; }

    public string? TopicArn { get; init; }

    /// <summary>How long idempotency records are kept: longer than a message can live, counting a redrive from
    /// the DLQ (<see cref="FanoutTopology.IdempotencyRetentionDays"/>), so a late duplicate is still recognised.</summary>
    public TimeSpan IdempotencyRetention { get; init; } = TimeSpan.FromDays(DefaultIdempotencyTtlDays);

    public const int DefaultIdempotencyTtlDays = FanoutTopology.IdempotencyRetentionDays;

    /// <summary>The first retry delay of a transiently failed record, in seconds (AWS default from the topology).</summary>
    public int RetryBackoffBaseSeconds { get; init; } = DefaultRetryBackoffBaseSeconds;

    /// <summary>The longest retry delay before jitter, in seconds.</summary>
    public int RetryBackoffCapSeconds { get; init; } = DefaultRetryBackoffCapSeconds;

    public const int DefaultRetryBackoffBaseSeconds = 2;

    public const int DefaultRetryBackoffCapSeconds = 300;

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    public string SmsSender { get; init; } = "record";

    public string EmailSender { get; init; } = "record";

    public string? EmailFromAddress { get; init; }

    /// <summary>The E.164 calling codes (e.g. <c>+1</c>, <c>+44</c>) a customer's phone may start with for an order
    /// to be accepted (<see cref="SettingNames.SmsAllowedCountryCodes"/>); by default
    /// <see cref="OrderApiTopology.DefaultSmsAllowedCountryCodes"/>.</summary>
    public IReadOnlyList<string> SmsAllowedCountryCodes { get; init; } = OrderApiTopology.DefaultSmsAllowedCountryCodes;

    /// <summary>The topic ARN, or a clear error when the function publishes and none is configured.</summary>
    public string RequireTopicArn() => TopicArn ?? throw new InvalidOperationException($"{SettingNames.TopicArn} is not set.");

    public static FunctionSettings FromEnvironment(string defaultServiceName, bool requiresTopic, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var problems = new List<string>();

        // A blank value counts as unset: "   " must not pass as a table name.
        string? Read(string name) => environment(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

        var table = Read(SettingNames.TableName);
        if (table is null)
        {
            problems.Add($"{SettingNames.TableName} is required");
        }

        var topic = Read(SettingNames.TopicArn);
        if (requiresTopic && topic is null)
        {
            problems.Add($"{SettingNames.TopicArn} is required");
        }

        var ttlDays = ReadPositiveInt(Read(SettingNames.IdempotencyTtlDays), SettingNames.IdempotencyTtlDays, DefaultIdempotencyTtlDays, problems);

        var backoffBase = ReadPositiveInt(Read(SettingNames.RetryBackoffBaseSeconds), SettingNames.RetryBackoffBaseSeconds, DefaultRetryBackoffBaseSeconds, problems);
        var backoffCap = ReadPositiveInt(Read(SettingNames.RetryBackoffCapSeconds), SettingNames.RetryBackoffCapSeconds, DefaultRetryBackoffCapSeconds, problems);
        if (backoffCap < backoffBase)
        {
            problems.Add($"{SettingNames.RetryBackoffCapSeconds} ({backoffCap}) must not be below {SettingNames.RetryBackoffBaseSeconds} ({backoffBase})");
        }

        var level = LogLevel.Information;
        if (Read(SettingNames.LogLevel) is { } rawLevel && (!Enum.TryParse(rawLevel, ignoreCase: true, out level) || !Enum.IsDefined(level)))
        {
            problems.Add($"{SettingNames.LogLevel} must be Debug, Information, Warning or Error (got '{rawLevel}')");
        }

        var sms = (Read(SettingNames.SmsSender) ?? "record").ToLowerInvariant();
        if (sms is not ("record" or "sns"))
        {
            problems.Add($"{SettingNames.SmsSender} must be 'record' or 'sns' (got '{sms}')");
        }

        var email = (Read(SettingNames.EmailSender) ?? "record").ToLowerInvariant();
        if (email is not ("record" or "ses"))
        {
            problems.Add($"{SettingNames.EmailSender} must be 'record' or 'ses' (got '{email}')");
        }

        var from = Read(SettingNames.EmailFromAddress);
        if (email == "ses" && from is null)
        {
            problems.Add($"{SettingNames.EmailFromAddress} is required when {SettingNames.EmailSender} is 'ses'");
        }

        var callingCodes = ReadCallingCodes(Read(SettingNames.SmsAllowedCountryCodes), problems);

        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid function configuration: " + string.Join("; ", problems) + ".");
        }

        return new FunctionSettings
        {
            ServiceName = Read(SettingNames.ServiceName) ?? defaultServiceName,
            TableName = table!,
            TopicArn = topic,
            IdempotencyRetention = TimeSpan.FromDays(ttlDays),
            RetryBackoffBaseSeconds = backoffBase,
            RetryBackoffCapSeconds = backoffCap,
            LogLevel = level,
            SmsSender = sms,
            EmailSender = email,
            EmailFromAddress = from,
            SmsAllowedCountryCodes = callingCodes,
        };
    }

    /// <summary>A comma-separated list of calling codes (<c>+1,+44</c>; spaces around entries are ignored).
    /// Every entry must be one (an empty entry, as in <c>+1,,+44</c>, is a typo, not a default); repeats count once.</summary>
    private static IReadOnlyList<string> ReadCallingCodes(string? raw, List<string> problems)
    {
        if (raw is null)
        {
            return OrderApiTopology.DefaultSmsAllowedCountryCodes;
        }

        var codes = raw.Split(',', StringSplitOptions.TrimEntries);
        var malformed = codes.Where(c => !OrderRules.IsValidCallingCode(c)).ToList();
        if (malformed.Count > 0)
        {
            problems.Add($"{SettingNames.SmsAllowedCountryCodes} must list E.164 calling codes separated by commas, each '+' and 1 to 3 digits, the first not 0, e.g. '+1,+44' (got '{raw}'; not a calling code: {string.Join(", ", malformed.Select(c => $"'{c}'"))})");
        }

        return [.. codes.Distinct(StringComparer.Ordinal)];
    }

    private static int ReadPositiveInt(string? raw, string name, int fallback, List<string> problems)
    {
        if (raw is null)
        {
            return fallback;
        }

        if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0)
        {
            return value;
        }

        problems.Add($"{name} must be a positive whole number (got '{raw}')");
        return fallback;
    }
}
