using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fanout.Cli.Local;

/// <summary>What a running `fanout up` publishes for the other commands (and for a second `fanout up`):
/// written to <c>.local/fanout-up.json</c> under the repository root while it runs, removed on exit.</summary>
public sealed class LocalState
{
    [JsonPropertyName("pid")]
    public int Pid { get; set; }

    [JsonPropertyName("apiUrl")]
    public string ApiUrl { get; set; } = "";

    [JsonPropertyName("region")]
    public string Region { get; set; } = "";

    [JsonPropertyName("sqsEndpoint")]
    public string SqsEndpoint { get; set; } = "";

    [JsonPropertyName("snsEndpoint")]
    public string SnsEndpoint { get; set; } = "";

    [JsonPropertyName("dynamoDbEndpoint")]
    public string DynamoDbEndpoint { get; set; } = "";

    [JsonPropertyName("accessKeyId")]
    public string AccessKeyId { get; set; } = "";

    [JsonPropertyName("secretAccessKey")]
    public string SecretAccessKey { get; set; } = "";

    [JsonPropertyName("topicArn")]
    public string TopicArn { get; set; } = "";

    /// <summary>Per consumer service (sms, email, inventory, orderstatus): queue and DLQ URLs.</summary>
    [JsonPropertyName("queues")]
    public Dictionary<string, LocalQueueUrls> Queues { get; set; } = [];

    /// <summary>Per table id (orders, sms, email, inventory): physical table name.</summary>
    [JsonPropertyName("tables")]
    public Dictionary<string, string> Tables { get; set; } = [];

    public static string DefaultPath(string repoRoot) => Path.Combine(repoRoot, ".local", "fanout-up.json");

    public static LocalState? TryRead(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), LocalStateJsonContext.Default.LocalState);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, LocalStateJsonContext.Default.LocalState));
        File.Move(temp, path, overwrite: true);
    }
}

public sealed class LocalQueueUrls
{
    [JsonPropertyName("queueUrl")]
    public string QueueUrl { get; set; } = "";

    [JsonPropertyName("deadLetterQueueUrl")]
    public string DeadLetterQueueUrl { get; set; } = "";
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(LocalState))]
internal sealed partial class LocalStateJsonContext : JsonSerializerContext;
