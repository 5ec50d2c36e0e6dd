using System.CommandLine;
using Fanout.Cli.Targeting;

namespace Fanout.Cli.Commands;

/// <summary>The "where to talk to" options, added to a command according to what it needs, and turned into a
/// <see cref="TargetRequest"/>.</summary>
internal sealed class TargetOptions
{
    private readonly TargetNeeds _needs;
    private readonly TargetNeeds _wants;

    private TargetOptions(TargetNeeds needs, TargetNeeds wants)
    {
        _needs = needs;
        _wants = wants;
        var all = needs | wants;
        Stack = new Option<string?>("--stack") { Description = "A deployed stack's name: URLs, queues and tables come from its CloudFormation outputs", HelpName = "name" };
        Region = new Option<string?>("--region") { Description = "AWS region (default: AWS_REGION; with --stack, the region to find it in)", HelpName = "region" };
        if (all.HasFlag(TargetNeeds.Api))
        {
            ApiUrl = new Option<string?>("--api-url") { Description = "Order API base URL (default: --stack output, the running `fanout up`, else http://127.0.0.1:5080)", HelpName = "url" };
        }

        if (all.HasFlag(TargetNeeds.Queues))
        {
            QueueUrl = new Option<string?>("--queue-url") { Description = "The consumer queue URL (with --dlq-url), overriding the stack or local state", HelpName = "url" };
            DeadLetterQueueUrl = new Option<string?>("--dlq-url") { Description = "The dead-letter queue URL (with --queue-url)", HelpName = "url" };
        }

        if (all.HasFlag(TargetNeeds.Table))
        {
            Table = new Option<string?>("--table") { Description = "The DynamoDB table name, overriding the stack or local state", HelpName = "name" };
        }
    }

    public Option<string?> Stack { get; }

    public Option<string?> Region { get; }

    public Option<string?>? ApiUrl { get; }

    public Option<string?>? QueueUrl { get; }

    public Option<string?>? DeadLetterQueueUrl { get; }

    public Option<string?>? Table { get; }

    public static TargetOptions For(TargetNeeds needs, TargetNeeds wants = TargetNeeds.None) => new(needs, wants);

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in new[] { ApiUrl, Stack, Region, QueueUrl, DeadLetterQueueUrl, Table })
        {
            if (option is not null)
            {
                command.Options.Add(option);
            }
        }
    }

    public TargetRequest ToRequest(ParseResult parse, string? service = null, string? tableId = null)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return new TargetRequest
        {
            Needs = _needs,
            Wants = _wants,
            Stack = parse.GetValue(Stack),
            Region = parse.GetValue(Region),
            ApiUrl = ApiUrl is null ? null : parse.GetValue(ApiUrl),
            QueueUrl = QueueUrl is null ? null : parse.GetValue(QueueUrl),
            DeadLetterQueueUrl = DeadLetterQueueUrl is null ? null : parse.GetValue(DeadLetterQueueUrl),
            Table = Table is null ? null : parse.GetValue(Table),
            Service = service,
            TableId = tableId,
        };
    }

    /// <summary>Resolves with the real sources: CloudFormation for --stack, the repository's state file for `fanout up`.</summary>
    public async Task<ResolvedTarget> ResolveAsync(ParseResult parse, CancellationToken cancellationToken, string? service = null, string? tableId = null)
    {
        var resolver = new TargetResolver(new CloudFormationStackOutputs(CliHttp.Shared, TimeProvider.System), LocalUpStateFile.ForCurrentRepository());
        return await resolver.ResolveAsync(ToRequest(parse, service, tableId), cancellationToken);
    }
}

/// <summary>HTTP clients for the CLI's own calls (the AWS SDK has its own).</summary>
internal static class CliHttp
{
    /// <summary>For single requests and AWS Query calls.</summary>
    public static HttpClient Shared { get; } = Create(maxConnections: 4, TimeSpan.FromSeconds(30));

    public static HttpClient Create(int maxConnections, TimeSpan timeout) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = maxConnections, PooledConnectionLifetime = TimeSpan.FromMinutes(2) }) { Timeout = timeout };
}
