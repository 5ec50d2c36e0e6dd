using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.Contracts.Configuration;
using Fanout.Contracts.Topology;

namespace Fanout.Cli.Bench;

/// <summary>One build of one function to start cold: the AOT <c>bootstrap</c> or <c>dotnet &lt;dll&gt;</c> (JIT).</summary>
internal sealed record ColdStartSubject(string Function, string Build, string FileName, IReadOnlyList<string> Arguments);

/// <summary>One cold start, in milliseconds from just before the process start: <see cref="InitMs"/> when it
/// asked for its first event (init done), <see cref="FirstEventMs"/> when it answered it.</summary>
internal sealed record ColdStartSample(double InitMs, double FirstEventMs, string Outcome);

/// <summary>The median of a few cold starts of one build of one function; null figures when none completed.</summary>
internal sealed record ColdStartResult(string Function, string Build, int Runs, double? InitMedianMs, double? FirstEventMedianMs, string Outcomes, string? Error);

/// <summary>Starts a function's process against a <see cref="FakeRuntimeApi"/> serving one real-shaped event, and
/// times its init (process start → first <c>/next</c>) and its first event (→ the answer). The process is killed
/// after it answers. The functions are pointed at the running local emulators, so the first event does its real
/// calls (DynamoDB, SNS) as it would in Lambda.</summary>
internal sealed class ColdStartRunner
{
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;

    /// <param name="environment">AWS endpoints, region and credentials, plus the functions' settings.</param>
    /// <param name="timeout">How long one start may take to answer its first event.</param>
    /// <param name="time">The clock for the events' times and deadlines.</param>
    public ColdStartRunner(IReadOnlyDictionary<string, string> environment, TimeSpan timeout, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(time);
        _environment = environment;
        _timeout = timeout;
        _time = time;
    }

    /// <summary>The AOT and JIT builds of <paramref name="function"/>, where present under <paramref name="repoRoot"/>:
    /// <c>artifacts/lambda/&lt;Name&gt;/bootstrap</c> (scripts/build-functions.sh) and the project's Release dll.</summary>
    public static IEnumerable<ColdStartSubject> Subjects(string repoRoot, FunctionSpec function)
    {
        ArgumentNullException.ThrowIfNull(function);
        yield return new ColdStartSubject(function.Name, "AOT", Path.Combine(repoRoot, "artifacts", "lambda", function.Name, "bootstrap"), []);
        var dll = Path.Combine(repoRoot, function.Project, "bin", "Release", "net10.0", function.AssemblyName + ".dll");
        yield return new ColdStartSubject(function.Name, "JIT", "dotnet", [dll]);
    }

    public async Task<ColdStartResult> MeasureAsync(ColdStartSubject subject, FunctionSpec function, IReadOnlyDictionary<string, string> settings, int runs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(function);
        var binary = subject.Arguments.Count > 0 ? subject.Arguments[0] : subject.FileName;
        if (!File.Exists(binary))
        {
            return new ColdStartResult(subject.Function, subject.Build, 0, null, null, "", $"missing: {Path.GetFileName(binary)} (scripts/build-functions.sh, dotnet build)");
        }

        var samples = new List<ColdStartSample>(runs);
        string? error = null;
        for (var i = 0; i < runs; i++)
        {
            try
            {
                samples.Add(await RunOnceAsync(subject, function, settings, cancellationToken));
            }
            catch (TimeoutException ex)
            {
                error = ex.Message;
                break;
            }
        }

        static double? Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted.Count == 0 ? null : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        }

        var outcomes = string.Join(", ", samples.GroupBy(s => s.Outcome, StringComparer.Ordinal).Select(g => $"{g.Count()}× {g.Key}"));
        return new ColdStartResult(subject.Function, subject.Build, samples.Count, Median(samples.Select(s => s.InitMs)), Median(samples.Select(s => s.FirstEventMs)), outcomes, error);
    }

    private async Task<ColdStartSample> RunOnceAsync(ColdStartSubject subject, FunctionSpec function, IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var arn = $"arn:aws:lambda:{_environment.GetValueOrDefault("AWS_REGION", "us-east-1")}:000000000000:function:{function.Name}";
        await using var api = await FakeRuntimeApi.StartAsync(FirstEvent(function, _time.GetUtcNow()), arn, _time.GetUtcNow() + _timeout, cancellationToken);
        var start = new ProcessStartInfo(subject.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in subject.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in _environment.Concat(settings))
        {
            start.Environment[name] = value;
        }

        start.Environment["AWS_LAMBDA_RUNTIME_API"] = api.Address;
        start.Environment["AWS_LAMBDA_FUNCTION_NAME"] = function.Name;
        start.Environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = function.MemoryMb.ToString(CultureInfo.InvariantCulture);

        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{subject.FileName} did not start.");
        // Drained so a chatty function never blocks on a full pipe; what it says is not part of the measurement.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_timeout);
            var exited = process.WaitForExitAsync(timeout.Token);
            var answered = api.Answered;
            if (await Task.WhenAny(answered, exited) != answered)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new TimeoutException(process.HasExited
                    ? $"{function.Name} ({subject.Build}) exited with code {process.ExitCode} before answering its first event"
                    : $"{function.Name} ({subject.Build}) did not answer its first event within {_timeout.TotalSeconds:0} s");
            }

            var (answeredAt, outcome) = await answered;
            var initAt = api.InitDone.IsCompletedSuccessfully ? await api.InitDone : answeredAt;
            return new ColdStartSample(Stopwatch.GetElapsedTime(started, initAt).TotalMilliseconds, Stopwatch.GetElapsedTime(started, answeredAt).TotalMilliseconds, outcome);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
    }

    /// <summary>The settings the stack gives <paramref name="function"/> (<see cref="SettingNames"/>), for the
    /// local tables and topic.</summary>
    public static Dictionary<string, string> SettingsFor(FunctionSpec function, IReadOnlyDictionary<string, string> tables, string topicArn)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(tables);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SettingNames.TopicArn] = topicArn,
            [SettingNames.IdempotencyTtlDays] = FanoutTopology.IdempotencyRetentionDays.ToString(CultureInfo.InvariantCulture),
        };
        if (tables.TryGetValue(function.Table.Id, out var table))
        {
            settings[SettingNames.TableName] = table;
        }

        return settings;
    }

    /// <summary>A first event of the kind the function gets in Lambda: an HTTP API 2.0 POST /orders for the intake,
    /// an SQS batch of one OrderPlaced for the consumers, a stream batch of one (ignored) MODIFY for the relay and a
    /// schedule tick for the reconciler.</summary>
    internal static byte[] FirstEvent(FunctionSpec function, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(function);
        var orderId = Guid.CreateVersion7(now).ToString();
        if (function.Name == FanoutTopology.OrderIntake.Name)
        {
            var request = new HttpApiRequest
            {
                RouteKey = "POST /orders",
                RawPath = "/orders",
                RawQueryString = "",
                Headers = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["content-type"] = "application/json",
                    ["idempotency-key"] = Guid.NewGuid().ToString(),
                },
                Body = "{\"customer\":{\"email\":\"cold-start@example.com\",\"phone\":\"+14155550123\"},\"items\":[{\"sku\":\"MUG-WHITE\",\"quantity\":1}]}",
                RequestContext = new HttpApiRequestContext
                {
                    AccountId = "000000000000",
                    ApiId = "bench",
                    RequestId = Guid.NewGuid().ToString(),
                    RouteKey = "POST /orders",
                    Stage = "$default",
                    Time = now.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture),
                    TimeEpoch = now.ToUnixTimeMilliseconds(),
                    Authorizer = new HttpApiAuthorizerDescription { Jwt = new HttpApiJwtDescription { Claims = new Dictionary<string, string>(StringComparer.Ordinal) { ["sub"] = "cold-start-customer", ["token_use"] = "access" }, Scopes = [] } },
                    Http = new HttpApiHttpDescription { Method = "POST", Path = "/orders", Protocol = "HTTP/1.1", SourceIp = "127.0.0.1" },
                },
            };
            return JsonSerializer.SerializeToUtf8Bytes(request, AwsShimsJsonContext.Default.HttpApiRequest);
        }

        if (function.Name == FanoutTopology.OutboxRelay.Name)
        {
            var stream = new DynamoDbStreamEvent
            {
                Records =
                [
                    new DynamoDbStreamRecord
                    {
                        EventId = "1",
                        EventName = "MODIFY",
                        Change = new DynamoDbStreamChange
                        {
                            ApproximateCreationDateTime = now.ToUnixTimeSeconds(),
                            Keys = new Dictionary<string, StreamAttributeValue> { [FanoutTopology.PartitionKey] = new() { S = "ORDER#" + orderId } },
                            NewImage = new Dictionary<string, StreamAttributeValue> { [FanoutTopology.PartitionKey] = new() { S = "ORDER#" + orderId } },
                            SequenceNumber = "100000000000000000001",
                            SizeBytes = 64,
                        },
                    },
                ],
            };
            return JsonSerializer.SerializeToUtf8Bytes(stream, AwsShimsJsonContext.Default.DynamoDbStreamEvent);
        }

        if (function.Name == FanoutTopology.Reconciler.Name)
        {
            return Encoding.UTF8.GetBytes("{\"version\":\"0\",\"detail-type\":\"Scheduled Event\",\"source\":\"aws.events\",\"time\":\"" + now.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) + "\",\"detail\":{}}");
        }

        var envelope = "{\"specversion\":\"1.0\",\"id\":\"" + EventIdV8() + "\",\"source\":\"urn:fanout:orders\",\"type\":\"OrderPlaced\",\"subject\":\"" + orderId
            + "\",\"time\":\"" + now.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) + "\",\"datacontenttype\":\"application/json\",\"correlationid\":\"cold-start\",\"data\":{\"orderId\":\""
            + orderId + "\",\"customer\":{\"id\":\"cold-start-customer\",\"email\":\"cold-start@example.com\",\"phone\":\"+14155550123\"},\"items\":[{\"sku\":\"MUG-WHITE\",\"quantity\":1}],\"placedAt\":\""
            + now.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) + "\"}}";
        var sqs = new SqsEvent();
        sqs.Records.Add(new SqsMessage
        {
            MessageId = Guid.NewGuid().ToString(),
            ReceiptHandle = "cold-start",
            Body = envelope,
            EventSourceArn = "arn:aws:sqs:us-east-1:000000000000:" + function.Name.ToLowerInvariant(),
            AwsRegion = "us-east-1",
            Attributes = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["ApproximateReceiveCount"] = "1",
                ["SentTimestamp"] = now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            },
        });
        sqs.Records[0].MessageAttributes["type"] = new SqsMessageAttributeValue { DataType = "String", StringValue = "OrderPlaced" };
        sqs.Records[0].MessageAttributes["correlationId"] = new SqsMessageAttributeValue { DataType = "String", StringValue = "cold-start" };
        return JsonSerializer.SerializeToUtf8Bytes(sqs, AwsShimsJsonContext.Default.SqsEvent);
    }

    /// <summary>A random UUID with version 8 and the RFC 9562 variant, the shape of Fanout's event ids.</summary>
    private static string EventIdV8()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(bytes);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }
}
