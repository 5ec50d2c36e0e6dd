using System.Text.Json.Serialization;

namespace Fanout.AwsShims.Runtime;

/// <summary>The error document the Runtime API accepts on <c>/error</c> and <c>/init/error</c>.</summary>
public sealed class RuntimeErrorPayload
{
    [JsonPropertyName("errorMessage")]
    public string ErrorMessage { get; set; } = "";

    [JsonPropertyName("errorType")]
    public string ErrorType { get; set; } = "";

    [JsonPropertyName("stackTrace")]
    public List<string> StackTrace { get; set; } = [];

    public static RuntimeErrorPayload From(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new RuntimeErrorPayload
        {
            ErrorMessage = exception.Message,
            ErrorType = exception.GetType().Name,
            StackTrace = (exception.StackTrace ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
        };
    }
}
