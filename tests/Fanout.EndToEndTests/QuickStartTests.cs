using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Fanout.Cli.Local;

namespace Fanout.EndToEndTests;

/// <summary>The README's Quick start, exercised as a user would: scripts/run.sh in a child process, the README's
/// own curl lines with a token from <c>scripts/fanout token</c>, more signed-in orders over HTTP, the fanout CLI for
/// DLQ redrive, then SIGTERM and a check for leftover processes.</summary>
[Trait("Category", "EndToEnd")]
public sealed partial class QuickStartTests
{
    private static readonly TimeSpan _fanoutTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task RunScript_OrdersPoisonRedriveAndSigterm_NothingLostAndNothingLeftRunning()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = RunScriptProcess.FreePort();
        var breakFile = Path.Combine(Path.GetTempPath(), $"fanout-e2e-break-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(breakFile, "broken", ct);
        var marker = $"e2e-poison-{Guid.NewGuid():N}"[..24];

        await using var run = RunScriptProcess.Start(
            $"--port {port} --visibility-timeout 2",
            new Dictionary<string, string> { [UpRunner.BreakFileVariable] = breakFile, [UpRunner.BreakMarkerVariable] = marker });
        var ready = await run.WaitUntilReadyAsync(TimeSpan.FromMinutes(5));
        Assert.Contains($"http://127.0.0.1:{port}/", ready, StringComparison.Ordinal);

        var state = LocalState.TryRead(LocalState.DefaultPath(RunScriptProcess.RepoRoot)) ?? throw new InvalidOperationException("no state file");
        Assert.Equal(run.Pid, state.Pid);
        Assert.NotNull(state.Identity);
        Assert.Contains("customer", state.Identity.Users.Keys);
        Assert.Contains("operator", state.Identity.Users.Keys);

        // 0. The Quick start's curl lines, word for word: signed in, the order completes; unsigned, 401.
        var (postLine, getLine) = ReadmeQuickStart.Commands();
        var post = await ReadmeQuickStart.RunAsync(postLine, port, ct);
        Assert.True(post.ExitCode == 0, post.Stderr);
        var posted = ReadmeQuickStart.ParseResponse(post.Stdout);
        Assert.True(posted.Status == 202, $"README POST answered {posted.Status}: {posted.Body}\n{post.Stderr}");
        string readmeOrder;
        using (var accepted = JsonDocument.Parse(posted.Body))
        {
            readmeOrder = accepted.RootElement.GetProperty("orderId").GetString()!;
        }

        Assert.EndsWith("/orders/" + readmeOrder, posted.Headers["location"], StringComparison.Ordinal);
        var readmeView = await WaitUntilReadmeGetAsync(getLine.Replace("<orderId>", readmeOrder, StringComparison.Ordinal), port, ct);
        Assert.Equal("COMPLETED", readmeView.GetProperty("status").GetString());

        var unsigned = await ReadmeQuickStart.RunAsync(ReadmeQuickStart.WithoutAuthorization(postLine), port, ct);
        var refused = ReadmeQuickStart.ParseResponse(unsigned.Stdout);
        Assert.Equal(401, refused.Status);
        Assert.Equal("{\"message\":\"Unauthorized\"}", refused.Body);
        Assert.StartsWith("application/json", refused.Headers["content-type"], StringComparison.Ordinal);
        Assert.StartsWith("Bearer", refused.Headers["www-authenticate"], StringComparison.Ordinal);

        // The token command prints the token alone: one line, a JWT (RFC 7519 compact form), nothing else.
        var token = await RunCliAsync("token", ct);
        Assert.True(token.ExitCode == 0, token.Output);
        Assert.Matches(JwtLine(), token.Stdout);

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        using (var anonymous = await http.GetAsync(new Uri("orders/" + readmeOrder, UriKind.Relative), ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Stdout.TrimEnd('\n'));

        // A second `fanout up` says so clearly instead of crashing on the taken port.
        var second = await RunCliAsync($"up --port {port}", ct);
        Assert.Equal(3, second.ExitCode);
        Assert.Contains("already running", second.Output, StringComparison.Ordinal);

        // 1. Orders over HTTP, one of them poison for the (broken) inventory consumer.
        var orders = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            orders.Add(await PlaceAsync(http, $"e2e-{i}", i % 2 == 0 ? "+14155550100" : null, ct));
        }

        var poisonOrder = await PlaceAsync(http, marker, "+14155550101", ct);

        // 2. Every normal order fans out fully; the poison one waits on inventory.
        foreach (var id in orders)
        {
            var view = await WaitForAsync(http, id, v => v.GetProperty("status").GetString() != "PENDING", ct);
            Assert.Equal("COMPLETED", view.GetProperty("status").GetString());
            Assert.Equal("SENT", view.GetProperty("services").GetProperty("email").GetString());
        }

        // 3. The poison message reaches the inventory DLQ after maxReceiveCount failed receives.
        using var sqs = new AmazonSQSClient(new BasicAWSCredentials(state.AccessKeyId, state.SecretAccessKey ?? throw new InvalidOperationException("embedded emulators write their fake secret")), new AmazonSQSConfig { ServiceURL = state.SqsEndpoint, AuthenticationRegion = state.Region });
        var inventory = state.Queues["inventory"];
        await WaitUntilAsync(async () => await DepthAsync(sqs, inventory.DeadLetterQueueUrl) == 1, "the poison message in the inventory DLQ", ct);
        var stuck = await Get(http, poisonOrder, ct);
        Assert.Equal("PENDING", stuck.GetProperty("services").GetProperty("inventory").GetString());
        Assert.Equal("SENT", stuck.GetProperty("services").GetProperty("sms").GetString());

        // "Fix" the consumer, then redrive with the CLI.
        File.Delete(breakFile);
        var redrive = await RunCliAsync("dlq redrive inventory", ct);
        Assert.True(redrive.ExitCode == 0, redrive.Output);

        var healed = await WaitForAsync(http, poisonOrder, v => v.GetProperty("status").GetString() != "PENDING", ct);
        Assert.Equal("COMPLETED", healed.GetProperty("status").GetString());
        Assert.Equal("RESERVED", healed.GetProperty("services").GetProperty("inventory").GetString());

        // 4. Nothing lost: every order complete, every queue and DLQ drained.
        foreach (var id in orders.Append(poisonOrder))
        {
            Assert.Equal("COMPLETED", (await Get(http, id, ct)).GetProperty("status").GetString());
        }

        foreach (var (service, queue) in state.Queues)
        {
            await WaitUntilAsync(async () => await DepthAsync(sqs, queue.QueueUrl) == 0 && await DepthAsync(sqs, queue.DeadLetterQueueUrl) == 0, $"{service} queues to drain", ct);
        }

        // 5. SIGTERM: the CLI stops within seconds and leaves no emulator, java or dotnet child behind.
        var tree = run.Descendants();
        Assert.Contains(tree, pid => RunScriptProcess.Describe(pid).Contains("java", StringComparison.Ordinal));
        Assert.Contains(tree, pid => RunScriptProcess.Describe(pid).Contains("fauxqs.mjs", StringComparison.Ordinal));
        var clock = Stopwatch.StartNew();
        run.SendSigterm();
        Assert.True(await run.WaitForExitAsync(TimeSpan.FromSeconds(15)), "fanout up did not exit within 15 s of SIGTERM:\n" + run.Output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"shutdown took {clock.Elapsed.TotalSeconds:0.0} s");
        var survivors = tree.Where(RunScriptProcess.IsAlive).Select(RunScriptProcess.Describe).ToList();
        Assert.True(survivors.Count == 0, "left running: " + string.Join("; ", survivors));
        Assert.False(File.Exists(LocalState.DefaultPath(RunScriptProcess.RepoRoot)), "the state file should be removed on exit");
    }

    // The customer is the signed-in user, so the body names none; the mailbox carries the test's marker.
    private static async Task<string> PlaceAsync(HttpClient http, string mailbox, string? phone, CancellationToken ct)
    {
        var phonePart = phone is null ? "" : $",\"phone\":\"{phone}\"";
        var body = $"{{\"customer\":{{\"email\":\"{mailbox}@example.com\"{phonePart}}},\"items\":[{{\"sku\":\"MUG-WHITE\",\"quantity\":1}}]}}";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("orders", UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };

        // POST /orders requires an Idempotency-Key: one per order, as a client retrying safely sends.
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST answered {(int)response.StatusCode}: {text}");
        Assert.NotNull(response.Headers.Location);
        Assert.True(response.Headers.Contains("X-Correlation-Id"));
        using var json = JsonDocument.Parse(text);
        return json.RootElement.GetProperty("orderId").GetString()!;
    }

    private static async Task<JsonElement> Get(HttpClient http, string id, CancellationToken ct) =>
        await http.GetFromJsonAsync<JsonElement>(new Uri("orders/" + id, UriKind.Relative), ct);

    private static async Task<JsonElement> WaitForAsync(HttpClient http, string id, Func<JsonElement, bool> done, CancellationToken ct)
    {
        JsonElement last = default;
        await WaitUntilAsync(async () => done(last = await Get(http, id, ct)), $"order {id}", ct);
        return last;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > _fanoutTimeout)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }

            await Task.Delay(250, ct);
        }
    }

    private static async Task<int> DepthAsync(AmazonSQSClient sqs, string queueUrl)
    {
        var attributes = await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = queueUrl, AttributeNames = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] });
        return int.Parse(attributes.Attributes["ApproximateNumberOfMessages"], CultureInfo.InvariantCulture)
            + int.Parse(attributes.Attributes["ApproximateNumberOfMessagesNotVisible"], CultureInfo.InvariantCulture);
    }

    private static async Task<JsonElement> WaitUntilReadmeGetAsync(string getLine, int port, CancellationToken ct)
    {
        JsonElement last = default;
        await WaitUntilAsync(
            async () =>
            {
                var got = await ReadmeQuickStart.RunAsync(getLine, port, ct);
                Assert.True(got.ExitCode == 0, got.Stderr);
                using var json = JsonDocument.Parse(got.Stdout);
                last = json.RootElement.Clone();
                return last.GetProperty("status").GetString() != "PENDING";
            },
            "the README's order",
            ct);
        return last;
    }

    /// <summary>Runs <c>scripts/fanout</c> as a user types it, from the repository root.</summary>
    private static async Task<(int ExitCode, string Stdout, string Output)> RunCliAsync(string arguments, CancellationToken ct)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = RunScriptProcess.RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RunScriptProcess.RepoRoot, "scripts", "fanout"));
        foreach (var argument in arguments.Split(' '))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var output = await stdout;
        return (process.ExitCode, output, output + await stderr);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\n$")]
    private static partial Regex JwtLine();
}
