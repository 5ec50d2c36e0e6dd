using System.Collections.Concurrent;
using System.Reflection;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace Fanout.UnitTests.TestDoubles;

/// <summary>An <see cref="IAmazonDynamoDB"/> that accepts every item write and records the requests: enough for
/// a lease-idempotency store whose claims always succeed, so the real SMS and e-mail services can run in memory.
/// Any other call fails loudly, so a test cannot silently depend on behaviour this double does not have.</summary>
#pragma warning disable CA1852 // DispatchProxy.Create derives a proxy type from this class at run time, so it must stay unsealed.
internal class AcceptingDynamoDb : DispatchProxy
#pragma warning restore CA1852
{
    private readonly ConcurrentQueue<AmazonDynamoDBRequest> _requests = new();

    public IReadOnlyList<AmazonDynamoDBRequest> Requests => [.. _requests];

    public static (IAmazonDynamoDB Client, AcceptingDynamoDb Recorder) Create()
    {
        var client = Create<IAmazonDynamoDB, AcceptingDynamoDb>();
        return (client, (AcceptingDynamoDb)(object)client);
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        var request = args is { Length: > 0 } ? args[0] as AmazonDynamoDBRequest : null;
        switch (targetMethod.Name)
        {
            case nameof(IAmazonDynamoDB.PutItemAsync) when request is PutItemRequest:
                _requests.Enqueue(request);
                return Task.FromResult(new PutItemResponse());
            case nameof(IAmazonDynamoDB.UpdateItemAsync) when request is UpdateItemRequest:
                _requests.Enqueue(request);
                return Task.FromResult(new UpdateItemResponse());
            case nameof(IAmazonDynamoDB.DeleteItemAsync) when request is DeleteItemRequest:
                _requests.Enqueue(request);
                return Task.FromResult(new DeleteItemResponse());
            case nameof(IDisposable.Dispose):
                return null;
            default:
                throw new NotSupportedException($"{nameof(AcceptingDynamoDb)} does not implement {targetMethod.Name}.");
        }
    }
}
