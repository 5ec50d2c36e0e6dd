using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Fanout.Cli.Commands;

/// <summary>An option holding a duration as operators type it, with its default applied on read (so help shows
/// "default 2m" rather than "00:02:00").</summary>
internal sealed class DurationOption
{
    public DurationOption(string name, string description, TimeSpan defaultValue, TimeSpan minimum)
    {
        Default = defaultValue;
        Option = new Option<TimeSpan?>(name)
        {
            Description = $"{description} (e.g. 500ms, 2s, 5m; default {Durations.Format(defaultValue)})",
            HelpName = "duration",
            CustomParser = result => Durations.Parse(result, minimum),
        };
    }

    public Option<TimeSpan?> Option { get; }

    public TimeSpan Default { get; }

    public TimeSpan Get(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return parse.GetValue(Option) ?? Default;
    }
}

/// <summary>Durations: <c>500ms</c>, <c>2s</c>, <c>5m</c>, <c>1h</c>, or a bare number of seconds.</summary>
internal static class Durations
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var trimmed = text.Trim().ToLowerInvariant();
        var (number, unit) = trimmed switch
        {
            _ when trimmed.EndsWith("ms", StringComparison.Ordinal) => (trimmed[..^2], 0.001),
            _ when trimmed.EndsWith('s') => (trimmed[..^1], 1.0),
            _ when trimmed.EndsWith('m') => (trimmed[..^1], 60.0),
            _ when trimmed.EndsWith('h') => (trimmed[..^1], 3600.0),
            _ => (trimmed, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) || amount * unit > TimeSpan.FromDays(1).TotalSeconds)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(amount * unit);
        return true;
    }

    public static string Format(TimeSpan value) => value.TotalSeconds switch
    {
        < 1 => value.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + "ms",
        < 120 => value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s",
        < 7200 => value.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture) + "m",
        _ => value.TotalHours.ToString("0.#", CultureInfo.InvariantCulture) + "h",
    };

    internal static TimeSpan? Parse(ArgumentResult result, TimeSpan minimum)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
        if (!TryParse(text, out var value))
        {
            result.AddError($"'{text}' is not a duration of at most a day (e.g. 500ms, 2s, 5m).");
            return null;
        }

        if (value < minimum)
        {
            result.AddError($"{Format(value)} is too short; at least {Format(minimum)}.");
        }

        return value;
    }
}
