using System.Net;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Fanout.AwsShims.Signing;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Consumers;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Sqs;
using Fanout.OrderIntake;
using Fanout.OrderIntake.Core;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.Functions.Common.Logging;

/// <summary>Runs the intake, SMS and e-mail paths with a known address and number, including failures whose AWS
/// error messages quote them back, and checks that neither reaches the log or a failure record.</summary>
[Trait("Category", "Unit")]
public sealed class PersonalDataLogTests : IDisposable
{
    private const string Email = "grace.hopper@navy.example";
    private const string Phone = "+14155550199";
    private const string MessageText = "Your order";
    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly StringWriter _log = new();
    private readonly CapturingHttpHandler _failureTable = new((_, _) => StubAwsClients.Json("{}"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _log.Dispose();
        _failureTable.Dispose();
    }

    [Fact]
    public async Task Intake_AcceptedRejectedAndFailedOrders_LogNeitherAddressNorNumber()
    {
        var store = new InMemoryOrderStore(_time);
        var function = new OrderIntakeFunction(new OrderService(store, new RecordingEventPublisher(), _time), Logger("orders"), OrderApiTopology.DefaultSmsAllowedCountryCodes);
        var valid = OrderRequestBuilder.ValidOrder().With("customer.email", Email).With("customer.phone", Phone).Build();

        Assert.Equal(202, (await function.HandleAsync(HttpApiRequestBuilder.PostOrder(valid).Build(), Ct)).StatusCode);
        Assert.Equal(400, (await function.HandleAsync(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().With("customer.email", Email).With("customer.phone", "+44" + Phone[2..]).Build()).Build(), Ct)).StatusCode);
        Assert.Equal(403, (await function.HandleAsync(HttpApiRequestBuilder.PostOrder(valid).WithCaller("cust-43").Build(), Ct)).StatusCode);
        store.FailCreateWith = new AmazonDynamoDBException($"One or more parameter values were invalid: {Email} {Phone}", null, ErrorType.Sender, "ValidationException", "req-1", HttpStatusCode.BadRequest);
        Assert.Equal(500, (await function.HandleAsync(HttpApiRequestBuilder.PostOrder(valid).Build(), Ct)).StatusCode);
        Assert.Equal(400, (await function.HandleAsync(HttpApiRequestBuilder.GetOrder(Email).Build(), Ct)).StatusCode);
        Assert.Equal(404, (await function.HandleAsync(HttpApiRequestBuilder.PostOrder(valid).WithPath("/customers/" + Phone).Build(), Ct)).StatusCode);

        AssertNoPersonalData(_log.ToString());
        Assert.Contains("\"error\":\"ValidationException (HTTP 400)\"", _log.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"path\":\"(other path, 33 characters)\"", _log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sms_SentAndFailingWithAnAwsMessageQuotingTheNumber_LogsAndRecordsNeither()
    {
        var harness = new ServiceHarness(_time);
        var function = Consumer("sms", async (placed, ct) => await harness.Sms.HandleAsync(placed, ct) ? "SMS handled" : "duplicate");

        await function.ProcessAsync(Event("m-sent", new OrderPlacedBuilder()), Deadline, Ct);
        harness.SmsSender.FailWith = new AwsServiceException("SNS", "InternalError", $"Could not deliver '{MessageText}' to {Phone}", HttpStatusCode.InternalServerError);
        var failed = await function.ProcessAsync(Event("m-failed", new OrderPlacedBuilder().WithOrderId("0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c")), Deadline, Ct);

        Assert.Equal("m-failed", Assert.Single(failed.BatchItemFailures).ItemIdentifier);
        Assert.Equal(2, harness.SmsSender.Calls);
        AssertNoPersonalData(_log.ToString());
        var record = Assert.Single(_failureTable.Requests).BodyText;
        AssertNoPersonalData(record);
        Assert.Contains("InternalError (HTTP 500)", record, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Email_SentAndFailingWithAnAwsMessageQuotingTheAddress_LogsAndRecordsNeither()
    {
        var harness = new ServiceHarness(_time);
        var function = Consumer("email", async (placed, ct) => await harness.Email.HandleAsync(placed, ct) ? "e-mail handled" : "duplicate");

        await function.ProcessAsync(Event("m-sent", new OrderPlacedBuilder()), Deadline, Ct);
        harness.EmailSender.FailWith = new AwsServiceException("SES", "TooManyRequestsException", $"Sending to {Email} is throttled", (HttpStatusCode)429);
        var failed = await function.ProcessAsync(Event("m-failed", new OrderPlacedBuilder().WithOrderId("0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c")), Deadline, Ct);

        Assert.Equal("m-failed", Assert.Single(failed.BatchItemFailures).ItemIdentifier);
        Assert.Equal(2, harness.EmailSender.Calls);
        AssertNoPersonalData(_log.ToString());
        var record = Assert.Single(_failureTable.Requests).BodyText;
        AssertNoPersonalData(record);
        Assert.Contains("TooManyRequestsException (HTTP 429)", record, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("email", "grace..hopper@navy.example")]
    [InlineData("phone", "+1-415-555-0199")]
    [InlineData("id", "grace hopper")]
    public async Task Consumer_PoisonOrderPlacedWithABrokenPersonalField_LogsAndRecordsTheFieldButNotItsValue(string field, string value)
    {
        var harness = new ServiceHarness(_time);
        var function = Consumer("sms", async (placed, ct) => await harness.Sms.HandleAsync(placed, ct) ? "SMS handled" : "duplicate");
        var body = CloudEventBuilder.OrderPlaced().With("data.customer." + field, value).Build();

        var failed = await function.ProcessAsync(new SqsEventBuilder().WithRecord("m-poison", body).Build(), Deadline, Ct);

        Assert.Single(failed.BatchItemFailures);
        Assert.Equal(0, harness.SmsSender.Calls);
        var record = Assert.Single(_failureTable.Requests).BodyText;
        Assert.Contains($"data.customer.{field} ", record, StringComparison.Ordinal);
        Assert.Contains($"(got {value.Length} characters, not shown)", record, StringComparison.Ordinal);
        Assert.DoesNotContain(value, record, StringComparison.Ordinal);
        Assert.DoesNotContain(value, _log.ToString(), StringComparison.Ordinal);
    }

    private static DateTimeOffset Deadline => TestClock.Start.AddMinutes(1);

    private static Fanout.AwsShims.Events.SqsEvent Event(string messageId, OrderPlacedBuilder order) =>
        new SqsEventBuilder().WithRecord(messageId, order.WithEmail(Email).WithPhone(Phone).BuildEnvelopeJson()).Build();

    private static void AssertNoPersonalData(string text)
    {
        Assert.DoesNotContain(Email, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("grace.hopper", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Phone, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Phone[1..], text, StringComparison.Ordinal);
        Assert.DoesNotContain(MessageText, text, StringComparison.Ordinal);
    }

    private FanoutLogger Logger(string service) => new(service, _time, _log, LogLevel.Debug);

    private SqsBatchFunction Consumer(string service, Func<Fanout.Contracts.Events.ParsedEvent<Fanout.Contracts.Events.OrderPlaced>, CancellationToken, Task<string>> handle)
    {
        var log = Logger(service);
        var recorder = new DynamoFailureRecorder(StubAwsClients.DynamoDb(_failureTable), "fanout-" + service, TimeSpan.FromDays(1), _time);
        return new SqsBatchFunction(new FactRecordHandler(log).On(Fanout.Contracts.Events.EventTypes.OrderPlaced, Fanout.Contracts.Events.ContractsJsonContext.Default.OrderPlaced, d => d.OrderId, handle), log, _time, recorder);
    }
}
