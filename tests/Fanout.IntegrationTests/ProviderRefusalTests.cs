using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Idempotency;
using Fanout.Harness;
using Fanout.IntegrationTests.Support;
using Fanout.Sms.Core;

namespace Fanout.IntegrationTests;

/// <summary>The SMS provider refuses one phone number permanently (as SNS answers an invalid number), with a
/// long visibility timeout: only "poison is not delayed" gets the message to the DLQ within the test's time.</summary>
public sealed class RefusingSmsFanoutFixture : FanoutFixture
{
    public const string RefusedPhone = "+15005550001";

    protected override LocalFanoutOptions Options => base.Options with
    {
        VisibilityTimeoutSeconds = 60,
        DecorateSmsSender = sender => SmsCalls.Wrap(new RefusingSender(sender)),
    };

    private sealed class RefusingSender(ISmsSender inner) : ISmsSender
    {
        public bool IsTransactionalWithRecord => inner.IsTransactionalWithRecord;

        public Task<string> SendAsync(string orderId, SmsMessage message, SendStamp? stamp, CancellationToken cancellationToken) =>
            message.PhoneNumber == RefusedPhone
                ? throw new PoisonMessageException("SNS refused the message permanently: InvalidParameter (phone number)")
                : inner.SendAsync(orderId, message, stamp, cancellationToken);
    }
}

[Trait("Category", "Integration")]
public sealed class ProviderRefusalTests(RefusingSmsFanoutFixture fixture) : IClassFixture<RefusingSmsFanoutFixture>
{
    [Fact]
    public async Task Sms_ProviderRefusesPermanently_PoisonWithItsReasonInTheDlqWhileOtherServicesFinish()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var queue = fanout.Topology.QueueFor(FanoutTopology.Sms);
        await fanout.Stock.SetAsync("REFUSED-1", 10, ct);

        var refused = await Api.PlaceAsync(fanout, Api.OrderJson("refused-0", RefusingSmsFanoutFixture.RefusedPhone, ("REFUSED-1", 1)), ct);
        var accepted = await Api.PlaceAsync(fanout, Api.OrderJson("refused-1", "+14155550133", ("REFUSED-1", 1)), ct);

        await Eventually.WaitAsync(() => Inspect.DepthAsync(fanout, queue.DeadLetterQueueUrl), d => d.Visible == 1, TimeSpan.FromSeconds(45), "the refused SMS to reach the DLQ");
        var failure = Assert.Single(await Inspect.ItemsAsync(fanout, FanoutTopology.SmsTable, "FAILURE#"));
        Assert.True(failure["poison"].BOOL);
        Assert.Equal("SNS refused the message permanently: InvalidParameter (phone number)", failure["reason"].S);
        Assert.Equal(nameof(PoisonMessageException), failure["errorType"].S);
        // One provider call per receive, none within a receive, and the lease released each time.
        Assert.Equal(FanoutTopology.Sms.MaxReceiveCount, fixture.SmsCalls.For(refused));
        Assert.Empty(await Inspect.ItemsAsync(fanout, FanoutTopology.SmsTable, "EVENT#" + EventIds.For(refused, "orders", "PLACED")));

        var other = await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, accepted, ct), v => v is { Status: not "PENDING" }, TimeSpan.FromSeconds(30), $"order {accepted} to finish");
        Assert.Equal("COMPLETED", other!.Status);
        Assert.Equal(1, fixture.SmsCalls.For(accepted));
        var stuck = await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, refused, ct), v => v is not null && v.Services["email"] == "SENT", TimeSpan.FromSeconds(30), $"order {refused}'s e-mail");
        Assert.Equal("PENDING", stuck!.Services["sms"]);
        Assert.Equal("PENDING", stuck.Status);
    }
}
