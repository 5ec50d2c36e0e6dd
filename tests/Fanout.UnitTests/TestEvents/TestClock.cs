using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.TestEvents;

/// <summary>One fixed instant for tests, so times in events and records are predictable.</summary>
internal static class TestClock
{
    public static readonly DateTimeOffset Start = new(2026, 3, 14, 9, 26, 53, TimeSpan.Zero);

    public static FakeTimeProvider Create() => new(Start);
}
