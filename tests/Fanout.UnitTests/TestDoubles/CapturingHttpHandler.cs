using System.Collections.Concurrent;
using System.Net;

namespace Fanout.UnitTests.TestDoubles;

/// <summary>An in-memory HTTP endpoint: records each request (with its body) and answers from a script. The
/// script may also throw, to stand for a timeout or a failed connection.</summary>
internal sealed class CapturingHttpHandler : HttpMessageHandler
{
    private readonly ConcurrentQueue<CapturedRequest> _requests = new();
    private readonly Func<CapturedRequest, int, HttpResponseMessage> _respond;

    public CapturingHttpHandler(Func<CapturedRequest, int, HttpResponseMessage> respond) => _respond = respond;

    public IReadOnlyList<CapturedRequest> Requests => [.. _requests];

    public static HttpResponseMessage Answer(HttpStatusCode status, string body, string mediaType = "text/xml") =>
        new(status) { Content = new StringContent(body, System.Text.Encoding.UTF8, mediaType) };

    /// <summary>A Query-protocol error (SNS, CloudFormation...): <c>&lt;ErrorResponse&gt;&lt;Error&gt;&lt;Code&gt;</c>.</summary>
    public static HttpResponseMessage QueryError(HttpStatusCode status, string code, string message = "refused", DateTimeOffset? date = null)
    {
        var response = Answer(
            status,
            $"<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type><Code>{code}</Code>" +
            $"<Message>{message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>");
        response.Headers.Date = date;
        return response;
    }

    /// <summary>A JSON / REST-JSON error (SES v2...): the code in <c>x-amzn-ErrorType</c> with AWS's usual tail.</summary>
    public static HttpResponseMessage JsonError(HttpStatusCode status, string errorType, string message = "refused", DateTimeOffset? date = null)
    {
        var response = Answer(status, $"{{\"message\":\"{message}\"}}", "application/json");
        response.Headers.TryAddWithoutValidation("x-amzn-ErrorType", errorType + ":http://internal.amazon.com/coral/com.amazonaws.sesv2/");
        response.Headers.Date = date;
        return response;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        if (request.Content is not null)
        {
            foreach (var header in request.Content.Headers)
            {
                headers[header.Key] = string.Join(",", header.Value);
            }
        }

        var captured = new CapturedRequest(request.Method, request.RequestUri!, headers, body);
        _requests.Enqueue(captured);
        return _respond(captured, _requests.Count);
    }
}

internal sealed record CapturedRequest(HttpMethod Method, Uri Uri, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);
}
