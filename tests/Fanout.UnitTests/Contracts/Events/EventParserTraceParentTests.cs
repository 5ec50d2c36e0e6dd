using Fanout.Contracts.Events;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Contracts.Events;

/// <summary>The envelope's optional CloudEvents distributed-tracing extension <c>traceparent</c>.</summary>
[Trait("Category", "Unit")]
public sealed class EventParserTraceParentTests
{
    private const string Valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    [Fact]
    public void ParseEnvelope_ValidTraceParent_ReadsIt()
    {
        var envelope = EventParser.ParseEnvelope(CloudEventBuilder.OrderPlaced().With("traceparent", Valid).Build());

        Assert.Equal(Valid, envelope.TraceParent);
    }

    [Fact]
    public void ParseEnvelope_NoTraceParent_IsAccepted()
    {
        var body = CloudEventBuilder.OrderPlaced().Build();

        Assert.DoesNotContain("traceparent", body, StringComparison.Ordinal);
        Assert.Null(EventParser.ParseEnvelope(body).TraceParent);
    }

    [Theory]
    [InlineData("\"x\"")]
    [InlineData("\"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"")]
    [InlineData("\"00-00000000000000000000000000000000-00f067aa0ba902b7-01\"")]
    [InlineData("\"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01\"")]
    [InlineData("\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\\n\"")]
    [InlineData("1")]
    [InlineData("true")]
    [InlineData("null")]
    public void ParseEnvelope_BadTraceParent_IsPoisonNamingIt(string json)
    {
        var body = CloudEventBuilder.OrderPlaced().WithRaw("traceparent", json).Build();

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));
        Assert.Contains("traceparent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TraceParentAddedOrChanged_KeepsThePayloadHash()
    {
        var without = CloudEventBuilder.OrderPlaced().Build();
        var with = CloudEventBuilder.OrderPlaced().With("traceparent", Valid).Build();

        Assert.Equal(Hash(without), Hash(with));
    }

    private static string Hash(string body) => EventParser.Parse(body, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced).PayloadHash;
}
