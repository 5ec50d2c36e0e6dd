using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fanout.Cli.Cost;

/// <summary>One list price: <see cref="Usd"/> buys <see cref="Per"/> units of <see cref="Unit"/>.</summary>
internal sealed class Price
{
    [JsonPropertyName("usd")]
    public decimal Usd { get; init; }

    [JsonPropertyName("per")]
    public decimal Per { get; init; } = 1;

    [JsonPropertyName("unit")]
    public string Unit { get; init; } = "";

    /// <summary>The AWS pricing page the figure is published on.</summary>
    [JsonPropertyName("source")]
    public string Source { get; init; } = "";

    /// <summary>A dated secondary source the figure was checked against, if any.</summary>
    [JsonPropertyName("checkedAgainst")]
    public string? CheckedAgainst { get; init; }

    /// <summary>Whether the figure was checked on the price list's date (false: carried over, check before quoting).</summary>
    [JsonPropertyName("confirmed")]
    public bool Confirmed { get; init; }

    [JsonPropertyName("note")]
    public string? Note { get; init; }

    /// <summary>USD for <paramref name="quantity"/> units.</summary>
    public decimal For(decimal quantity) => Per == 0 ? 0 : Usd * quantity / Per;
}

/// <summary>The dated list prices of one region (<c>Cost/aws-prices-us-east-1.json</c>, embedded in the CLI).</summary>
internal sealed class PriceList
{
    public const string SnsPublishRequest = "snsPublishRequest";
    public const string SqsRequest = "sqsRequest";
    public const string DynamoDbWriteRequestUnit = "dynamoDbWriteRequestUnit";
    public const string DynamoDbReadRequestUnit = "dynamoDbReadRequestUnit";
    public const string LambdaRequest = "lambdaRequest";
    public const string LambdaGbSecondX86 = "lambdaGbSecondX86";
    public const string LambdaGbSecondArm64 = "lambdaGbSecondArm64";
    public const string HttpApiRequest = "httpApiRequest";
    public const string CloudWatchLogsIngestedGb = "cloudWatchLogsIngestedGb";
    public const string XRayTraceRecorded = "xRayTraceRecorded";
    public const string KmsRequest = "kmsRequest";
    public const string EmbeddedName = "Fanout.Cli.Cost.aws-prices-us-east-1.json";

    public static IReadOnlyList<string> Required { get; } =
    [
        SnsPublishRequest, SqsRequest, DynamoDbWriteRequestUnit, DynamoDbReadRequestUnit, LambdaRequest, LambdaGbSecondX86,
        LambdaGbSecondArm64, HttpApiRequest, CloudWatchLogsIngestedGb, XRayTraceRecorded, KmsRequest,
    ];

    [JsonPropertyName("date")]
    public string Date { get; init; } = "";

    [JsonPropertyName("region")]
    public string Region { get; init; } = "";

    [JsonPropertyName("currency")]
    public string Currency { get; init; } = "";

    [JsonPropertyName("prices")]
    public Dictionary<string, Price> Prices { get; init; } = [];

    public Price this[string name] => Prices.TryGetValue(name, out var price)
        ? price
        : throw new InvalidOperationException($"The price list of {Date} ({Region}) has no '{name}' price.");

    /// <summary>The prices whose figure is not confirmed, by name.</summary>
    public IReadOnlyList<string> Unconfirmed => [.. Prices.Where(p => !p.Value.Confirmed).Select(p => p.Key).Order(StringComparer.Ordinal)];

    /// <summary>The price list shipped with the CLI.</summary>
    public static PriceList LoadEmbedded()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(EmbeddedName)
            ?? throw new InvalidOperationException($"The CLI was built without its price list ({EmbeddedName}).");
        return Parse(stream);
    }

    /// <summary>Reads and checks a price list: USD, every required price present, non-negative, with a source.</summary>
    /// <exception cref="InvalidOperationException">The list is malformed or incomplete.</exception>
    public static PriceList Parse(Stream json)
    {
        PriceList list;
        try
        {
            list = JsonSerializer.Deserialize(json, CostJsonContext.Default.PriceList) ?? throw new InvalidOperationException("The price list is empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"The price list is not valid JSON: {ex.Message}", ex);
        }

        if (!DateOnly.TryParseExact(list.Date, "yyyy-MM-dd", out _) || list.Currency != "USD" || string.IsNullOrEmpty(list.Region))
        {
            throw new InvalidOperationException("The price list needs a date (yyyy-MM-dd), a region and currency USD.");
        }

        foreach (var name in Required)
        {
            var price = list[name];
            if (price.Usd < 0 || price.Per <= 0 || !Uri.TryCreate(price.Source, UriKind.Absolute, out _))
            {
                throw new InvalidOperationException($"The price '{name}' needs usd ≥ 0, per > 0 and a source URL.");
            }
        }

        return list;
    }
}
