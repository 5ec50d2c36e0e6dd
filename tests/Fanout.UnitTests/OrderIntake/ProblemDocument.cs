using System.Text.Json;
using Fanout.AwsShims.Events;

namespace Fanout.UnitTests.OrderIntake;

/// <summary>An RFC 9457 problem response as a client reads it; reading one asserts the media type and that the
/// body's status matches the HTTP status.</summary>
internal sealed record ProblemDocument(int Status, string Title, string? CorrelationId, IReadOnlyList<(string Field, string Message)> Errors)
{
    public IReadOnlyList<string> Fields => [.. Errors.Select(e => e.Field)];

    public static ProblemDocument From(HttpApiResponse response)
    {
        Assert.Equal("application/problem+json", response.Headers["Content-Type"]);
        Assert.NotNull(response.Body);
        using var document = JsonDocument.Parse(response.Body);
        var root = document.RootElement;
        var status = root.GetProperty("status").GetInt32();
        Assert.Equal(response.StatusCode, status);
        var errors = root.TryGetProperty("errors", out var list)
            ? list.EnumerateArray().Select(e => (e.GetProperty("field").GetString()!, e.GetProperty("message").GetString()!)).ToList()
            : [];
        var correlationId = root.TryGetProperty("correlationId", out var correlation) ? correlation.GetString() : null;
        return new ProblemDocument(status, root.GetProperty("title").GetString()!, correlationId, errors);
    }
}
