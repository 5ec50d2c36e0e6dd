using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Fanout.Cli.Tests.TestDoubles;

/// <summary>An in-memory order API: POST answers per <see cref="PostStatus"/>, and each accepted order reports
/// PENDING for <see cref="PendingPolls"/> GETs, then <see cref="FinalStatus"/>. With <see cref="AcceptedTokens"/> set it
/// answers like API Gateway's JWT authorizer: 401 <c>{"message":"Unauthorized"}</c> unless the request carries
/// <c>Authorization: Bearer</c> with one of them.</summary>
internal sealed class FakeOrderApi : HttpMessageHandler
{
    private readonly ConcurrentDictionary<string, int> _polls = new();
    private int _posts;

    public Func<int, HttpStatusCode> PostStatus { get; init; } = _ => HttpStatusCode.Accepted;

    public int PendingPolls { get; init; } = 1;

    /// <summary>Null: the order stays PENDING forever.</summary>
    public string? FinalStatus { get; init; } = "COMPLETED";

    public int Posts => _posts;

    public ConcurrentBag<string> PostedBodies { get; } = [];

    /// <summary>Null: no sign-in required.</summary>
    public IReadOnlySet<string>? AcceptedTokens { get; init; }

    /// <summary>The <c>Authorization</c> header of every request, in arrival order ("" when absent).</summary>
    public ConcurrentQueue<string> Authorizations { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        var authorization = request.Headers.Authorization;
        Authorizations.Enqueue(authorization?.ToString() ?? "");
        if (AcceptedTokens is not null && (authorization?.Scheme != "Bearer" || authorization.Parameter is null || !AcceptedTokens.Contains(authorization.Parameter)))
        {
            var refused = Json(HttpStatusCode.Unauthorized, "{\"message\":\"Unauthorized\"}");
            refused.Headers.WwwAuthenticate.ParseAdd("Bearer");
            return refused;
        }

        if (request.Method == HttpMethod.Post && path.EndsWith("/orders", StringComparison.Ordinal))
        {
            PostedBodies.Add(await request.Content!.ReadAsStringAsync(cancellationToken));
            var status = PostStatus(Interlocked.Increment(ref _posts) - 1);
            if (status != HttpStatusCode.Accepted)
            {
                return Json(status, $"{{\"type\":\"about:blank\",\"title\":\"Nope\",\"status\":{(int)status}}}");
            }

            var id = Guid.NewGuid().ToString();
            var accepted = Json(HttpStatusCode.Accepted, $"{{\"orderId\":\"{id}\",\"status\":\"ACCEPTED\"}}");
            accepted.Headers.Location = new Uri("/orders/" + id, UriKind.Relative);
            return accepted;
        }

        if (request.Method == HttpMethod.Get && path.Contains("/orders/", StringComparison.Ordinal))
        {
            var id = path[(path.LastIndexOf('/') + 1)..];
            var polls = _polls.AddOrUpdate(id, 1, (_, n) => n + 1);
            var status = FinalStatus is not null && polls > PendingPolls ? FinalStatus : "PENDING";
            return Json(HttpStatusCode.OK, $"{{\"orderId\":\"{id}\",\"status\":\"{status}\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"customer\":{{\"id\":\"c\",\"email\":\"c@example.com\"}},\"items\":[],\"services\":{{}},\"correlationId\":\"x\"}}");
        }

        return new HttpResponseMessage(HttpStatusCode.NotFound);
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string body) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
}
