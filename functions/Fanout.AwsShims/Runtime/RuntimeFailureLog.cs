using System.Text;
using System.Text.Json;

namespace Fanout.AwsShims.Runtime;

/// <summary>Writes one JSON object per line about an invocation the loop could not finish cleanly, with the
/// Lambda request id so the line can be matched to the invocation in CloudWatch Logs (stderr goes there too).</summary>
internal sealed class RuntimeFailureLog(TextWriter output, TimeProvider time)
{
    private readonly Lock _gate = new();

    /// <summary>Logs <paramref name="message"/> for <paramref name="awsRequestId"/>; the exception's type and
    /// message are included when given. Never throws: a broken log must not stop the loop.</summary>
    public void Write(string message, string awsRequestId, Exception? exception)
    {
        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", time.GetUtcNow());
            json.WriteString("level", "Error");
            json.WriteString("message", message);
            json.WriteString("awsRequestId", awsRequestId);
            if (exception is not null)
            {
                json.WriteString("errorType", exception.GetType().Name);
                json.WriteString("errorMessage", exception.Message);
            }

            json.WriteEndObject();
        }

        var line = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        try
        {
            lock (_gate)
            {
                output.WriteLine(line);
                output.Flush();
            }
        }
#pragma warning disable CA1031 // A closed or failing stderr must not take the invocation loop down with it.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
