using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Fanout.Cli.Tests.TestDoubles;

/// <summary>A Cognito user pool endpoint that answers <c>InitiateAuth</c> (AWS JSON 1.1) for the users in
/// <see cref="Passwords"/>: a token per sign-in, <c>token-1</c>, <c>token-2</c>..., or
/// <c>NotAuthorizedException</c> as Cognito answers a wrong password.</summary>
internal sealed class FakeCognito : HttpMessageHandler
{
    private int _signIns;

    public Dictionary<string, string> Passwords { get; init; } = [];

    public int ExpiresIn { get; init; } = 3600;

    public int SignIns => _signIns;

    /// <summary>Every call: URL, <c>X-Amz-Target</c>, and the parsed body.</summary>
    public ConcurrentQueue<(Uri Url, string Target, JsonElement Body)> Calls { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var text = await request.Content!.ReadAsStringAsync(cancellationToken);
        using var body = JsonDocument.Parse(text);
        var target = request.Headers.TryGetValues("X-Amz-Target", out var values) ? values.Single() : "";
        Calls.Enqueue((request.RequestUri!, target, body.RootElement.Clone()));
        var parameters = body.RootElement.GetProperty("AuthParameters");
        var user = parameters.GetProperty("USERNAME").GetString()!;
        if (!Passwords.TryGetValue(user, out var password) || password != parameters.GetProperty("PASSWORD").GetString())
        {
            var refused = new HttpResponseMessage(HttpStatusCode.BadRequest)
            {
                Content = new StringContent("{\"__type\":\"NotAuthorizedException\",\"message\":\"Incorrect username or password.\"}", Encoding.UTF8, "application/x-amz-json-1.1"),
            };
            return refused;
        }

        var n = Interlocked.Increment(ref _signIns);
        return new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent($"{{\"AuthenticationResult\":{{\"AccessToken\":\"token-{n}\",\"IdToken\":\"id-{n}\",\"ExpiresIn\":{ExpiresIn},\"TokenType\":\"Bearer\"}}}}", Encoding.UTF8, "application/x-amz-json-1.1"),
        };
    }
}
