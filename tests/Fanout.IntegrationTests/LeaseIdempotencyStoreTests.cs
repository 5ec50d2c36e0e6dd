using System.Globalization;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Idempotency;
using Fanout.IntegrationTests.Support;

namespace Fanout.IntegrationTests;

/// <summary>The DynamoDB idempotency store's conditional writes on DynamoDB Local: every transition of the
/// state machine, and every refusal, as the real condition expressions decide them.</summary>
[Trait("Category", "Integration")]
public sealed class LeaseIdempotencyStoreTests(DefaultFanoutFixture fixture) : IClassFixture<DefaultFanoutFixture>
{
    private const string Hash = "hash-a";
    private const string Outcome = "{\"type\":\"SmsSent\"}";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateTimeOffset Live => TimeProvider.System.GetUtcNow().AddSeconds(30);

    private static DateTimeOffset Expired => TimeProvider.System.GetUtcNow().AddSeconds(-1);

    private LeaseIdempotencyStore Store => new(fixture.Fanout.Dynamo, fixture.Fanout.Topology.TableFor(FanoutTopology.SmsTable), TimeSpan.FromDays(30), TimeProvider.System);

    [Fact]
    public async Task TryClaimAsync_NewEvent_ClaimsWithTheLeaseAndRetention()
    {
        var id = NewId();
        var leaseUntil = Live;

        var claim = await Store.TryClaimAsync(id, "order-1", Hash, leaseUntil, Ct);

        Assert.Equal(ClaimOutcome.Claimed, claim.Outcome);
        Assert.NotNull(claim.LeaseToken);
        var item = await ItemAsync(id);
        Assert.Equal(IdempotencyStatus.InProgress, item["status"].S);
        Assert.Equal("order-1", item["orderId"].S);
        Assert.Equal(leaseUntil.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), item["leaseExpiresAt"].N);
        var ttl = long.Parse(item[FanoutTopology.TtlAttribute].N, CultureInfo.InvariantCulture);
        Assert.InRange(ttl - TimeProvider.System.GetUtcNow().ToUnixTimeSeconds(), (30 * 86_400) - 60, 30 * 86_400);
    }

    [Fact]
    public async Task TryClaimAsync_HeldByALiveLease_IsInProgressElsewhereOrMismatch()
    {
        var id = NewId();
        await Store.TryClaimAsync(id, "order-1", Hash, Live, Ct);

        Assert.Equal(ClaimOutcome.InProgressElsewhere, (await Store.TryClaimAsync(id, "order-1", Hash, Live, Ct)).Outcome);
        Assert.Equal(ClaimOutcome.PayloadMismatch, (await Store.TryClaimAsync(id, "order-1", "hash-b", Live, Ct)).Outcome);
    }

    [Fact]
    public async Task TryClaimAsync_InProgressLeaseExpired_TakesOverAndTheOldHolderLosesIt()
    {
        var id = NewId();
        var first = await Store.TryClaimAsync(id, "order-1", Hash, Expired, Ct);

        var second = await Store.TryClaimAsync(id, "order-1", Hash, Live, Ct);

        Assert.Equal(ClaimOutcome.Claimed, second.Outcome);
        Assert.NotEqual(first.LeaseToken, second.LeaseToken);
        await Assert.ThrowsAsync<LeaseLostException>(() => Store.MarkSendingAsync(id, first.LeaseToken!, Ct));
        await Assert.ThrowsAsync<LeaseLostException>(() => Store.CompleteAsync(id, first.LeaseToken!, Outcome, Ct));
    }

    [Fact]
    public async Task TryClaimAsync_SendingLeaseExpired_IsSendUnconfirmedNeverTakenOver()
    {
        var id = NewId();
        var first = await Store.TryClaimAsync(id, "order-1", Hash, Expired, Ct);
        await Store.MarkSendingAsync(id, first.LeaseToken!, Ct);

        var again = await Store.TryClaimAsync(id, "order-1", Hash, Live, Ct);

        Assert.Equal(ClaimOutcome.SendUnconfirmed, again.Outcome);
        Assert.Null(again.LeaseToken);
        Assert.Equal(IdempotencyStatus.Sending, (await ItemAsync(id))["status"].S);
    }

    [Fact]
    public async Task MarkSendingAsync_Twice_SecondIsRefused()
    {
        var id = NewId();
        var claim = await Store.TryClaimAsync(id, "order-1", Hash, Live, Ct);
        await Store.MarkSendingAsync(id, claim.LeaseToken!, Ct);

        await Assert.ThrowsAsync<LeaseLostException>(() => Store.MarkSendingAsync(id, claim.LeaseToken!, Ct));
    }

    [Fact]
    public async Task CompleteAsync_Held_RecordsTheOutcomeDropsTheLeaseAndAnswersLaterClaims()
    {
        var id = NewId();
        var claim = await Store.TryClaimAsync(id, "order-1", Hash, Live, Ct);
        await Store.MarkSendingAsync(id, claim.LeaseToken!, Ct);

        await Store.CompleteAsync(id, claim.LeaseToken!, Outcome, Ct);

        var item = await ItemAsync(id);
        Assert.Equal(IdempotencyStatus.Completed, item["status"].S);
        Assert.False(item.ContainsKey("leaseToken"));
        Assert.False(item.ContainsKey("leaseExpiresAt"));
        var again = await Store.TryClaimAsync(id, "order-1", Hash, Live, Ct);
        Assert.Equal(new ClaimResult(ClaimOutcome.AlreadyCompleted, null, Outcome), again);
        await Store.ReleaseAsync(id, claim.LeaseToken!, Ct);
        Assert.Equal(IdempotencyStatus.Completed, (await ItemAsync(id))["status"].S);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReleaseAsync_Held_DeletesSoTheNextClaimSucceeds(bool sending)
    {
        var id = NewId();
        var claim = await Store.TryClaimAsync(id, "order-1", Hash, Live, Ct);
        if (sending)
        {
            await Store.MarkSendingAsync(id, claim.LeaseToken!, Ct);
        }

        await Store.ReleaseAsync(id, claim.LeaseToken!, Ct);

        Assert.Empty(await ItemOrEmptyAsync(id));
        Assert.Equal(ClaimOutcome.Claimed, (await Store.TryClaimAsync(id, "order-1", Hash, Live, Ct)).Outcome);
    }

    [Fact]
    public async Task ReleaseAsync_WrongToken_LeavesTheRecord()
    {
        var id = NewId();
        await Store.TryClaimAsync(id, "order-1", Hash, Live, Ct);

        await Store.ReleaseAsync(id, "not-the-token", Ct);

        Assert.Equal(IdempotencyStatus.InProgress, (await ItemAsync(id))["status"].S);
    }

    private static string NewId() => "it-" + Guid.NewGuid().ToString("N");

    private async Task<Dictionary<string, AttributeValue>> ItemAsync(string id)
    {
        var item = await ItemOrEmptyAsync(id);
        Assert.NotEmpty(item);
        return item;
    }

    private async Task<Dictionary<string, AttributeValue>> ItemOrEmptyAsync(string id)
    {
        var response = await fixture.Fanout.Dynamo.GetItemAsync(
            new GetItemRequest
            {
                TableName = fixture.Fanout.Topology.TableFor(FanoutTopology.SmsTable),
                Key = new Dictionary<string, AttributeValue> { [FanoutTopology.PartitionKey] = new() { S = "EVENT#" + id } },
                ConsistentRead = true,
            },
            Ct);
        return response.Item ?? [];
    }
}
