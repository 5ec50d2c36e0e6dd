using System.Globalization;
using Fanout.Contracts.Configuration;
using Fanout.Contracts.Topology;

namespace Fanout.Reconciler.Core;

/// <summary>The reconciler's own setting, read once at init: <see cref="SettingNames.StuckOrderThresholdSeconds"/>,
/// a positive whole number of seconds (default <see cref="ReconcilerSpec.DefaultStuckThresholdMinutes"/> minutes).</summary>
public sealed record ReconcilerSettings(TimeSpan StuckThreshold)
{
    public static TimeSpan DefaultStuckThreshold { get; } = TimeSpan.FromMinutes(ReconcilerSpec.DefaultStuckThresholdMinutes);

    /// <exception cref="InvalidOperationException">The variable is set but is not a positive whole number.</exception>
    public static ReconcilerSettings FromEnvironment(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (environment(SettingNames.StuckOrderThresholdSeconds) is not { } raw || string.IsNullOrWhiteSpace(raw))
        {
            return new ReconcilerSettings(DefaultStuckThreshold);
        }

        if (int.TryParse(raw.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
        {
            return new ReconcilerSettings(TimeSpan.FromSeconds(seconds));
        }

        throw new InvalidOperationException($"Invalid function configuration: {SettingNames.StuckOrderThresholdSeconds} must be a positive whole number of seconds (got '{raw}').");
    }
}
