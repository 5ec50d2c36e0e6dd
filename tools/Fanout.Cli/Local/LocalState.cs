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

    /// <summary>The embedded emulators' fixed, fake secret; null for <c>--emulators external</c>, whose real credentials
    /// stay in the environment or the AWS profile and are never written here.</summary>
    [JsonPropertyName("secretAccessKey")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SecretAccessKey { get; set; }

    [JsonPropertyName("topicArn")]
    public string TopicArn { get; set; } = "";

    /// <summary>Per consumer service (sms, email, inventory, orderstatus): queue and DLQ URLs.</summary>
    [JsonPropertyName("queues")]
    public Dictionary<string, LocalQueueUrls> Queues { get; set; } = [];

    /// <summary>Per table id (orders, sms, email, inventory): physical table name.</summary>
    [JsonPropertyName("tables")]
    public Dictionary<string, string> Tables { get; set; } = [];

    /// <summary>The local sign-in (cognito-local): where to sign in and the demo users. Null before sign-in existed.</summary>
    [JsonPropertyName("identity")]
    public LocalIdentity? Identity { get; set; }

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

    /// <summary>Writes the file atomically (a temporary file, then a rename). On Unix it is readable and writable by
    /// its owner only (mode 0600) from its creation on, since it holds the demo users' passwords.</summary>
    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        using (var stream = new FileStream(temp, options))
        {
            JsonSerializer.Serialize(stream, this, LocalStateJsonContext.Default.LocalState);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Mode 0600.</summary>
    internal const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
}

public sealed class LocalQueueUrls
{
    [JsonPropertyName("queueUrl")]
    public string QueueUrl { get; set; } = "";

    [JsonPropertyName("deadLetterQueueUrl")]
    public string DeadLetterQueueUrl { get; set; } = "";
}

/// <summary>The local user pool: cognito-local's endpoint, the pool, the shop's app client and the demo users.</summary>
public sealed class LocalIdentity
{
    /// <summary>cognito-local's base URL, the Cognito API endpoint (e.g. <c>http://127.0.0.1:41234/</c>).</summary>
    [JsonPropertyName("endpoint")]
    public string Endpoint { get; set; } = "";

    [JsonPropertyName("userPoolId")]
    public string UserPoolId { get; set; } = "";

    /// <summary>The app client id: the audience the local API server accepts.</summary>
    [JsonPropertyName("clientId")]
    public string ClientId { get; set; } = "";

    /// <summary>The <c>iss</c> of the pool's tokens, e.g. <c>http://127.0.0.1:41234/local_AbCd</c>.</summary>
    [JsonPropertyName("issuer")]
    public string Issuer { get; set; } = "";

    /// <summary>Demo users by role: <c>customer</c> and <c>operator</c>. Passwords are generated per run.</summary>
    [JsonPropertyName("users")]
    public Dictionary<string, LocalUser> Users { get; set; } = [];
}

/// <summary>A demo user of the local pool.</summary>
public sealed class LocalUser
{
    /// <summary>The sign-in name (the pool signs in by e-mail).</summary>
    [JsonPropertyName("email")]
    public string Email { get; set; } = "";

    /// <summary>Generated at start-up; this file is the only place it is written.</summary>
    [JsonPropertyName("password")]
    public string Password { get; set; } = "";

    /// <summary>Whether the user is in the <c>operators</c> group.</summary>
    [JsonPropertyName("operator")]
    public bool Operator { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(LocalState))]
internal sealed partial class LocalStateJsonContext : JsonSerializerContext;
