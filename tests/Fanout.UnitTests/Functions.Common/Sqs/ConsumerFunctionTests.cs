using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Sqs;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Functions.Common.Sqs;

[Trait("Category", "Unit")]
public sealed class ConsumerFunctionTests
{
    [Fact]
    public void Create_NoSettings_ThrowsBeforeBuildingAnyClient()
    {
        var time = TestClock.Create();
        var dynamo = StubAwsClients.DynamoDb(new CapturingHttpHandler((_, _) => StubAwsClients.Json("{}")));

        var error = Assert.Throws<ArgumentNullException>(() => ConsumerFunction.Create(null!, time, new FanoutLogger("sms", time, TextWriter.Null), dynamo, new NoOpHandler()));

        Assert.Equal("settings", error.ParamName);
    }

    private sealed class NoOpHandler : ISqsRecordHandler
    {
        public Task HandleAsync(Fanout.AwsShims.Events.SqsMessage message, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
