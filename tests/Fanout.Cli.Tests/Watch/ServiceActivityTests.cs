using Fanout.Cli.Tests.Trace;
using Fanout.Cli.Trace;
using Fanout.Cli.Watch;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.Cli.Tests.Watch;

[Trait("Category", "Unit")]
public sealed class ServiceActivityTests
{
    private const string Trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private static FunctionLogLine Record(double startedAtMs, string service, double waitMs, double processingMs, int receiveCount = 1) =>
        FunctionLogParser.TryParse(ContractLines.Record(startedAtMs, service, "OrderPlaced", "o-1", Trace, waitMs, processingMs, receiveCount: receiveCount))!;

    [Fact]
    public void Snapshot_RecordsInTheWindow_GivesRatePercentilesAndRetriesPerService()
    {
        var time = new FakeTimeProvider(ContractLines.T0.AddSeconds(10));
        var activity = new ServiceActivity(TimeSpan.FromSeconds(10), time);
        var sms = Enumerable.Range(1, 100).Select(i => Record(i * 50, "sms", waitMs: i, processingMs: 100 + i, receiveCount: i % 10 == 0 ? 2 : 1));

        activity.Add([.. sms, Record(1000, "email", 7, 9)]);
        var rates = activity.Snapshot();

        Assert.Equal(["email", "sms"], rates.Select(r => r.Service));
        var smsRates = rates[1];
        Assert.Equal(100, smsRates.Records);
        Assert.Equal(10, smsRates.RatePerSecond);
        Assert.Equal(50, smsRates.QueueWaitP50Ms);
        Assert.Equal(99, smsRates.QueueWaitP99Ms);
        Assert.Equal(150, smsRates.ProcessingP50Ms);
        Assert.Equal(199, smsRates.ProcessingP99Ms);
        Assert.Equal(10, smsRates.Retried);
        Assert.Equal(0.1, rates[0].RatePerSecond);
    }

    [Fact]
    public void Snapshot_WindowSlidesPast_DropsOldRecordsButKeepsTheService()
    {
        var time = new FakeTimeProvider(ContractLines.T0.AddSeconds(1));
        var activity = new ServiceActivity(TimeSpan.FromSeconds(5), time);
        activity.Add([Record(100, "inventory", 3, 4)]);
        Assert.Equal(1, activity.Snapshot().Single().Records);

        time.Advance(TimeSpan.FromSeconds(10));
        var quiet = activity.Snapshot().Single();

        Assert.Equal("inventory", quiet.Service);
        Assert.Equal(0, quiet.Records);
        Assert.Null(quiet.QueueWaitP50Ms);
    }

    [Fact]
    public void Add_NonRecordLines_AreIgnored()
    {
        var activity = new ServiceActivity(TimeSpan.FromSeconds(60), new FakeTimeProvider(ContractLines.T0.AddSeconds(1)));

        activity.Add(ContractLines.Journey("o-1", "4bf92f3577b34da6a3ce929d0e0e4736").Select(FunctionLogParser.TryParse).OfType<FunctionLogLine>().Where(l => !l.IsRecord));

        Assert.Empty(activity.Snapshot());
    }
}
