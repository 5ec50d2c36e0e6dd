namespace Fanout.OrderStatus.Core;

/// <summary>An async mutual-exclusion gate per key: callers with the same key run one at a time (in no promised
/// order), callers with different keys do not wait for each other. An entry lives only while some caller holds or
/// awaits it, so the gate stays as small as the work in flight.</summary>
public sealed class KeyedGate
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Waits until no other holder of <paramref name="key"/> remains, then holds it until the returned
    /// releaser is disposed (dispose it exactly once).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired while waiting; the
    /// key is then not held.</exception>
    public async Task<Releaser> EnterAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                entry = new Entry();
                _entries[key] = entry;
            }

            entry.Users++;
        }

        try
        {
            await entry.Semaphore.WaitAsync(cancellationToken);
        }
        catch
        {
            Leave(key, entry);
            throw;
        }

        return new Releaser(this, key, entry);
    }

    /// <summary>How many keys are held or awaited now (for tests).</summary>
    internal int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    private void Leave(string key, Entry entry)
    {
        lock (_entries)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(key);
                entry.Semaphore.Dispose();
            }
        }
    }

    /// <summary>Holds a key of a <see cref="KeyedGate"/> until disposed.</summary>
    public readonly struct Releaser : IDisposable
    {
        private readonly KeyedGate _gate;
        private readonly string _key;
        private readonly Entry _entry;

        internal Releaser(KeyedGate gate, string key, Entry entry)
        {
            _gate = gate;
            _key = key;
            _entry = entry;
        }

        public void Dispose()
        {
            _entry.Semaphore.Release();
            _gate.Leave(_key, _entry);
        }
    }

    internal sealed class Entry
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        public int Users { get; set; }
    }
}
