using System.Net;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Publishing;
using Fanout.UnitTests.AwsShims.Sns;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Functions.Common.Publishing;

[Trait("Category", "Unit")]
public sealed class SnsEventPublisherTests
{
    [Fact]
    public async Task PublishAsync_Event_SendsTheEnvelopeWithTypeAndCorrelationAttributes()
    {
        // Subscription filter policies match the "type" attribute: without it no consumer receives the event.
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.Answer(HttpStatusCode.OK, "<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>"));
        var publisher = new SnsEventPublisher(SnsClientTests.Client(handler), "arn:aws:sns:us-east-1:123456789012:order-events");
        var json = new OrderPlacedBuilder().WithCorrelationId("corr-7").BuildEnvelopeJson();

        await publisher.PublishAsync(new OutgoingEvent("e-1", EventTypes.OrderPlaced, "corr-7", json), TestContext.Current.CancellationToken);

        var form = Assert.Single(handler.Requests).BodyText
            .Split('&')
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]), StringComparer.Ordinal);
        Assert.Equal("Publish", form["Action"]);
        Assert.Equal("arn:aws:sns:us-east-1:123456789012:order-events", form["TopicArn"]);
        Assert.Equal(json, form["Message"]);
        var attributes = Enumerable.Range(1, 2).ToDictionary(
            i => form[$"MessageAttributes.entry.{i}.Name"],
            i => (form[$"MessageAttributes.entry.{i}.Value.DataType"], form[$"MessageAttributes.entry.{i}.Value.StringValue"]),
            StringComparer.Ordinal);
        Assert.Equal(("String", EventTypes.OrderPlaced), attributes[EventAttributes.Type]);
        Assert.Equal(("String", "corr-7"), attributes[EventAttributes.CorrelationId]);
        Assert.False(form.ContainsKey("MessageAttributes.entry.3.Name"));
    }

    [Fact]
    public async Task Arguments_Missing_ThrowBeforeAnyCall()
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.Answer(HttpStatusCode.OK, "<PublishResponse/>"));
        var sns = SnsClientTests.Client(handler);

        Assert.Throws<ArgumentNullException>(() => new SnsEventPublisher(null!, "arn:aws:sns:us-east-1:123456789012:order-events"));
        Assert.ThrowsAny<ArgumentException>(() => new SnsEventPublisher(sns, " "));
        await Assert.ThrowsAsync<ArgumentNullException>(() => new SnsEventPublisher(sns, "arn:aws:sns:us-east-1:123456789012:order-events").PublishAsync(null!, TestContext.Current.CancellationToken));
        Assert.Empty(handler.Requests);
    }
}
