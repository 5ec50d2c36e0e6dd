using System.Collections.Concurrent;
using Fanout.Functions.Common.Sqs;

namespace Fanout.UnitTests.TestDoubles;

/// <summary>Records the visibility changes the batch loop asks for; can fail like an unreachable SQS.</summary>
internal sealed class RecordingMessageVisibility : IMessageVisibility
{
    private readonly ConcurrentQueue<IReadOnlyList<VisibilityChange>> _calls = new();

    public Exception? FailWith { get; set; }

    /// <summary>Message ids to report as failed entries.</summary>
    public IReadOnlyList<string> RejectIds { get; set; } = [];

    /// <summary>Runs inside each call with the call's token, e.g. to move a fake clock and watch the token fire.</summary>
    public Action<CancellationToken>? OnChange { get; set; }

    public IReadOnlyList<IReadOnlyList<VisibilityChange>> Calls => [.. _calls];

    public IReadOnlyList<VisibilityChange> Changes => [.. _calls.SelectMany(c => c)];

    public Task<IReadOnlyList<string>> ChangeAsync(IReadOnlyList<VisibilityChange> changes, CancellationToken cancellationToken)
    {
        _calls.Enqueue([.. changes]);
        OnChange?.Invoke(cancellationToken);
        return FailWith is { } failure ? Task.FromException<IReadOnlyList<string>>(failure) : Task.FromResult(RejectIds);
    }
}
