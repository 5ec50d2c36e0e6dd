using System.Text;
using System.Text.Json;
using Fanout.Contracts.Events;

namespace Fanout.UnitTests.Contracts.Events;

/// <summary>The defaults a publisher gets from a new envelope or payload, the event type list, and the exact
/// errors of the small helpers (number converter, control-character check, value kinds).</summary>
[Trait("Category", "Unit")]
public sealed class ContractShapesTests
{
    [Fact]
    public void CloudEvent_New_IsAJsonEnvelopeOfSpecVersion1WithEmptyIdentity()
    {
        var envelope = new CloudEvent<EmailSent>();

        Assert.Equal(
            ("1.0", "", "", "", (string?)null, "application/json", "", (EmailSent?)null),
            (envelope.SpecVersion, envelope.Id, envelope.Source, envelope.Type, envelope.Subject, envelope.DataContentType, envelope.CorrelationId, envelope.Data));
    }

    [Fact]
    public void CloudEvent_New_SerializesEveryRequiredAttributeAndNoSubject()
    {
        var json = JsonSerializer.Serialize(new CloudEvent<EmailSent> { Data = new EmailSent() }, ContractsJsonContext.Default.CloudEventEmailSent);

        Assert.Equal(
            "{\"specversion\":\"1.0\",\"id\":\"\",\"source\":\"\",\"type\":\"\",\"time\":\"0001-01-01T00:00:00+00:00\"," +
            "\"datacontenttype\":\"application/json\",\"correlationid\":\"\",\"data\":{\"orderId\":\"\",\"notification\":\"ORDER_RECEIVED\",\"providerMessageId\":\"\"}}",
            json);
    }

    [Fact]
    public void Payloads_New_HaveEmptyTextEmptyListsAndTheirDefaultOutcome()
    {
        var placed = new OrderPlaced();
        var sms = new SmsSent();
        var reserved = new InventoryReserved();
        var rejected = new InventoryRejected();

        Assert.Equal(("", "", "", (string?)null, 0), (placed.OrderId, placed.Customer.Id, placed.Customer.Email, placed.Customer.Phone, placed.Items.Count));
        Assert.Equal(("", 0), (new OrderLine().Sku, new OrderLine().Quantity));
        Assert.Equal(("", SmsDelivery.Sent, (string?)null), (sms.OrderId, sms.Delivery, sms.ProviderMessageId));
        Assert.Equal(("", ""), (new EmailSent().OrderId, new EmailSent().ProviderMessageId));
        Assert.Equal(("", 0), (reserved.OrderId, reserved.Items.Count));
        Assert.Equal(("", RejectionReasons.InsufficientStock, 0), (rejected.OrderId, rejected.Reason, rejected.UnavailableSkus.Count));
        Assert.Equal(("", ""), (rejected.Customer.Id, rejected.Customer.Email));
        Assert.Equal((NotificationKinds.OrderReceived, NotificationKinds.OrderReceived), (sms.Notification, new EmailSent().Notification));
        var cancelled = new OrderCancelled();
        Assert.Equal(("", "", default(DateTimeOffset), CancellationRequesters.Customer), (cancelled.OrderId, cancelled.Customer.Id, cancelled.CancelledAt, cancelled.CancelledBy));
        Assert.Equal(("", 0), (new InventoryReleased().OrderId, new InventoryReleased().Items.Count));
    }

    [Fact]
    public void EventTypes_All_IsEveryFactInPublishingOrder()
    {
        Assert.Equal(["OrderPlaced", "SmsSent", "EmailSent", "InventoryReserved", "InventoryRejected", "OrderCancelled", "InventoryReleased"], EventTypes.All);
    }

    [Theory]
    [InlineData("\"7\"", "Expected a JSON number, got String.")]
    [InlineData("true", "Expected a JSON number, got True.")]
    [InlineData("7.5", "Expected a whole number within the range of a 32-bit integer.")]
    [InlineData("2147483648", "Expected a whole number within the range of a 32-bit integer.")]
    public void IntegralNumberConverter_NotAWholeInt_GivesTheExactReason(string json, string reason)
    {
        var error = Assert.Throws<JsonException>(() =>
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
            reader.Read();
            return new IntegralNumberConverter().Read(ref reader, typeof(int), JsonSerializerOptions.Default);
        });

        Assert.Equal(reason, error.Message);
    }

    [Fact]
    public void IntegralNumberConverter_WriteToNull_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => new IntegralNumberConverter().Write(null!, 1, JsonSerializerOptions.Default));
    }

    [Fact]
    public void HasControlCharacter_Null_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => EventRules.HasControlCharacter(null!));
    }

    [Theory]
    [InlineData("{}", "an object")]
    [InlineData("[]", "an array")]
    [InlineData("\"\"", "a string")]
    [InlineData("0", "a number")]
    [InlineData("true", "a boolean")]
    [InlineData("false", "a boolean")]
    [InlineData("null", "null")]
    public void JsonChecksKind_Value_NamesItsKind(string json, string expected)
    {
        using var document = JsonDocument.Parse(json);

        Assert.Equal(expected, JsonChecks.Kind(document.RootElement));
    }

    [Fact]
    public void JsonChecksKind_NoValue_IsNothing()
    {
        Assert.Equal("nothing", JsonChecks.Kind(default));
    }

    [Fact]
    public void JsonChecksClosedObject_NoValue_IsRefusedNamingNothing()
    {
        var checks = new JsonChecks();

        Assert.False(checks.ClosedObject(default, "data.customer", "id"));
        Assert.Equal(["data.customer must be a JSON object (got nothing)"], checks.Problems);
    }
}
