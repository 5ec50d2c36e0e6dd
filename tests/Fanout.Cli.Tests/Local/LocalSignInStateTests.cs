using Fanout.Cli.Local;
using Fanout.Contracts.Topology;
using Fanout.Harness;
using Fanout.Harness.Emulators;
using Fanout.Harness.Identity;

namespace Fanout.Cli.Tests.Local;

/// <summary>What `fanout up` writes about the local sign-in, from a pool provisioned on the real cognito-local.</summary>
[Trait("Category", "Integration")]
public sealed class LocalSignInStateTests
{
    [Fact]
    public async Task ToState_ProvisionedPool_NamesTheEndpointPoolClientIssuerAndBothDemoUsersWhoCanSignIn()
    {
        var ct = TestContext.Current.CancellationToken;
        var root = RepositoryLayout.FindRoot();
        await using var emulator = await EmulatorProcess.StartAsync(root, "cognito-local.mjs", "cognito-local", TimeSpan.FromSeconds(30), ct);
        using var pool = await LocalUserPool.ProvisionAsync(new Uri($"http://127.0.0.1:{emulator.Port}/"), "us-east-1", ct);

        var state = UpRunner.ToState(pool);

        Assert.Equal($"http://127.0.0.1:{emulator.Port}/", state.Endpoint);
        Assert.Equal(pool.UserPoolId, state.UserPoolId);
        Assert.Equal(pool.ClientId, state.ClientId);
        Assert.Equal($"http://127.0.0.1:{emulator.Port}/{pool.UserPoolId}", state.Issuer);
        Assert.Equal(["customer", "operator"], state.Users.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(LocalUserPool.CustomerEmail, state.Users["customer"].Email);
        Assert.False(state.Users["customer"].Operator);
        Assert.Equal(LocalUserPool.OperatorEmail, state.Users["operator"].Email);
        Assert.True(state.Users["operator"].Operator);
        Assert.NotEqual(state.Users["customer"].Password, state.Users["operator"].Password);
        foreach (var user in state.Users.Values)
        {
            var tokens = await pool.SignIn.InitiateAuthAsync(state.ClientId, user.Email, user.Password, ct);
            Assert.Equal(OrderApiTopology.AccessTokenValidityMinutes * 60, tokens.ExpiresIn);
        }

        // cognito-local keeps its data under its working directory: the launcher gives it a temporary one.
        Assert.False(Directory.Exists(Path.Combine(root, ".cognito")));
    }
}
