using System.Net;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.Runtime.Signing;
using Polly;
using Polly.Retry;

namespace Fanout.AwsShims.Signing;

/// <summary>Sends SigV4-signed requests to one AWS service, with AWSSDK.Core's signer and default credential
/// chain, and retries with a Polly pipeline: up to <see cref="MaxAttempts"/> attempts (the SDKs' "standard" retry
/// mode), jittered exponential backoff from <see cref="BaseDelay"/> capped at <see cref="MaxDelay"/>, waiting on the
/// injected <see cref="TimeProvider"/>. What is retried depends on the <see cref="CallIdempotency"/> each call
/// states; a refusal for clock skew is re-signed at once with AWS's time, and that correction is kept.</summary>
public sealed class SignedAwsHttpClient
{
    public const int MaxAttempts = 3;
    public static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(20);

    private readonly HttpClient _http;
    private readonly AWSCredentials _credentials;
    private readonly RegionEndpoint _region;
    private readonly string _signingService;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<AwsHttpResult> _idempotent;
    private readonly ResiliencePipeline<AwsHttpResult> _notIdempotent;
    private long _clockOffsetTicks;

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
        _idempotent = BuildPipeline(CallIdempotency.Idempotent, time);
        _notIdempotent = BuildPipeline(CallIdempotency.NotIdempotent, time);
    }

    public Uri Endpoint { get; }

    /// <summary>AWS's clock minus this machine's, learnt from the <c>Date</c> of the last clock-skew refusal;
    /// added to the signing time of every later request. Zero until AWS refuses a request for its time.</summary>
    public TimeSpan ClockOffset => TimeSpan.FromTicks(Interlocked.Read(ref _clockOffsetTicks));

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

    /// <summary>Sends a signed request and returns the status, body and error code of the last attempt. An AWS
    /// error answer is returned, not thrown: the caller turns it into its own error.</summary>
    /// <param name="idempotency">Whether a second copy of this request is harmless; decides what is retried.</param>
    /// <exception cref="AwsTransportException">No answer: DNS or connection failure, lost connection, or the
    /// <see cref="HttpClient.Timeout"/> passed, after the retries this call allows.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<AwsHttpResult> SendAsync(
        HttpMethod method, string pathAndQuery, string contentType, byte[] content, CallIdempotency idempotency, CancellationToken cancellationToken) =>
        SendAsync(method, pathAndQuery, contentType, content, idempotency, new Dictionary<string, string>(), cancellationToken);

    /// <summary>As the overload without <paramref name="headers"/>, also sending (and signing) those headers, e.g. the
    /// <c>X-Amz-Target</c> of an AWS JSON 1.1 call.</summary>
    public async Task<AwsHttpResult> SendAsync(
        HttpMethod method, string pathAndQuery, string contentType, byte[] content, CallIdempotency idempotency, IReadOnlyDictionary<string, string> headers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var request = new PendingRequest(method, new Uri(Endpoint, pathAndQuery), contentType, content, headers);
        var pipeline = idempotency == CallIdempotency.Idempotent ? _idempotent : _notIdempotent;
        try
        {
            return await pipeline.ExecuteAsync(
                static (state, token) => new ValueTask<AwsHttpResult>(state.Client.SendOnceAsync(state.Request, token)),
                (Client: this, Request: request),
                cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new AwsTransportException(_signingService, !IsBeforeSending(ex), ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Not the caller's cancellation: HttpClient.Timeout, after the request was (perhaps) sent.
            throw new AwsTransportException(_signingService, mayHaveReachedService: true, ex);
        }
    }

    private static ResiliencePipeline<AwsHttpResult> BuildPipeline(CallIdempotency idempotency, TimeProvider time) =>
        new ResiliencePipelineBuilder<AwsHttpResult> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<AwsHttpResult>
            {
                MaxRetryAttempts = MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = BaseDelay,
                MaxDelay = MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, idempotency, args.Context.CancellationToken)),
                // A re-signed request fixes a clock-skew refusal by itself; waiting would only add latency.
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(args.Outcome.Result is { IsClockSkewRefusal: true } ? TimeSpan.Zero : null),
            })
            .Build();

    private static bool ShouldRetry(Outcome<AwsHttpResult> outcome, CallIdempotency idempotency, CancellationToken cancellationToken)
    {
        var idempotent = idempotency == CallIdempotency.Idempotent;
        if (outcome.Result is { } result)
        {
            // Throttling and clock-skew refusals prove the request was not acted on; a 5xx does not.
            return !result.IsSuccess
                && (result.IsClockSkewRefusal
                    || AwsErrorCodes.IsThrottling(result.ErrorCode, result.StatusCode)
                    || (idempotent && (int)result.StatusCode >= 500));
        }

        return outcome.Exception switch
        {
            HttpRequestException ex => IsBeforeSending(ex) || idempotent,
            OperationCanceledException => idempotent && !cancellationToken.IsCancellationRequested,
            _ => false,
        };
    }

    // Failures while finding or opening the connection: no byte of the request reached AWS.
    private static bool IsBeforeSending(HttpRequestException ex) => ex.HttpRequestError
        is HttpRequestError.NameResolutionError
        or HttpRequestError.ConnectionError
        or HttpRequestError.SecureConnectionError
        or HttpRequestError.ProxyTunnelError;

    private async Task<AwsHttpResult> SendOnceAsync(PendingRequest pending, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["content-type"] = pending.ContentType,
        };
        foreach (var (name, value) in pending.Headers)
        {
            headers[name] = value;
        }

        var signedAt = _time.GetUtcNow() + ClockOffset;
        var signed = Sign(pending.Method, pending.Uri, headers, pending.Content, signedAt.UtcDateTime);
        using var request = new HttpRequestMessage(pending.Method, pending.Uri);
        var body = new ByteArrayContent(pending.Content);
        // The content type was signed; send it byte for byte as signed.
        body.Headers.TryAddWithoutValidation("Content-Type", pending.ContentType);
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

        foreach (var (name, value) in pending.Headers)
        {
            // Signed above; the signer's answer holds only what it added.
            if (!request.Headers.Contains(name))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await _http.SendAsync(request, cancellationToken);
        var responseBody = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return new AwsHttpResult(response.StatusCode, responseBody);
        }

        var errorType = response.Headers.TryGetValues("x-amzn-ErrorType", out var values) ? values.FirstOrDefault() : null;
        var code = AwsErrorCodes.Read(errorType, responseBody);
        var serverDate = response.Headers.Date;
        var skewed = AwsErrorCodes.IsClockSkew(code, serverDate - signedAt);
        if (skewed && serverDate is { } awsNow)
        {
            Interlocked.Exchange(ref _clockOffsetTicks, (awsNow - _time.GetUtcNow()).Ticks);
        }

        return new AwsHttpResult(response.StatusCode, responseBody) { ErrorCode = code, IsClockSkewRefusal = skewed };
    }

    private sealed record PendingRequest(HttpMethod Method, Uri Uri, string ContentType, byte[] Content, IReadOnlyDictionary<string, string> Headers);
}

/// <summary>The outcome of one signed call: HTTP status, raw body and, for an error answer, AWS's error code.</summary>
public sealed record AwsHttpResult(HttpStatusCode StatusCode, string Body)
{
    public bool IsSuccess => (int)StatusCode is >= 200 and < 300;

    /// <summary>The error code (see <see cref="AwsErrorCodes.Read"/>); null on success or when the answer has none.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>AWS refused the request for its signing time (see <see cref="AwsErrorCodes.IsClockSkew"/>).</summary>
    public bool IsClockSkewRefusal { get; init; }
}
