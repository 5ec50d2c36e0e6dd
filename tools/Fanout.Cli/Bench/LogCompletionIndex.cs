using System.Globalization;
using System.Text.Json;

namespace Fanout.Cli.Bench;

/// <summary>For a server whose orders carry no <c>completedAt</c>: when each order's last outcome was applied, read
/// from the local function log (<c>.local/functions.log</c>, one JSON object a line): the latest <c>timestamp</c>
/// of the order status function's "Outcome recorded" lines with <c>result</c> <c>Applied</c>. Read once, on the
/// first question.</summary>
internal sealed class LogCompletionIndex
{
    private readonly string _path;
    private Dictionary<string, DateTimeOffset>? _latest;

    public LogCompletionIndex(string path)
    {
        _path = path;
    }

    public DateTimeOffset? Find(string orderId)
    {
        _latest ??= Read(_path);
        return _latest.TryGetValue(orderId, out var at) ? at : null;
    }

    internal static Dictionary<string, DateTimeOffset> Read(string path)
    {
        var latest = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return latest;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (!line.Contains("\"Outcome recorded\"", StringComparison.Ordinal) || !line.Contains("\"Applied\"", StringComparison.Ordinal))
            {
                continue;
            }

            try
            {
                using var json = JsonDocument.Parse(line);
                var root = json.RootElement;
                if (root.TryGetProperty("orderId", out var id) && id.GetString() is { } orderId
                    && root.TryGetProperty("timestamp", out var ts)
                    && DateTimeOffset.TryParse(ts.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                    && (!latest.TryGetValue(orderId, out var seen) || at > seen))
                {
                    latest[orderId] = at;
                }
            }
            catch (JsonException)
            {
                // A line cut short while being written: the rest of the log still counts.
            }
        }

        return latest;
    }
}
