using System.Globalization;
using System.Net;
using System.Text.Json;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Publishing;
using Fanout.Functions.Common.Tracing;
using Fanout.UnitTests.AwsShims.Sns;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Functions.Common.Publishing;

/// <summary>The third message attribute <c>traceparent</c> and the <c>Published</c> EMF line.</summary>
[Trait("Category", "Unit")]
public sealed class SnsEventPublisherTraceTests : IDisposable
{
    private const string Topic = "arn:aws:sns:us-east-1:123456789012:order-events";
    private const string Upstream = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private readonly StringWriter _output = new();
    private readonly CapturingHttpHandler _http = new((_, _) => CapturingHttpHandler.Answer(HttpStatusCode.OK, "<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _output.Dispose();

    [Fact]
    public void Create_InsideATrace_StampsAChildOfTheCurrentContext()
    {
        var current = TraceContext.Parse(Upstream);
        OutgoingEvent outgoing;
        using (TraceScope.Begin(current))
        {
            outgoing = Build();
        }

        var stamped = TraceContext.Parse(outgoing.TraceParent!);
        Assert.Equal(current.TraceId, stamped.TraceId);
        Assert.NotEqual(current.ParentId, stamped.ParentId);
        Assert.Equal(outgoing.TraceParent, EventParser.ParseEnvelope(outgoing.Json).TraceParent);
        Assert.Equal(OrderPlacedBuilder.DefaultOrderId, outgoing.Subject);
    }

    [Fact]
    public void Create_OutsideATrace_LeavesTraceParentOut()
    {
        var outgoing = Build();

        Assert.Null(outgoing.TraceParent);
        Assert.DoesNotContain("traceparent", outgoing.Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishAsync_EventWithTraceParent_SendsItAsTheThirdAttributeAndWritesThePublishedLine()
    {
        OutgoingEvent outgoing;
        using (TraceScope.Begin(TraceContext.Parse(Upstream)))
        {
            outgoing = Build();
        }

        await Publisher().PublishAsync(outgoing, Ct);

        var attributes = Attributes();
        Assert.Equal(outgoing.TraceParent, attributes[EventAttributes.TraceParent]);
        Assert.Equal(3, attributes.Count);
        AssertPublishedLine(outgoing.Id, OrderPlacedBuilder.DefaultOrderId, outgoing.TraceParent!);
    }

    [Fact]
    public async Task PublishAsync_StoredEnvelopeOnly_ReadsSubjectAndTraceParentFromTheJson()
    {
        // A re-publish (outbox relay, duplicate) has only the stored envelope text.
        OutgoingEvent built;
        using (TraceScope.Begin(TraceContext.Parse(Upstream)))
        {
            built = Build();
        }

        var stored = new OutgoingEvent(built.Id, built.Type, built.CorrelationId, built.Json);

        await Publisher().PublishAsync(stored, Ct);

        Assert.Equal(built.TraceParent, Attributes()[EventAttributes.TraceParent]);
        AssertPublishedLine(built.Id, OrderPlacedBuilder.DefaultOrderId, built.TraceParent!);
    }

    [Fact]
    public async Task PublishAsync_EnvelopeWithoutTraceParent_SendsTwoAttributes()
    {
        var outgoing = Build();

        await Publisher().PublishAsync(outgoing, Ct);

        Assert.Equal(2, Attributes().Count);
        using var line = JsonDocument.Parse(_output.ToString());
        Assert.False(line.RootElement.TryGetProperty("traceparent", out _));
    }

    [Fact]
    public async Task PublishAsync_SnsRefuses_WritesNoPublishedLine()
    {
        var refusing = new CapturingHttpHandler((_, _) => CapturingHttpHandler.QueryError(HttpStatusCode.BadRequest, "InvalidParameter"));
        var publisher = new SnsEventPublisher(SnsClientTests.Client(refusing), Topic, new FanoutLogger("orders", TestClock.Create(), _output));

        await Assert.ThrowsAnyAsync<Exception>(() => publisher.PublishAsync(Build(), Ct));

        Assert.Empty(_output.ToString());
    }

    private static OutgoingEvent Build()
    {
        var builder = new OrderPlacedBuilder();
        return OutgoingEvents.Create(builder.EventId, EventSources.Orders, EventTypes.OrderPlaced, builder.OrderId, "corr-7", TestClock.Start, builder.Build(), ContractsJsonContext.Default.CloudEventOrderPlaced);
    }

    private SnsEventPublisher Publisher() => new(SnsClientTests.Client(_http), Topic, new FanoutLogger("orders", TestClock.Create(), _output));

    private Dictionary<string, string> Attributes()
    {
        var form = Assert.Single(_http.Requests).BodyText
            .Split('&')
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]), StringComparer.Ordinal);
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; form.ContainsKey($"MessageAttributes.entry.{i.ToString(CultureInfo.InvariantCulture)}.Name"); i++)
        {
            attributes[form[$"MessageAttributes.entry.{i.ToString(CultureInfo.InvariantCulture)}.Name"]] = form[$"MessageAttributes.entry.{i.ToString(CultureInfo.InvariantCulture)}.Value.StringValue"];
        }

        return attributes;
    }

    private void AssertPublishedLine(string eventId, string orderId, string traceParent)
    {
        using var line = JsonDocument.Parse(_output.ToString());
        var root = line.RootElement;
        Assert.Equal("orders", root.GetProperty("Service").GetString());
        Assert.Equal(EventTypes.OrderPlaced, root.GetProperty("EventType").GetString());
        Assert.Equal(1, root.GetProperty(FanoutMetrics.Published).GetDouble());
        Assert.Equal(eventId, root.GetProperty("eventId").GetString());
        Assert.Equal(orderId, root.GetProperty("orderId").GetString());
        Assert.Equal("corr-7", root.GetProperty("correlationId").GetString());
        Assert.Equal(traceParent, root.GetProperty("traceparent").GetString());
    }
}
