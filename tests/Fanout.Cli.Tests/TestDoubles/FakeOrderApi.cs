using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Fanout.Cli.Tests.TestDoubles;

/// <summary>An in-memory order API: POST answers per <see cref="PostStatus"/>, and each accepted order reports
/// PENDING for <see cref="PendingPolls"/> GETs, then <see cref="FinalStatus"/>. With <see cref="AcceptedTokens"/> set it
/// answers like API Gateway's JWT authorizer: 401 <c>{"message":"Unauthorized"}</c> unless the request carries
/// <c>Authorization: Bearer</c> with one of them. <c>POST /orders/{id}/cancel</c> answers <see cref="CancelStatus"/>;
/// after an accepted cancel the order reports CANCELLING for <see cref="CancellingPolls"/> GETs, then
/// <see cref="CancelledStatus"/>.</summary>
internal sealed class FakeOrderApi : HttpMessageHandler
{
    private readonly ConcurrentDictionary<string, int> _polls = new();
    private readonly ConcurrentDictionary<string, int> _cancelPolls = new();
    private int _posts;

    public HttpStatusCode CancelStatus { get; init; } = HttpStatusCode.Accepted;

    public int CancellingPolls { get; init; } = 1;

    /// <summary>Null: a cancelled order stays CANCELLING forever.</summary>
    public string? CancelledStatus { get; init; } = "CANCELLED";

    /// <summary>The path of every cancel request, in arrival order.</summary>
    public ConcurrentQueue<string> CancelPaths { get; } = [];

    /// <summary>The <c>Idempotency-Key</c> header of every POST /orders, in arrival order ("" when absent).</summary>
    public ConcurrentQueue<string> IdempotencyKeys { get; } = [];

    public Func<int, HttpStatusCode> PostStatus { get; init; } = _ => HttpStatusCode.Accepted;

    public int PendingPolls { get; init; } = 1;

    /// <summary>Null: the order stays PENDING forever.</summary>
    public string? FinalStatus { get; init; } = "COMPLETED";

    /// <summary>Whether a final order carries <c>appliedAt</c> (inventory +7 ms, sms +9 ms, email +12 ms after
    /// <c>createdAt</c>) and <c>completedAt</c> (+12 ms), as the server writes them.</summary>
    public bool ServerTimestamps { get; init; } = true;

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

        if (request.Method == HttpMethod.Post && path.EndsWith("/cancel", StringComparison.Ordinal))
        {
            CancelPaths.Enqueue(path);
            var orderId = path.Split('/')[^2];
            if (CancelStatus != HttpStatusCode.Accepted)
            {
                return Json(CancelStatus, $"{{\"type\":\"about:blank\",\"title\":\"Cannot cancel\",\"status\":{(int)CancelStatus},\"detail\":\"The order is REJECTED.\"}}");
            }

            _cancelPolls.TryAdd(orderId, 0);
            return Json(HttpStatusCode.Accepted, $"{{\"orderId\":\"{orderId}\",\"status\":\"CANCELLING\"}}");
        }

        if (request.Method == HttpMethod.Post && path.EndsWith("/orders", StringComparison.Ordinal))
        {
            IdempotencyKeys.Enqueue(request.Headers.TryGetValues("Idempotency-Key", out var keys) ? string.Join(",", keys) : "");
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
            string status;
            var timestamps = "";
            if (_cancelPolls.ContainsKey(id))
            {
                var cancelPolls = _cancelPolls.AddOrUpdate(id, 1, (_, n) => n + 1);
                status = CancelledStatus is not null && cancelPolls > CancellingPolls ? CancelledStatus : "CANCELLING";
            }
            else
            {
                var polls = _polls.AddOrUpdate(id, 1, (_, n) => n + 1);
                status = FinalStatus is not null && polls > PendingPolls ? FinalStatus : "PENDING";
                if (status != "PENDING" && ServerTimestamps)
                {
                    // The server's own clock: fan-out took 12 ms whatever the polls did.
                    timestamps = ",\"appliedAt\":{\"inventory\":\"2026-01-01T00:00:00.007Z\",\"sms\":\"2026-01-01T00:00:00.009Z\",\"email\":\"2026-01-01T00:00:00.012Z\"},\"completedAt\":\"2026-01-01T00:00:00.012Z\"";
                }
            }

            return Json(HttpStatusCode.OK, $"{{\"orderId\":\"{id}\",\"status\":\"{status}\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"customer\":{{\"id\":\"c\",\"email\":\"c@example.com\"}},\"items\":[],\"services\":{{}},\"correlationId\":\"x\"{timestamps}}}");
        }

        return new HttpResponseMessage(HttpStatusCode.NotFound);
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string body) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
}
