using System.Net;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.Runtime.Signing;

namespace Fanout.AwsShims.Signing;

/// <summary>Sends SigV4-signed requests to one AWS service, with AWSSDK.Core's signer and default credential
/// chain, and retries throttling and transient failures with capped, jittered exponential backoff (the
/// SDK's "standard" retry mode: three attempts).</summary>
public sealed class SignedAwsHttpClient
{
    public const int MaxAttempts = 3;
    private static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(20);

    private readonly HttpClient _http;
    private readonly AWSCredentials _credentials;
    private readonly RegionEndpoint _region;
    private readonly string _signingService;
    private readonly TimeProvider _time;

    public SignedAwsHttpClient(HttpClient http, AWSCredentials credentials, string region, string signingService, Uri endpoint, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        ArgumentException.ThrowIfNullOrWhiteSpace(signingService);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(time);
        _http = http;
        _credentials = credentials;
        _region = RegionEndpoint.GetBySystemName(region);
        _signingService = signingService;
        Endpoint = endpoint;
        _time = time;
    }

    public Uri Endpoint { get; }

    /// <summary>Credentials from the SDK's default chain (environment, profile, container, IMDS...).</summary>
    public static AWSCredentials DefaultCredentials() => new DefaultAWSCredentialsIdentityResolver().ResolveIdentity(null);

    /// <summary>Signs a request without sending it; exposed so tests can check the signature.</summary>
    public IDictionary<string, string> Sign(HttpMethod method, Uri uri, IDictionary<string, string> headers, byte[] content, DateTime signedAtUtc)
    {
        var request = new AWSSigningRequest { HttpMethod = method, RequestUri = uri, Content = content };
        foreach (var (name, value) in headers)
        {
            request.Headers[name] = value;
        }

        var parameters = new AWSSigV4Parameters
        {
            Credentials = _credentials,
            Region = _region,
            Service = _signingService,
            SignPayload = true,
            SignedAt = signedAtUtc,
        };
        return AWSSigV4Signer.Sign(request, parameters).Headers;
    }

    /// <summary>Sends a signed request and returns the status and body; retries transient failures.</summary>
    public async Task<AwsHttpResult> SendAsync(HttpMethod method, string pathAndQuery, string contentType, byte[] content, CancellationToken cancellationToken)
    {
        var uri = new Uri(Endpoint, pathAndQuery);
        for (var attempt = 1; ; attempt++)
        {
            AwsHttpResult result;
            try
            {
                result = await SendOnceAsync(method, uri, contentType, content, cancellationToken);
            }
            catch (HttpRequestException) when (attempt < MaxAttempts)
            {
                await DelayAsync(attempt, cancellationToken);
                continue;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested && attempt < MaxAttempts)
            {
                await DelayAsync(attempt, cancellationToken);
                continue;
            }

            if (result.IsSuccess || attempt >= MaxAttempts || !IsRetryable(result))
            {
                return result;
            }

            await DelayAsync(attempt, cancellationToken);
        }
    }

    private async Task<AwsHttpResult> SendOnceAsync(HttpMethod method, Uri uri, string contentType, byte[] content, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["content-type"] = contentType,
        };
        var signed = Sign(method, uri, headers, content, _time.GetUtcNow().UtcDateTime);
        using var request = new HttpRequestMessage(method, uri);
        var body = new ByteArrayContent(content);
        // The content type was signed; send it byte for byte as signed.
        body.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Content = body;
        foreach (var (name, value) in signed)
        {
            if (string.Equals(name, "content-type", StringComparison.OrdinalIgnoreCase)
                || string.Equals(name, "host", StringComparison.OrdinalIgnoreCase)
                || string.Equals(name, "content-length", StringComparison.OrdinalIgnoreCase))
            {
                // Content-Type is set above; HttpClient writes Host and Content-Length itself, as signed.
                continue;
            }

            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _http.SendAsync(request, cancellationToken);
        var responseBody = await response.Content.ReadAsStringAsync(cancellationToken);
        return new AwsHttpResult(response.StatusCode, responseBody);
    }

    private static bool IsRetryable(AwsHttpResult result) =>
        (int)result.StatusCode >= 500
        || result.StatusCode == HttpStatusCode.TooManyRequests
        || result.Body.Contains("Throttl", StringComparison.Ordinal)
        || result.Body.Contains("TooManyRequests", StringComparison.Ordinal);

    private Task DelayAsync(int attempt, CancellationToken cancellationToken)
    {
        var ceiling = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
#pragma warning disable CA5394 // Jitter spreads retries; it needs no cryptographic randomness.
        var delay = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
#pragma warning restore CA5394
        return Task.Delay(delay, _time, cancellationToken);
    }
}

/// <summary>The outcome of one signed call: HTTP status and raw body.</summary>
public sealed record AwsHttpResult(HttpStatusCode StatusCode, string Body)
{
    public bool IsSuccess => (int)StatusCode is >= 200 and < 300;
}
