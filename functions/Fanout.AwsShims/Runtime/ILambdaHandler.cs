namespace Fanout.AwsShims.Runtime;

/// <summary>A function's entry point: raw event bytes in, raw response bytes out.</summary>
/// <remarks>The Lambda bootstrap and the local event source mapping both call this, so a handler runs the
/// same code path in AWS and on a laptop.</remarks>
public interface ILambdaHandler
{
    Task<byte[]> InvokeAsync(ReadOnlyMemory<byte> payload, LambdaInvocation invocation, CancellationToken cancellationToken);
}

/// <summary>What the Runtime API says about one invocation.</summary>
/// <param name="AwsRequestId">The request id (<c>Lambda-Runtime-Aws-Request-Id</c>).</param>
/// <param name="Deadline">When Lambda stops the invocation (<c>Lambda-Runtime-Deadline-Ms</c>).</param>
/// <param name="TraceId">The X-Ray trace header (<c>Lambda-Runtime-Trace-Id</c>), if any.</param>
/// <param name="InvokedFunctionArn">The ARN used to invoke (<c>Lambda-Runtime-Invoked-Function-Arn</c>).</param>
public sealed record LambdaInvocation(string AwsRequestId, DateTimeOffset Deadline, string? TraceId, string? InvokedFunctionArn);
