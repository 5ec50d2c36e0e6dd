using Fanout.Cli.Targeting;
using Fanout.Cli.Watch;

namespace Fanout.Cli.Tests.Watch;

[Trait("Category", "Unit")]
public sealed class CloudWatchOldestMessageAgeTests
{
    [Fact]
    public void ParseNewestMaximum_SeveralDatapoints_TakesTheNewest()
    {
        const string xml = """
            <GetMetricStatisticsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
              <GetMetricStatisticsResult>
                <Datapoints>
                  <member><Timestamp>2026-11-23T10:01:00Z</Timestamp><Maximum>30.0</Maximum><Unit>Seconds</Unit></member>
                  <member><Timestamp>2026-11-23T10:03:00Z</Timestamp><Maximum>95.0</Maximum><Unit>Seconds</Unit></member>
                  <member><Timestamp>2026-11-23T10:02:00Z</Timestamp><Maximum>60.0</Maximum><Unit>Seconds</Unit></member>
                </Datapoints>
                <Label>ApproximateAgeOfOldestMessage</Label>
              </GetMetricStatisticsResult>
            </GetMetricStatisticsResponse>
            """;

        var age = CloudWatchOldestMessageAge.ParseNewestMaximum(AwsQuery.TryParse(xml)!);

        Assert.Equal(TimeSpan.FromSeconds(95), age.Age);
        Assert.Equal("at 10:03Z", age.Note);
    }

    [Fact]
    public void ParseNewestMaximum_NoDatapoints_SaysNoData()
    {
        const string xml = "<GetMetricStatisticsResponse><GetMetricStatisticsResult><Datapoints/></GetMetricStatisticsResult></GetMetricStatisticsResponse>";

        var age = CloudWatchOldestMessageAge.ParseNewestMaximum(AwsQuery.TryParse(xml)!);

        Assert.Null(age.Age);
        Assert.Equal("no data", age.Note);
    }

    [Fact]
    public async Task NoOldestMessageAge_Locally_IsHonestlyUnknown()
    {
        var age = await new NoOldestMessageAge().GetAsync("http://127.0.0.1:4566/000000000000/fanout-sms", TestContext.Current.CancellationToken);

        Assert.Null(age.Age);
        Assert.Equal("n/a", age.Note);
    }
}
