using Fanout.OrderStatus.Core;

namespace Fanout.UnitTests.OrderStatus.Core;

[Trait("Category", "Unit")]
public sealed class KeyedGateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EnterAsync_SameKeyHeld_WaitsUntilReleased()
    {
        var gate = new KeyedGate();
        var first = await gate.EnterAsync("order-1", Ct);

        var second = gate.EnterAsync("order-1", Ct);

        Assert.False(second.IsCompleted);
        first.Dispose();
        (await second.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Dispose();
        Assert.Equal(0, gate.Count);
    }

    [Fact]
    public async Task EnterAsync_OtherKeyHeld_DoesNotWait()
    {
        var gate = new KeyedGate();
        using var first = await gate.EnterAsync("order-1", Ct);

        var other = gate.EnterAsync("order-2", Ct);

        Assert.True(other.IsCompletedSuccessfully);
        (await other).Dispose();
        Assert.Equal(1, gate.Count);
    }

    [Fact]
    public async Task EnterAsync_CancelledWhileWaiting_ThrowsAndLeavesNoEntry()
    {
        var gate = new KeyedGate();
        var first = await gate.EnterAsync("order-1", Ct);
        using var cancel = new CancellationTokenSource();

        var waiting = gate.EnterAsync("order-1", cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        first.Dispose();
        Assert.Equal(0, gate.Count);
    }
}
