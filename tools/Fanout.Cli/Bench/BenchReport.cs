using System.Globalization;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace Fanout.Cli.Bench;

/// <summary>The emulators' own throughput, with no Fanout code in the path.</summary>
internal sealed record CeilingFigures(int Messages, double MessagesPerSecond, int Writes, double WritesPerSecond);

/// <summary>Everything one <c>fanout bench</c> run measured (<c>--json</c> prints it as is).</summary>
internal sealed record BenchReport
{
    /// <summary>When the run started (RFC 3339 UTC).</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Logical processors of this machine.</summary>
    public int Processors { get; init; }

    /// <summary>The 1-minute load average when the run started and when it ended (<c>/proc/loadavg</c>; null
    /// elsewhere): other work on the machine shows here, and every figure below shares the cores with it.</summary>
    public IReadOnlyList<double>? LoadAverage { get; init; }

    public CeilingFigures? Ceiling { get; init; }

    public double P99TargetMs { get; init; }

    public double StepSeconds { get; init; }

    public IReadOnlyList<RateStepResult> Steps { get; init; } = [];

    /// <summary>The highest offered rate that held (sustained, p99 at or under the target); null when none did or
    /// no step ran.</summary>
    public double? HighestSustainedPerSecond { get; init; }

    public IReadOnlyList<ColdStartResult> ColdStarts { get; init; } = [];

    /// <summary>The 1-minute load average, or null where <c>/proc/loadavg</c> is not there.</summary>
    public static double? ReadLoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    public static double? Highest(IEnumerable<RateStepResult> steps) =>
        steps.Where(s => s.Holds).Select(s => (double?)s.OfferedPerSecond).DefaultIfEmpty(null).Max();

    /// <summary>The readable form: three tables, one per measurement.</summary>
    public void Write(IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        string F(double value, string format = "0") => value.ToString(format, CultureInfo.InvariantCulture);
        string Ms(double? value) => value is { } v ? F(v, "0.0") + " ms" : "n/a";
        var load = LoadAverage is { Count: > 0 } averages ? " · load average " + string.Join(" → ", averages.Select(a => F(a, "0.00"))) : "";
        console.MarkupLine(Markup.Escape($"fanout bench · {StartedAt:yyyy-MM-dd HH:mm} UTC · {Processors} cores{load}"));
        if (Ceiling is { } ceiling)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("1. emulator ceiling (no Fanout code)");
            table.AddColumn("Path");
            table.AddColumn(new TableColumn("Throughput").RightAligned());
            table.AddRow("SNS PublishBatch → SQS receive + delete", Markup.Escape($"{F(ceiling.MessagesPerSecond)} msg/s ({ceiling.Messages} messages)"));
            table.AddRow("DynamoDB conditional PutItem", Markup.Escape($"{F(ceiling.WritesPerSecond)} writes/s ({ceiling.Writes} writes)"));
            console.Write(table);
        }

        if (Steps.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"2. sustained order rate (server-side fan-out p99 ≤ {F(P99TargetMs)} ms, {F(StepSeconds)} s per step)"));
            foreach (var column in new[] { "offered/s", "accepted/s", "not accepted", "pending at end", "POST p50 / p99", "fan-out p50 / p95 / p99 / max", "holds" })
            {
                table.AddColumn(new TableColumn(Markup.Escape(column)).RightAligned());
            }

            foreach (var step in Steps)
            {
                table.AddRow(
                    F(step.OfferedPerSecond),
                    F(step.AcceptedPerSecond, "0.0"),
                    F(step.NotAccepted),
                    F(step.LeftPending),
                    Markup.Escape(step.PostLatency is { } post ? $"{F(post.P50Ms)} / {F(post.P99Ms)} ms" : "n/a"),
                    Markup.Escape(step.FanoutLatency is { } fan ? $"{F(fan.P50Ms)} / {F(fan.P95Ms)} / {F(fan.P99Ms)} / {F(fan.MaxMs)} ms" : "n/a"),
                    step.Holds ? "[green]yes[/]" : step.Sustained ? "[yellow]no (p99)[/]" : "[red]no (behind)[/]");
            }

            console.Write(table);
            console.MarkupLine(Markup.Escape(HighestSustainedPerSecond is { } best
                ? $"highest sustained rate: {F(best)} orders/s (fan-out = completedAt − createdAt on the server; source: {string.Join(", ", Steps.Select(s => s.LatencySource).Distinct(StringComparer.Ordinal))})"
                : "highest sustained rate: none of the offered rates held"));
        }

        if (ColdStarts.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("3. cold start against a fake Runtime API (median)");
            table.AddColumn("Function");
            foreach (var column in new[] { "AOT init", "AOT first event", "JIT init", "JIT first event" })
            {
                table.AddColumn(new TableColumn(column).RightAligned());
            }

            table.AddColumn("Runs / answers");
            foreach (var function in ColdStarts.GroupBy(c => c.Function, StringComparer.Ordinal))
            {
                var aot = function.FirstOrDefault(c => c.Build == "AOT");
                var jit = function.FirstOrDefault(c => c.Build == "JIT");
                string Notes(ColdStartResult? r, string build) => r is null ? "" : $"{build}: {r.Runs} ({r.Outcomes}){(r.Error is { } e ? " " + e : "")}";
                table.AddRow(
                    Markup.Escape(function.Key),
                    Ms(aot?.InitMedianMs),
                    Ms(aot?.FirstEventMedianMs),
                    Ms(jit?.InitMedianMs),
                    Ms(jit?.FirstEventMedianMs),
                    Markup.Escape(string.Join("; ", new[] { Notes(aot, "AOT"), Notes(jit, "JIT") }.Where(n => n.Length > 0))));
            }

            console.Write(table);
            console.MarkupLine("[grey]init = process start → first /next; first event = process start → its answer posted.[/]");
        }
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BenchReport))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
