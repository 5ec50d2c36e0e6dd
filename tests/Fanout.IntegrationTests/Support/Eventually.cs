using System.Diagnostics;

namespace Fanout.IntegrationTests.Support;

/// <summary>Waits for a condition on the system's real state (not for a fixed time), failing with what was
/// last seen when it does not hold in time.</summary>
public static class Eventually
{
    public static async Task<T> WaitAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        T last;
        while (true)
        {
            last = await probe();
            if (done(last))
            {
                return last;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}; last observed: {last}");
            }

            await Task.Delay(200);
        }
    }
}
