using System.Text;

namespace Fanout.Harness.Metering;

/// <summary>Passes text through to another writer and counts the UTF-8 bytes written: around
/// <see cref="LocalFanoutOptions.FunctionLog"/> it counts what the functions wrote to their log, i.e. what CloudWatch
/// Logs would ingest from their stdout (Lambda's own START/END/REPORT lines are not included). Thread-safe when the
/// inner writer is (wrap the result in <see cref="TextWriter.Synchronized"/> to share it).</summary>
public sealed class CountingTextWriter(TextWriter inner) : TextWriter
{
    private readonly TextWriter _inner = inner ?? throw new ArgumentNullException(nameof(inner));
    private long _bytes;

    /// <summary>UTF-8 bytes written so far.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        Span<char> one = [value];
        Count(one);
        _inner.Write(value);
    }

    public override void Write(string? value)
    {
        Count(value);
        _inner.Write(value);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        Count(buffer.AsSpan(index, count));
        _inner.Write(buffer, index, count);
    }

    public override void Write(ReadOnlySpan<char> buffer)
    {
        Count(buffer);
        _inner.Write(buffer);
    }

    public override void WriteLine(string? value)
    {
        Count(value);
        Count(CoreNewLine);
        _inner.WriteLine(value);
    }

    public override void WriteLine(ReadOnlySpan<char> buffer)
    {
        Count(buffer);
        Count(CoreNewLine);
        _inner.WriteLine(buffer);
    }

    public override void Flush() => _inner.Flush();

    private void Count(ReadOnlySpan<char> text) => Interlocked.Add(ref _bytes, Encoding.UTF8.GetByteCount(text));
}
