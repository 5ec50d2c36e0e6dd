namespace Fanout.AwsShims.Signing;

/// <summary>Resolves a service endpoint the way the AWS SDKs do: <c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c>, then
/// <c>AWS_ENDPOINT_URL</c>, then the public regional endpoint.</summary>
public static class AwsEndpoint
{
    /// <param name="serviceEnvironmentId">The SDK's environment-variable id, e.g. <c>SNS</c> or <c>SESV2</c>.</param>
    /// <param name="hostPrefix">The public endpoint's host prefix, e.g. <c>sns</c> or <c>email</c>.</param>
    /// <param name="region">The region, e.g. <c>eu-west-1</c>.</param>
    /// <param name="environment">Reads an environment variable; defaults to the process environment.</param>
    public static Uri Resolve(string serviceEnvironmentId, string hostPrefix, string region, Func<string, string?>? environment = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceEnvironmentId);
        ArgumentException.ThrowIfNullOrWhiteSpace(hostPrefix);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        return Configured(serviceEnvironmentId, environment) ?? PublicEndpoint(hostPrefix, region);
    }

    /// <summary>The endpoint override from <c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c>, then <c>AWS_ENDPOINT_URL</c>, or
    /// null when neither is set (talk to AWS itself).</summary>
    /// <exception cref="InvalidOperationException">The variable is set but is not an absolute http(s) URL.</exception>
    public static Uri? Configured(string serviceEnvironmentId, Func<string, string?>? environment = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceEnvironmentId);
        environment ??= Environment.GetEnvironmentVariable;
        // A blank variable counts as unset: an empty per-service value must not hide AWS_ENDPOINT_URL and send
        // traffic to the public endpoint instead of the emulator the caller configured.
        var configured = NonBlank(environment("AWS_ENDPOINT_URL_" + serviceEnvironmentId.ToUpperInvariant())) ?? NonBlank(environment("AWS_ENDPOINT_URL"));
        if (configured is null)
        {
            return null;
        }

        if (!Uri.TryCreate(configured, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidOperationException($"The endpoint for {serviceEnvironmentId} ('{configured}') is not an absolute http(s) URL.");
        }

        return uri;
    }

    private static Uri PublicEndpoint(string hostPrefix, string region)
    {
        var suffix = region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com";
        return new Uri($"https://{hostPrefix}.{region}.{suffix}/");
    }

    /// <summary>The region from <c>AWS_REGION</c> or <c>AWS_DEFAULT_REGION</c> (Lambda sets the first).</summary>
    public static string ResolveRegion(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var region = NonBlank(environment("AWS_REGION")) ?? NonBlank(environment("AWS_DEFAULT_REGION"));
        return string.IsNullOrWhiteSpace(region)
            ? throw new InvalidOperationException("No AWS region: set AWS_REGION (Lambda sets it for you).")
            : region;
    }

    private static string? NonBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
