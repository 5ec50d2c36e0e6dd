using System.Text;
using Fanout.Cli.Trace;

namespace Fanout.Cli.Watch;

/// <summary>Follows a growing function log: each <see cref="ReadNew"/> parses only the bytes added since the last
/// call, keeps an unfinished last line for the next call, and starts over when the file shrinks (a new
/// <c>fanout up</c> truncates it). Only EMF lines (with <c>_aws</c>) are parsed; others are skipped cheaply.</summary>
internal sealed class FunctionLogTail
{
    private readonly string _path;
    private readonly StringBuilder _partial = new();
    private long _offset;
    private bool _started;

    /// <param name="path">The log file; it need not exist yet.</param>
    /// <param name="startBytesFromEnd">On the first read, how much of an existing file's end to read (its older lines
    /// are outside any sliding window anyway).</param>
    public FunctionLogTail(string path, long startBytesFromEnd = 4 * 1024 * 1024)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _path = path;
        StartBytesFromEnd = startBytesFromEnd;
    }

    public long StartBytesFromEnd { get; }

    public string Path => _path;

    /// <summary>The EMF lines appended since the previous call (none when the file does not exist).</summary>
    public IReadOnlyList<FunctionLogLine> ReadNew()
    {
        if (!File.Exists(_path))
        {
            return [];
        }

        using var stream = LocalFunctionLog.OpenShared(_path);
        var length = stream.Length;
        var skipFirstLine = false;
        if (!_started)
        {
            _started = true;
            if (length > StartBytesFromEnd)
            {
                _offset = length - StartBytesFromEnd;
                skipFirstLine = true;
            }
        }

        if (length < _offset)
        {
            // Truncated: a new run began.
            _offset = 0;
            _partial.Clear();
        }

        if (length == _offset)
        {
            return [];
        }

        stream.Seek(_offset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        var text = reader.ReadToEnd();
        _offset = length;
        _partial.Append(text);
        var all = _partial.ToString();
        var lastNewline = all.LastIndexOf('\n');
        if (lastNewline < 0)
        {
            return [];
        }

        _partial.Clear().Append(all, lastNewline + 1, all.Length - lastNewline - 1);
        var lines = new List<FunctionLogLine>();
        var first = true;
        foreach (var line in all.AsSpan(0, lastNewline).EnumerateLines())
        {
            if (first && skipFirstLine)
            {
                // Reading began mid-file: the first line is a fragment.
                first = false;
                continue;
            }

            first = false;
            if (line.Contains("\"_aws\"", StringComparison.Ordinal) && FunctionLogParser.TryParse(line.ToString()) is { IsMetrics: true } parsed)
            {
                lines.Add(parsed);
            }
        }

        return lines;
    }
}
