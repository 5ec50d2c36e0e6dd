using Fanout.Contracts.Topology;

namespace Fanout.Cli.Targeting;

/// <summary>Decides where a command talks to. Each value comes from the first of: an explicit option
/// (<c>--api-url</c>, <c>--queue-url</c>, <c>--dlq-url</c>, <c>--table</c>), the outputs of <c>--stack</c>, the
/// state of a running <c>fanout up</c>, and, for the API alone, the default local address. The AWS side (endpoints,
/// credentials) follows the same order: the SDK's normal chain with <c>--stack</c>, the emulators of a running
/// <c>fanout up</c>, else the SDK's own environment.</summary>
internal sealed class TargetResolver
{
    public static readonly Uri DefaultApiUrl = new("http://127.0.0.1:5080/");

    private readonly IStackOutputsSource _stacks;
    private readonly ILocalUpSource _localUp;
    private readonly Func<string, string?> _environment;

    public TargetResolver(IStackOutputsSource stacks, ILocalUpSource localUp, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(stacks);
        ArgumentNullException.ThrowIfNull(localUp);
        _stacks = stacks;
        _localUp = localUp;
        _environment = environment ?? Environment.GetEnvironmentVariable;
    }

    public async Task<ResolvedTarget> ResolveAsync(TargetRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var consumers = Consumers(request);
        var apiUrl = request.ApiUrl is null ? null : ParseApiUrl(request.ApiUrl, "--api-url");
        var queues = ExplicitQueues(request, consumers);
        var table = NonBlank(request.Table);
        var region = NonBlank(request.Region);
        var wanted = request.Needs | request.Wants;

        bool Missing(TargetNeeds needs) =>
            (needs.HasFlag(TargetNeeds.Api) && apiUrl is null)
            || (needs.HasFlag(TargetNeeds.Queues) && consumers.Any(c => !queues.ContainsKey(c.Service)))
            || (needs.HasFlag(TargetNeeds.Table) && table is null);

        if (NonBlank(request.Stack) is { } stackName)
        {
            region ??= NonBlank(_environment("AWS_REGION")) ?? NonBlank(_environment("AWS_DEFAULT_REGION"))
                ?? throw new TargetResolutionException("--stack needs a region: pass --region or set AWS_REGION.");
            if (Missing(wanted))
            {
                var stack = await _stacks.DescribeAsync(stackName, region, cancellationToken);
                var outputs = stack.Outputs;
                var missingOutputs = new List<string>();
                string? Output(string name, bool required)
                {
                    if (outputs.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value))
                    {
                        return value;
                    }

                    if (required)
                    {
                        missingOutputs.Add(name);
                    }

                    return null;
                }

                if (wanted.HasFlag(TargetNeeds.Api) && apiUrl is null && Output(StackOutputNames.ApiUrl, request.Needs.HasFlag(TargetNeeds.Api)) is { } fromStack)
                {
                    apiUrl = ParseApiUrl(fromStack, $"stack output {StackOutputNames.ApiUrl}");
                }

                if (wanted.HasFlag(TargetNeeds.Queues))
                {
                    foreach (var consumer in consumers.Where(c => !queues.ContainsKey(c.Service)))
                    {
                        var required = request.Needs.HasFlag(TargetNeeds.Queues);
                        var queueUrl = Output(StackOutputNames.QueueUrl(consumer), required);
                        var dlqUrl = Output(StackOutputNames.DeadLetterQueueUrl(consumer), required);
                        if (queueUrl is not null && dlqUrl is not null)
                        {
                            queues[consumer.Service] = new QueuePair(consumer.Service, queueUrl, dlqUrl);
                        }
                    }
                }

                if (wanted.HasFlag(TargetNeeds.Table) && table is null)
                {
                    table = Output(StackOutputNames.TableName(TableSpecFor(request)), request.Needs.HasFlag(TargetNeeds.Table));
                }

                if (missingOutputs.Count > 0)
                {
                    throw new TargetResolutionException(
                        $"Stack '{stack.StackName}' ({stack.Status}) has no output {string.Join(", ", missingOutputs)}: is it a Fanout stack, fully deployed?");
                }

                // The stack knows its own region; the one used to find it is only the caller's default.
                region = NonBlank(request.Region) ?? Output(StackOutputNames.Region, required: false) ?? region;
            }

            return Build(TargetSource.Stack, $"stack {stackName} ({region})", request, consumers, apiUrl, queues, table, region, stackName, null);
        }

        // Explicit names still go to the running emulators: with `fanout up` running and no --stack, an explicit
        // --table or --queue-url means a local one, and sending it to whatever the SDK environment points at
        // (possibly a real account) would be the surprise.
        var awsNeeded = (wanted & (TargetNeeds.Queues | TargetNeeds.Table)) != 0;
        if ((Missing(wanted) || awsNeeded) && _localUp.TryGetRunning() is { } state)
        {
            apiUrl ??= NonBlank(state.ApiUrl) is { } localApi ? ParseApiUrl(localApi, "the `fanout up` state file's apiUrl") : null;
            foreach (var consumer in consumers.Where(c => !queues.ContainsKey(c.Service)))
            {
                if (state.Queues.TryGetValue(consumer.Service, out var urls) && !string.IsNullOrWhiteSpace(urls.QueueUrl) && !string.IsNullOrWhiteSpace(urls.DeadLetterQueueUrl))
                {
                    queues[consumer.Service] = new QueuePair(consumer.Service, urls.QueueUrl, urls.DeadLetterQueueUrl);
                }
            }

            if (table is null && request.TableId is not null && state.Tables.TryGetValue(request.TableId, out var localTable))
            {
                table = NonBlank(localTable);
            }

            return Build(
                TargetSource.LocalUp,
                $"local `fanout up` (pid {state.Pid})",
                request,
                consumers,
                apiUrl,
                queues,
                table,
                region ?? NonBlank(state.Region),
                null,
                awsNeeded ? LocalUpStateFile.ToAwsTarget(state) : null);
        }

        // Only an HTTP-only command falls back to the default address: guessing queue URLs or table names would
        // operate on whatever the SDK environment points at.
        if (request.Needs == TargetNeeds.Api && apiUrl is null)
        {
            return Build(TargetSource.Default, $"default local API {DefaultApiUrl}", request, consumers, DefaultApiUrl, queues, table, region, null, null);
        }

        return Build(TargetSource.Options, "explicit options", request, consumers, apiUrl, queues, table, region, null, null);
    }

    private static ResolvedTarget Build(
        TargetSource source,
        string description,
        TargetRequest request,
        IReadOnlyList<ConsumerSpec> consumers,
        Uri? apiUrl,
        Dictionary<string, QueuePair> queues,
        string? table,
        string? region,
        string? stackName,
        Harness.Emulators.AwsTarget? localEndpoints)
    {
        var problems = new List<string>();
        if (request.Needs.HasFlag(TargetNeeds.Api) && apiUrl is null)
        {
            problems.Add("the API URL (--api-url)");
        }

        if (request.Needs.HasFlag(TargetNeeds.Queues))
        {
            var missing = consumers.Where(c => !queues.ContainsKey(c.Service)).Select(c => c.Service).ToList();
            if (missing.Count > 0)
            {
                problems.Add($"the queue and DLQ URLs of {string.Join(", ", missing)} (--queue-url and --dlq-url)");
            }
        }

        if (request.Needs.HasFlag(TargetNeeds.Table) && table is null)
        {
            problems.Add($"the {request.TableId ?? "DynamoDB"} table name (--table)");
        }

        if (problems.Count > 0)
        {
            var hint = source == TargetSource.LocalUp
                ? "The running `fanout up` did not provide them"
                : "No running `fanout up` found and no --stack given";
            throw new TargetResolutionException($"{hint}: cannot tell {string.Join("; ", problems)}. Start `fanout up`, or pass --stack <name> (with --region), or the options named.");
        }

        return new ResolvedTarget
        {
            Source = source,
            Description = description,
            ApiUrl = apiUrl,
            Region = region,
            StackName = stackName,
            Queues = [.. queues.Values.OrderBy(q => Order(consumers, q.Service))],
            TableName = table,
            LocalEndpoints = localEndpoints,
        };
    }

    // Topology order (sms, email, inventory, orderstatus), ad-hoc queues last.
    private static int Order(IReadOnlyList<ConsumerSpec> consumers, string service)
    {
        for (var i = 0; i < consumers.Count; i++)
        {
            if (consumers[i].Service == service)
            {
                return i;
            }
        }

        return int.MaxValue;
    }

    private static IReadOnlyList<ConsumerSpec> Consumers(TargetRequest request)
    {
        if ((request.Needs | request.Wants).HasFlag(TargetNeeds.Queues) is false)
        {
            return [];
        }

        if (request.Service is null)
        {
            // Explicit URLs without a service name a single, ad-hoc queue pair (e.g. `fanout watch --queue-url`).
            return request.QueueUrl is not null || request.DeadLetterQueueUrl is not null ? [] : FanoutTopology.Consumers;
        }

        return [FanoutTopology.Consumers.FirstOrDefault(c => c.Service == request.Service)
            ?? throw new TargetResolutionException($"Unknown service '{request.Service}'; one of: {string.Join(", ", FanoutTopology.Consumers.Select(c => c.Service))}.")];
    }

    private static Dictionary<string, QueuePair> ExplicitQueues(TargetRequest request, IReadOnlyList<ConsumerSpec> consumers)
    {
        var queues = new Dictionary<string, QueuePair>(StringComparer.Ordinal);
        var queueUrl = NonBlank(request.QueueUrl);
        var dlqUrl = NonBlank(request.DeadLetterQueueUrl);
        if (queueUrl is null && dlqUrl is null)
        {
            return queues;
        }

        if (queueUrl is null || dlqUrl is null)
        {
            throw new TargetResolutionException("--queue-url and --dlq-url go together: a DLQ is only meaningful with the queue it redrives to.");
        }

        var service = consumers.Count == 1 ? consumers[0].Service : request.Service ?? QueueName(queueUrl);
        queues[service] = new QueuePair(service, queueUrl, dlqUrl);
        return queues;
    }

    private static TableSpec TableSpecFor(TargetRequest request) =>
        FanoutTopology.Tables.FirstOrDefault(t => t.Id == request.TableId)
        ?? throw new TargetResolutionException($"Unknown table id '{request.TableId}'.");

    internal static string QueueName(string queueUrl)
    {
        var trimmed = queueUrl.TrimEnd('/');
        return trimmed[(trimmed.LastIndexOf('/') + 1)..];
    }

    private static Uri ParseApiUrl(string value, string from)
    {
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new TargetResolutionException($"{from} ('{value}') is not an absolute http(s) URL.");
        }

        // Relative paths ("orders") must land under a stage prefix such as /prod/, not replace it.
        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri.GetLeftPart(UriPartial.Path) + "/" + uri.Query);
    }

    private static string? NonBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
