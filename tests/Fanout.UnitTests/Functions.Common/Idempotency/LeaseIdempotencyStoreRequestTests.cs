using System.Net;
using System.Text.Json;
using Fanout.Functions.Common.Idempotency;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Functions.Common.Idempotency;

/// <summary>The DynamoDB requests behind each transition, on a real SDK client with a scripted endpoint. The
/// conditions' behaviour on a real table is the integration tier's (LeaseIdempotencyStoreTests there).</summary>
[Trait("Category", "Unit")]
public sealed class LeaseIdempotencyStoreRequestTests
{
    private const string ConditionFailed = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\",\"message\":\"The conditional request failed\"";
    private static readonly DateTimeOffset LeaseUntil = TestClock.Start.AddSeconds(25);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TryClaimAsync_NewEvent_PutsAnInProgressItemConditionedOnNoLiveClaim()
    {
        var (store, http) = Create((_, _) => StubAwsClients.Json("{}"));

        var claim = await store.TryClaimAsync("e-1", "o-1", "hash-a", LeaseUntil, Ct);

        Assert.Equal(ClaimOutcome.Claimed, claim.Outcome);
        Assert.Equal(32, claim.LeaseToken!.Length);
        var request = Body(http, 0);
        Assert.Equal("DynamoDB_20120810.PutItem", http.Requests[0].Headers["X-Amz-Target"]);
        Assert.Equal("fanout-test", request.GetProperty("TableName").GetString());
        Assert.Equal("attribute_not_exists(#pk) OR (#status = :inProgress AND leaseExpiresAt < :now AND payloadHash = :hash)", request.GetProperty("ConditionExpression").GetString());
        Assert.Equal("ALL_OLD", request.GetProperty("ReturnValuesOnConditionCheckFailure").GetString());
        var item = request.GetProperty("Item");
        Assert.Equal("EVENT#e-1", item.GetProperty("pk").GetProperty("S").GetString());
        Assert.Equal("IN_PROGRESS", item.GetProperty("status").GetProperty("S").GetString());
        Assert.Equal("o-1", item.GetProperty("orderId").GetProperty("S").GetString());
        Assert.Equal("hash-a", item.GetProperty("payloadHash").GetProperty("S").GetString());
        Assert.Equal(claim.LeaseToken, item.GetProperty("leaseToken").GetProperty("S").GetString());
        Assert.Equal(LeaseUntil.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), item.GetProperty("leaseExpiresAt").GetProperty("N").GetString());
        Assert.Equal(TestClock.Start.AddDays(30).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), item.GetProperty("expiresAt").GetProperty("N").GetString());
        var values = request.GetProperty("ExpressionAttributeValues");
        Assert.Equal(TestClock.Start.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), values.GetProperty(":now").GetProperty("N").GetString());
        Assert.Equal("IN_PROGRESS", values.GetProperty(":inProgress").GetProperty("S").GetString());
        Assert.Equal("hash-a", values.GetProperty(":hash").GetProperty("S").GetString());
        Assert.Equal("pk", request.GetProperty("ExpressionAttributeNames").GetProperty("#pk").GetString());
        Assert.Equal("status", request.GetProperty("ExpressionAttributeNames").GetProperty("#status").GetString());
    }

    [Fact]
    public async Task TryClaimAsync_AlreadyCompleted_ReturnsTheRecordedOutcome()
    {
        var (store, _) = Create((_, _) => StubAwsClients.Json(
            ConditionFailed + ",\"Item\":{\"status\":{\"S\":\"COMPLETED\"},\"payloadHash\":{\"S\":\"hash-a\"},\"result\":{\"S\":\"{}\"}}}", HttpStatusCode.BadRequest));

        var claim = await store.TryClaimAsync("e-1", "o-1", "hash-a", LeaseUntil, Ct);

        Assert.Equal(new ClaimResult(ClaimOutcome.AlreadyCompleted, null, "{}"), claim);
    }

    [Fact]
    public async Task TryClaimAsync_SendingWithExpiredLease_IsSendUnconfirmed()
    {
        var expired = TestClock.Start.AddSeconds(-1).ToUnixTimeMilliseconds();
        var (store, _) = Create((_, _) => StubAwsClients.Json(
            ConditionFailed + $",\"Item\":{{\"status\":{{\"S\":\"SENDING\"}},\"payloadHash\":{{\"S\":\"hash-a\"}},\"leaseExpiresAt\":{{\"N\":\"{expired}\"}}}}}}", HttpStatusCode.BadRequest));

        var claim = await store.TryClaimAsync("e-1", "o-1", "hash-a", LeaseUntil, Ct);

        Assert.Equal(new ClaimResult(ClaimOutcome.SendUnconfirmed, null, null), claim);
    }

    [Fact]
    public async Task TryClaimAsync_LeaseExpiredBetweenClockAndCheck_IsTreatedAsHeldElsewhere()
    {
        // DynamoDB refused, yet by our clock the lease is over: the retry will claim it.
        var expired = TestClock.Start.AddSeconds(-1).ToUnixTimeMilliseconds();
        var (store, _) = Create((_, _) => StubAwsClients.Json(
            ConditionFailed + $",\"Item\":{{\"status\":{{\"S\":\"IN_PROGRESS\"}},\"payloadHash\":{{\"S\":\"hash-a\"}},\"leaseExpiresAt\":{{\"N\":\"{expired}\"}}}}}}", HttpStatusCode.BadRequest));

        var claim = await store.TryClaimAsync("e-1", "o-1", "hash-a", LeaseUntil, Ct);

        Assert.Equal(new ClaimResult(ClaimOutcome.InProgressElsewhere, null, null), claim);
    }

    [Fact]
    public async Task MarkSendingAsync_Held_UpdatesStatusOnlyFromInProgressWithTheToken()
    {
        var (store, http) = Create((_, _) => StubAwsClients.Json("{}"));

        await store.MarkSendingAsync("e-1", "token-1", Ct);

        var request = Body(http, 0);
        Assert.Equal("DynamoDB_20120810.UpdateItem", http.Requests[0].Headers["X-Amz-Target"]);
        Assert.Equal("EVENT#e-1", request.GetProperty("Key").GetProperty("pk").GetProperty("S").GetString());
        Assert.Equal("SET #status = :sending", request.GetProperty("UpdateExpression").GetString());
        Assert.Equal("leaseToken = :token AND #status = :inProgress", request.GetProperty("ConditionExpression").GetString());
        Assert.Equal(["#status"], request.GetProperty("ExpressionAttributeNames").EnumerateObject().Select(p => p.Name));
        var values = request.GetProperty("ExpressionAttributeValues");
        Assert.Equal("SENDING", values.GetProperty(":sending").GetProperty("S").GetString());
        Assert.Equal("IN_PROGRESS", values.GetProperty(":inProgress").GetProperty("S").GetString());
        Assert.Equal("token-1", values.GetProperty(":token").GetProperty("S").GetString());
    }

    [Fact]
    public async Task CompleteAsync_Held_RecordsTheOutcomeRenewsRetentionAndDropsTheLease()
    {
        var (store, http) = Create((_, _) => StubAwsClients.Json("{}"));

        await store.CompleteAsync("e-1", "token-1", "{\"id\":\"x\"}", Ct);

        var request = Body(http, 0);
        Assert.Equal("SET #status = :completed, #result = :result, #ttl = :ttl REMOVE leaseExpiresAt, leaseToken", request.GetProperty("UpdateExpression").GetString());
        Assert.Equal("leaseToken = :token", request.GetProperty("ConditionExpression").GetString());
        var names = request.GetProperty("ExpressionAttributeNames");
        Assert.Equal(3, names.EnumerateObject().Count());
        Assert.Equal("status", names.GetProperty("#status").GetString());
        Assert.Equal("result", names.GetProperty("#result").GetString());
        Assert.Equal("expiresAt", names.GetProperty("#ttl").GetString());
        var values = request.GetProperty("ExpressionAttributeValues");
        Assert.Equal("COMPLETED", values.GetProperty(":completed").GetProperty("S").GetString());
        Assert.Equal("{\"id\":\"x\"}", values.GetProperty(":result").GetProperty("S").GetString());
        Assert.Equal("token-1", values.GetProperty(":token").GetProperty("S").GetString());
        Assert.Equal(TestClock.Start.AddDays(30).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), values.GetProperty(":ttl").GetProperty("N").GetString());
    }

    [Fact]
    public async Task CompleteAsync_LeaseLost_ThrowsLeaseLostNamingTheEvent()
    {
        var (store, _) = Create((_, _) => StubAwsClients.Json(ConditionFailed + "}", HttpStatusCode.BadRequest));

        var error = await Assert.ThrowsAsync<LeaseLostException>(() => store.CompleteAsync("e-1", "token-1", "{}", Ct));

        Assert.Equal("Event e-1 is no longer held with this lease.", error.Message);
        Assert.IsType<Amazon.DynamoDBv2.Model.ConditionalCheckFailedException>(error.InnerException);
    }

    [Fact]
    public async Task MarkSendingAsync_OtherFailure_PropagatesUnchanged()
    {
        var (store, _) = Create((_, _) => StubAwsClients.Json("{\"__type\":\"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException\",\"message\":\"slow down\"}", HttpStatusCode.BadRequest));

        await Assert.ThrowsAsync<Amazon.DynamoDBv2.Model.ProvisionedThroughputExceededException>(() => store.MarkSendingAsync("e-1", "token-1", Ct));
    }

    [Fact]
    public async Task ReleaseAsync_Held_DeletesOnlyAnUncompletedItemWithTheToken()
    {
        var (store, http) = Create((_, _) => StubAwsClients.Json("{}"));

        await store.ReleaseAsync("e-1", "token-1", Ct);

        var request = Body(http, 0);
        Assert.Equal("DynamoDB_20120810.DeleteItem", http.Requests[0].Headers["X-Amz-Target"]);
        Assert.Equal("EVENT#e-1", request.GetProperty("Key").GetProperty("pk").GetProperty("S").GetString());
        Assert.Equal("leaseToken = :token AND #status IN (:inProgress, :sending)", request.GetProperty("ConditionExpression").GetString());
        var values = request.GetProperty("ExpressionAttributeValues");
        Assert.Equal("token-1", values.GetProperty(":token").GetProperty("S").GetString());
        Assert.Equal("IN_PROGRESS", values.GetProperty(":inProgress").GetProperty("S").GetString());
        Assert.Equal("SENDING", values.GetProperty(":sending").GetProperty("S").GetString());
        var name = Assert.Single(request.GetProperty("ExpressionAttributeNames").EnumerateObject());
        Assert.Equal(("#status", "status"), (name.Name, name.Value.GetString()));
    }

    [Fact]
    public async Task ReleaseAsync_NotHeld_IsQuiet()
    {
        var (store, http) = Create((_, _) => StubAwsClients.Json(ConditionFailed + "}", HttpStatusCode.BadRequest));

        await store.ReleaseAsync("e-1", "token-1", Ct);

        Assert.Single(http.Requests);
    }

    [Fact]
    public void Constructor_MissingDependency_Throws()
    {
        var dynamo = StubAwsClients.DynamoDb(new CapturingHttpHandler((_, _) => StubAwsClients.Json("{}")));

        Assert.Throws<ArgumentNullException>(() => new LeaseIdempotencyStore(null!, "fanout-test", TimeSpan.FromDays(30), TestClock.Create()));
        Assert.ThrowsAny<ArgumentException>(() => new LeaseIdempotencyStore(dynamo, " ", TimeSpan.FromDays(30), TestClock.Create()));
        Assert.Throws<ArgumentNullException>(() => new LeaseIdempotencyStore(dynamo, "fanout-test", TimeSpan.FromDays(30), null!));
    }

    private static (LeaseIdempotencyStore Store, CapturingHttpHandler Http) Create(Func<CapturedRequest, int, HttpResponseMessage> respond)
    {
        var http = new CapturingHttpHandler(respond);
        return (new LeaseIdempotencyStore(StubAwsClients.DynamoDb(http), "fanout-test", TimeSpan.FromDays(30), TestClock.Create()), http);
    }

    private static JsonElement Body(CapturingHttpHandler http, int index) => JsonDocument.Parse(http.Requests[index].BodyText).RootElement;
}
