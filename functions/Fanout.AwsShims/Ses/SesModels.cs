using System.Text.Json.Serialization;

namespace Fanout.AwsShims.Ses;

/// <summary>SES v2 <c>SendEmail</c> request body (REST JSON), limited to simple text e-mail.</summary>
public sealed class SesSendEmailRequest
{
    [JsonPropertyName("FromEmailAddress")]
    public string FromEmailAddress { get; set; } = "";

    [JsonPropertyName("Destination")]
    public SesDestination Destination { get; set; } = new();

    [JsonPropertyName("Content")]
    public SesEmailContent Content { get; set; } = new();
}

public sealed class SesDestination
{
    [JsonPropertyName("ToAddresses")]
    public List<string> ToAddresses { get; set; } = [];
}

public sealed class SesEmailContent
{
    [JsonPropertyName("Simple")]
    public SesSimpleMessage Simple { get; set; } = new();
}

public sealed class SesSimpleMessage
{
    [JsonPropertyName("Subject")]
    public SesText Subject { get; set; } = new();

    [JsonPropertyName("Body")]
    public SesBody Body { get; set; } = new();
}

public sealed class SesBody
{
    [JsonPropertyName("Text")]
    public SesText Text { get; set; } = new();
}

public sealed class SesText
{
    [JsonPropertyName("Data")]
    public string Data { get; set; } = "";

    [JsonPropertyName("Charset")]
    public string Charset { get; set; } = "UTF-8";
}

public sealed class SesSendEmailResponse
{
    [JsonPropertyName("MessageId")]
    public string? MessageId { get; set; }
}

public sealed class SesErrorResponse
{
    [JsonPropertyName("message")]
    public string? Message { get; set; }

    [JsonPropertyName("Message")]
    public string? MessageUpper { get; set; }
}
