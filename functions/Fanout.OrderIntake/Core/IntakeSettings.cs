using System.Globalization;
using Fanout.Contracts.Configuration;
using Fanout.Contracts.Topology;

namespace Fanout.OrderIntake.Core;

/// <summary>Order intake's own settings, read once at start-up (the shared ones are in <c>FunctionSettings</c>).</summary>
public static class IntakeSettings
{
    /// <summary>How long a request waits for its inline publish: <see cref="SettingNames.InlinePublishTimeoutMs"/>
    /// milliseconds (a whole number from 1 to 60000, surrounding blanks ignored), or
    /// <see cref="OutboxSpec.InlinePublishTimeoutMs"/> when unset or blank.</summary>
    /// <exception cref="InvalidOperationException">The value is set but not such a number (the function stops at
    /// init rather than per request).</exception>
    public static TimeSpan InlinePublishTimeout(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var raw = environment(SettingNames.InlinePublishTimeoutMs);
        if (string.IsNullOrWhiteSpace(raw))
        {
            return TimeSpan.FromMilliseconds(OutboxSpec.InlinePublishTimeoutMs);
        }

        return int.TryParse(raw.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms is >= 1 and <= MaxMs
            ? TimeSpan.FromMilliseconds(ms)
            : throw new InvalidOperationException($"Invalid function configuration: {SettingNames.InlinePublishTimeoutMs} must be a whole number of milliseconds from 1 to {MaxMs} (got '{raw}').");
    }

    /// <summary>The largest accepted inline timeout, in milliseconds: a minute, far above any sensible value.</summary>
    public const int MaxMs = 60_000;
}
