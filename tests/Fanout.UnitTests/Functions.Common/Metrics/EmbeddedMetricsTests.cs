using System.Text.Json;
using Fanout.Functions.Common.Metrics;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.Functions.Common.Metrics;

[Trait("Category", "Unit")]
public sealed class EmbeddedMetricsTests
{
    private static readonly DateTimeOffset _at = new(2026, 11, 29, 18, 0, 0, 123, TimeSpan.Zero);

    [Fact]
    public void Format_OneCount_IsTheExactEmfDocument()
    {
        var line = EmbeddedMetrics.Format(_at, "Fanout", "orders", "StuckOrders", EmbeddedMetrics.CountUnit, 3);

        Assert.Equal(
            """{"_aws":{"Timestamp":1795975200123,"CloudWatchMetrics":[{"Namespace":"Fanout","Dimensions":[["Service"]],"Metrics":[{"Name":"StuckOrders","Unit":"Count"}]}]},"Service":"orders","StuckOrders":3}""",
            line);
    }

    [Fact]
    public void Format_Zero_WritesTheMetricWithValueZero()
    {
        // Zero is a reading, not an absence: the alarm needs data points when nothing is stuck.
        using var document = JsonDocument.Parse(EmbeddedMetrics.Format(_at, "Fanout", "orders", "StuckOrders", "Count", 0));

        Assert.Equal(0, document.RootElement.GetProperty("StuckOrders").GetDouble());
    }

    [Fact]
    public void Format_FractionalValue_IsKeptExactly()
    {
        using var document = JsonDocument.Parse(EmbeddedMetrics.Format(_at, "Fanout", "orders", "Latency", "Milliseconds", 12.5));

        Assert.Equal(12.5, document.RootElement.GetProperty("Latency").GetDouble());
        Assert.Equal("Milliseconds", document.RootElement.GetProperty("_aws").GetProperty("CloudWatchMetrics")[0].GetProperty("Metrics")[0].GetProperty("Unit").GetString());
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Format_NotFinite_Throws(double value)
    {
        var error = Assert.Throws<ArgumentException>(() => EmbeddedMetrics.Format(_at, "Fanout", "orders", "StuckOrders", "Count", value));

        Assert.Equal("value", error.ParamName);
    }

    [Theory]
    [InlineData("Service")]
    [InlineData("_aws")]
    public void Format_NameOfAnExistingMember_Throws(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => EmbeddedMetrics.Format(_at, "Fanout", "orders", name, "Count", 1));

        Assert.Equal("name", error.ParamName);
    }

    [Theory]
    [InlineData("", "orders", "StuckOrders", "Count")]
    [InlineData("Fanout", " ", "StuckOrders", "Count")]
    [InlineData("Fanout", "orders", "", "Count")]
    [InlineData("Fanout", "orders", "StuckOrders", "")]
    public void Format_BlankName_Throws(string metricNamespace, string service, string name, string unit)
    {
        Assert.ThrowsAny<ArgumentException>(() => EmbeddedMetrics.Format(_at, metricNamespace, service, name, unit, 1));
    }

    [Fact]
    public void Put_WritesOneLineStampedWithTheCurrentTime()
    {
        using var output = new StringWriter();
        var metrics = new EmbeddedMetrics(output, new FakeTimeProvider(_at));

        metrics.Put("Fanout", "orders", "StuckOrders", "Count", 2);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([EmbeddedMetrics.Format(_at, "Fanout", "orders", "StuckOrders", "Count", 2)], lines.Select(l => l.TrimEnd('\r')));
    }
}
