using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;

namespace Fanout.UnitTests.OrderStatus.Store;

/// <summary>A one-table DynamoDB model that really evaluates the conditions and updates the order store writes
/// when it applies outcomes (<c>attribute_exists</c>/<c>attribute_not_exists</c>, <c>NOT contains</c>, <c>a = :v</c>
/// joined by <c>AND</c>; <c>SET</c> of attributes and <c>appliedAt.#svc</c> map members, <c>ADD</c> to a string set,
/// <c>REMOVE</c>), each call atomic as DynamoDB makes a single-item write, with <c>ReturnValues=ALL_NEW</c> and
/// <c>ReturnValuesOnConditionCheckFailure=ALL_OLD</c>. Each call first waits for its turn in a
/// <see cref="Turnstile"/>, so a test can force any interleaving of concurrent callers' reads and writes.</summary>
internal sealed class ConditionalOrderTable : AmazonDynamoDBClient
{
    private readonly Lock _gate = new();

    public ConditionalOrderTable(Turnstile turnstile)
        : base(new AmazonDynamoDBConfig { ServiceURL = "http://localhost:1", AuthenticationRegion = "us-east-1" })
    {
        Turnstile = turnstile;
    }

    public Turnstile Turnstile { get; }

    public Dictionary<string, Dictionary<string, AttributeValue>> Items { get; } = new(StringComparer.Ordinal);

    /// <summary>The updates that passed their condition, in the order they were applied.</summary>
    public List<UpdateItemRequest> Applied { get; } = [];

    /// <summary>How many conditional writes failed (each one still costs a write unit on AWS).</summary>
    public int FailedWrites { get; private set; }

    public override async Task<GetItemResponse> GetItemAsync(GetItemRequest request, CancellationToken cancellationToken = default)
    {
        await Turnstile.EnterAsync("get", cancellationToken);
        try
        {
            lock (_gate)
            {
                return new GetItemResponse { Item = Items.TryGetValue(request.Key[FanoutTopology.PartitionKey].S, out var item) ? Clone(item) : null };
            }
        }
        finally
        {
            Turnstile.Leave("get");
        }
    }

    public override async Task<UpdateItemResponse> UpdateItemAsync(UpdateItemRequest request, CancellationToken cancellationToken = default)
    {
        await Turnstile.EnterAsync("update", cancellationToken);
        try
        {
            lock (_gate)
            {
                var pk = request.Key[FanoutTopology.PartitionKey].S;
                var item = Items.GetValueOrDefault(pk);
                if (!Holds(request.ConditionExpression, item, request))
                {
                    FailedWrites++;
                    throw new ConditionalCheckFailedException("The conditional request failed")
                    {
                        Item = request.ReturnValuesOnConditionCheckFailure == ReturnValuesOnConditionCheckFailure.ALL_OLD && item is not null ? Clone(item) : null,
                    };
                }

                item ??= new Dictionary<string, AttributeValue> { [FanoutTopology.PartitionKey] = new() { S = pk } };
                Apply(request, item);
                Items[pk] = item;
                Applied.Add(request);
                return new UpdateItemResponse { Attributes = request.ReturnValues == ReturnValue.ALL_NEW ? Clone(item) : null };
            }
        }
        finally
        {
            Turnstile.Leave("update");
        }
    }

    private static bool Holds(string? condition, Dictionary<string, AttributeValue>? item, UpdateItemRequest request)
    {
        if (string.IsNullOrEmpty(condition))
        {
            return true;
        }

        foreach (var term in condition.Split(" AND ", StringSplitOptions.TrimEntries))
        {
            bool holds;
            if (term.StartsWith("attribute_exists(", StringComparison.Ordinal))
            {
                holds = item is not null && item.ContainsKey(Name(term[17..^1], request));
            }
            else if (term.StartsWith("attribute_not_exists(", StringComparison.Ordinal))
            {
                holds = item is null || !item.ContainsKey(Name(term[21..^1], request));
            }
            else if (term.StartsWith("NOT contains(", StringComparison.Ordinal))
            {
                var parts = term[13..^1].Split(", ");
                var value = request.ExpressionAttributeValues[parts[1]].S;
                holds = item is null || !item.TryGetValue(Name(parts[0], request), out var set) || set.SS is null || !set.SS.Contains(value);
            }
            else
            {
                var parts = term.Split(" = ");
                holds = item is not null && item.TryGetValue(Name(parts[0], request), out var current) && current.S == request.ExpressionAttributeValues[parts[1]].S;
            }

            if (!holds)
            {
                return false;
            }
        }

        return true;
    }

    private static void Apply(UpdateItemRequest request, Dictionary<string, AttributeValue> item)
    {
        var expression = request.UpdateExpression;
        string? remove = null;
        string? add = null;
        var at = expression.IndexOf(" REMOVE ", StringComparison.Ordinal);
        if (at >= 0)
        {
            remove = expression[(at + 8)..];
            expression = expression[..at];
        }

        at = expression.IndexOf(" ADD ", StringComparison.Ordinal);
        if (at >= 0)
        {
            add = expression[(at + 5)..];
            expression = expression[..at];
        }

        foreach (var assignment in expression["SET ".Length..].Split(", "))
        {
            var parts = assignment.Split(" = ");
            var value = request.ExpressionAttributeValues[parts[1]].S;
            var path = parts[0].Split('.');
            if (path.Length == 2)
            {
                var map = item.TryGetValue(Name(path[0], request), out var m) && m.M is not null ? m : item[Name(path[0], request)] = new AttributeValue { M = [], IsMSet = true };
                map.M[Name(path[1], request)] = new AttributeValue { S = value };
            }
            else
            {
                item[Name(path[0], request)] = new AttributeValue { S = value };
            }
        }

        if (add is not null)
        {
            var parts = add.Split(' ');
            var name = Name(parts[0], request);
            var values = item.TryGetValue(name, out var set) && set.SS is { } existing ? existing.ToList() : [];
            values.AddRange(request.ExpressionAttributeValues[parts[1]].SS.Where(v => !values.Contains(v)));
            item[name] = new AttributeValue { SS = values };
        }

        foreach (var name in remove?.Split(", ") ?? [])
        {
            item.Remove(Name(name, request));
        }
    }

    private static string Name(string token, UpdateItemRequest request) =>
        token.StartsWith('#') ? request.ExpressionAttributeNames[token] : token;

    private static Dictionary<string, AttributeValue> Clone(Dictionary<string, AttributeValue> item) =>
        item.ToDictionary(
            kv => kv.Key,
            kv => kv.Value.M is { Count: > 0 } || kv.Value.IsMSet
                ? new AttributeValue { M = kv.Value.M.ToDictionary(m => m.Key, m => new AttributeValue { S = m.Value.S }), IsMSet = true }
                : kv.Value.SS is { Count: > 0 } ? new AttributeValue { SS = [.. kv.Value.SS] } : new AttributeValue { S = kv.Value.S },
            StringComparer.Ordinal);
}

/// <summary>Lets concurrent callers (each named by <see cref="Caller"/>) through in a scripted order of
/// <c>caller:operation</c> steps; a step no longer in the remaining script (a retry, a settle) goes through freely.</summary>
internal sealed class Turnstile(IReadOnlyList<string> script)
{
    private static readonly AsyncLocal<string?> CurrentCaller = new();
    private readonly Lock _gate = new();
    private int _position;
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Names the caller on this async flow.</summary>
    public static string? Caller
    {
        get => CurrentCaller.Value;
        set => CurrentCaller.Value = value;
    }

    public async Task EnterAsync(string operation, CancellationToken cancellationToken)
    {
        var step = Caller + ":" + operation;
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_position >= script.Count || script[_position] == step || !script.Skip(_position).Contains(step))
                {
                    return;
                }

                wait = _advanced.Task;
            }

            await wait.WaitAsync(cancellationToken);
        }
    }

    public void Leave(string operation)
    {
        var step = Caller + ":" + operation;
        lock (_gate)
        {
            if (_position < script.Count && script[_position] == step)
            {
                _position++;
                var advanced = _advanced;
                _advanced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                advanced.SetResult();
            }
        }
    }
}
