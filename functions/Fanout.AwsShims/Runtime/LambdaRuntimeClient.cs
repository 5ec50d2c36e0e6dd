using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Fanout.AwsShims.Json;

namespace Fanout.AwsShims.Runtime;

/// <summary>A client for the Lambda Runtime API (version 2018-06-01) used by custom runtimes such as
/// <c>provided.al2023</c>: fetch the next event, post its response or error, or report an init failure.</summary>
public sealed class LambdaRuntimeClient
{
    private const string ApiVersion = "2018-06-01";
    private static readonly MediaTypeHeaderValue _jsonMediaType = new("application/json");
    private readonly HttpClient _http;

    /// <param name="http">An HTTP client; its timeout must allow the long-polling <c>next</c> call.</param>
    /// <param name="runtimeApi">The <c>host:port</c> from <c>AWS_LAMBDA_RUNTIME_API</c>.</param>
    public LambdaRuntimeClient(HttpClient http, string runtimeApi)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentException.ThrowIfNullOrWhiteSpace(runtimeApi);
        _http = http;
        _http.BaseAddress = new Uri($"http://{runtimeApi}/{ApiVersion}/runtime/");
    }

    /// <summary>Blocks until Lambda hands over the next event.</summary>
    public async Task<(LambdaInvocation Invocation, byte[] Payload)> NextAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri("invocation/next", UriKind.Relative), cancellationToken);
        response.EnsureSuccessStatusCode();
        var headers = response.Headers;
        var requestId = Single(headers, "Lambda-Runtime-Aws-Request-Id")
            ?? throw new InvalidOperationException("The Runtime API sent an event without Lambda-Runtime-Aws-Request-Id.");
        var deadlineRaw = Single(headers, "Lambda-Runtime-Deadline-Ms");
        var deadline = long.TryParse(deadlineRaw, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : DateTimeOffset.MaxValue;
        var invocation = new LambdaInvocation(
            requestId,
            deadline,
            Single(headers, "Lambda-Runtime-Trace-Id"),
            Single(headers, "Lambda-Runtime-Invoked-Function-Arn"));
        var payload = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return (invocation, payload);
    }

    public async Task SendResponseAsync(string requestId, byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = _jsonMediaType;
        using var response = await _http.PostAsync(new Uri($"invocation/{Uri.EscapeDataString(requestId)}/response", UriKind.Relative), content, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public Task SendErrorAsync(string requestId, Exception exception, CancellationToken cancellationToken) =>
        PostErrorAsync($"invocation/{Uri.EscapeDataString(requestId)}/error", exception, cancellationToken);

    public Task SendInitErrorAsync(Exception exception, CancellationToken cancellationToken) =>
        PostErrorAsync("init/error", exception, cancellationToken);

    private async Task PostErrorAsync(string path, Exception exception, CancellationToken cancellationToken)
    {
        var payload = RuntimeErrorPayload.From(exception);
        var json = JsonSerializer.SerializeToUtf8Bytes(payload, AwsShimsJsonContext.Default.RuntimeErrorPayload);
        using var content = new ByteArrayContent(json);
        content.Headers.ContentType = _jsonMediaType;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = content };
        request.Headers.TryAddWithoutValidation("Lambda-Runtime-Function-Error-Type", "Unhandled." + payload.ErrorType);
        using var response = await _http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    private static string? Single(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
