using Fanout.Cli.Commands;
using Fanout.Cli.Local;
using Fanout.Cli.SignIn;
using Fanout.Cli.Targeting;
using Fanout.Cli.Tests.TestDoubles;
using Fanout.Contracts.Topology;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.Cli.Tests.SignIn;

[Trait("Category", "Unit")]
public sealed class SignInResolverTests
{
    private const string CustomerEmail = "customer@demo.fanout.test";
    private const string OperatorEmail = "operator@demo.fanout.test";

    private static readonly ResolvedTarget _local = new() { Source = TargetSource.LocalUp, Description = "local", ApiUrl = new Uri("http://127.0.0.1:6001/") };

    private static readonly ResolvedTarget _stack = new() { Source = TargetSource.Stack, Description = "stack", ApiUrl = new Uri("https://api.test/"), StackName = "fanout-prod", Region = "eu-west-1" };

    private static LocalState RunningUp(LocalIdentity? identity) => new() { Pid = 4242, ApiUrl = "http://127.0.0.1:6001", Identity = identity };

    private static LocalIdentity Identity() => new()
    {
        Endpoint = "http://127.0.0.1:9230/",
        UserPoolId = "local_pool",
        ClientId = "local-client",
        Issuer = "http://127.0.0.1:9230/local_pool",
        Users =
        {
            [SignInResolver.CustomerRole] = new LocalUser { Email = CustomerEmail, Password = "customer-pw" },
            [SignInResolver.OperatorRole] = new LocalUser { Email = OperatorEmail, Password = "operator-pw", Operator = true },
        },
    };

    private static FakeCognito Cognito() => new()
    {
        Passwords = { [CustomerEmail] = "customer-pw", [OperatorEmail] = "operator-pw", ["ops@shop.example"] = "deployed-pw" },
    };

    private static readonly Dictionary<string, string> _poolOutputs = new()
    {
        [StackOutputNames.ApiUrl] = "https://api.test/",
        [StackOutputNames.UserPoolId] = "eu-west-1_Pool",
        [StackOutputNames.UserPoolClientId] = "stack-client",
        [StackOutputNames.JwtIssuer] = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool",
    };

    private static SignInResolver Resolver(HttpClient http, LocalState? local = null, IReadOnlyDictionary<string, string>? outputs = null, Dictionary<string, string>? environment = null, Func<string, string>? prompt = null) =>
        new(new FakeStacks(outputs ?? _poolOutputs), new FakeLocalUp(local), http, new FakeTimeProvider(), name => environment is not null && environment.TryGetValue(name, out var value) ? value : null, prompt);

    private static async Task<(string Token, IAccessTokenSource Source)> SignInAsync(SignInResolver resolver, SignInRequest request, ResolvedTarget target)
    {
        var source = await resolver.ResolveAsync(request, target, TestContext.Current.CancellationToken);
        return (await source.GetAsync(TestContext.Current.CancellationToken), source);
    }

    [Fact]
    public async Task ResolveAsync_LocalNoUser_SignsInAsTheDemoCustomerAtTheLocalPool()
    {
        var cognito = Cognito();
        using var http = new HttpClient(cognito);

        var (token, source) = await SignInAsync(Resolver(http, RunningUp(Identity())), new SignInRequest(), _local);

        Assert.Equal("token-1", token);
        Assert.Equal("the local demo customer", source.Description);
        var call = Assert.Single(cognito.Calls);
        Assert.Equal(new Uri("http://127.0.0.1:9230/"), call.Url);
        Assert.Equal("local-client", call.Body.GetProperty("ClientId").GetString());
        Assert.Equal(CustomerEmail, call.Body.GetProperty("AuthParameters").GetProperty("USERNAME").GetString());
    }

    [Fact]
    public async Task ResolveAsync_LocalOperator_SignsInAsTheDemoOperator()
    {
        var cognito = Cognito();
        using var http = new HttpClient(cognito);

        var (_, source) = await SignInAsync(Resolver(http, RunningUp(Identity())), new SignInRequest { Operator = true }, _local);

        Assert.Equal("the local demo operator", source.Description);
        Assert.Equal(OperatorEmail, Assert.Single(cognito.Calls).Body.GetProperty("AuthParameters").GetProperty("USERNAME").GetString());
    }

    [Fact]
    public async Task ResolveAsync_LocalUserByEmail_FindsTheDemoUserIgnoringCase()
    {
        var cognito = Cognito();
        using var http = new HttpClient(cognito);

        var (_, source) = await SignInAsync(Resolver(http, RunningUp(Identity())), new SignInRequest { User = " Operator@Demo.Fanout.Test " }, _local);

        Assert.Equal("the local demo operator", source.Description);
        Assert.Equal("operator-pw", Assert.Single(cognito.Calls).Body.GetProperty("AuthParameters").GetProperty("PASSWORD").GetString());
    }

    [Fact]
    public async Task ResolveAsync_LocalUnknownUser_ListsTheDemoUsers()
    {
        using var http = new HttpClient(Cognito());

        var error = await Assert.ThrowsAsync<UsageException>(() => Resolver(http, RunningUp(Identity())).ResolveAsync(new SignInRequest { User = "eve@example.com" }, _local, TestContext.Current.CancellationToken));

        Assert.Equal($"--user is not a local demo user; the local pool has {CustomerEmail} (customer), {OperatorEmail} (operator). For another user pass --token.", error.Message);
    }

    [Fact]
    public async Task ResolveAsync_NoFanoutUp_SaysToStartItOrPassAToken()
    {
        using var http = new HttpClient(Cognito());

        var error = await Assert.ThrowsAsync<TargetResolutionException>(() => Resolver(http).ResolveAsync(new SignInRequest(), _local, TestContext.Current.CancellationToken));

        Assert.Equal("No running `fanout up` to sign in to: start scripts/run.sh, pass --stack with --user, or pass --token (or FANOUT_TOKEN).", error.Message);
    }

    [Fact]
    public async Task ResolveAsync_StateWithoutIdentity_SaysToRestart()
    {
        using var http = new HttpClient(Cognito());

        var error = await Assert.ThrowsAsync<TargetResolutionException>(() => Resolver(http, RunningUp(null)).ResolveAsync(new SignInRequest(), _local, TestContext.Current.CancellationToken));

        Assert.StartsWith("The running `fanout up` has no sign-in (no identity in its state file)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_UserAndOperator_IsAUsageError()
    {
        using var http = new HttpClient(Cognito());

        await Assert.ThrowsAsync<UsageException>(() => Resolver(http, RunningUp(Identity())).ResolveAsync(new SignInRequest { User = CustomerEmail, Operator = true }, _local, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ResolveAsync_GivenToken_IsUsedAsIsWithoutSigningIn()
    {
        var cognito = Cognito();
        using var http = new HttpClient(cognito);

        var (token, source) = await SignInAsync(Resolver(http), new SignInRequest { Token = "Bearer eyJ.given.token" }, _stack);

        Assert.Equal("eyJ.given.token", token);
        Assert.Equal("the --token/FANOUT_TOKEN holder", source.Description);
        Assert.Empty(cognito.Calls);
    }

    [Fact]
    public async Task ResolveAsync_StackWithUserAndPasswordVariable_SignsInAtTheStacksClientInItsRegion()
    {
        var cognito = Cognito();
        using var http = new HttpClient(cognito);
        var environment = new Dictionary<string, string> { [SignInResolver.PasswordVariable] = "deployed-pw" };

        var (token, _) = await SignInAsync(Resolver(http, RunningUp(Identity()), environment: environment), new SignInRequest { User = "ops@shop.example" }, _stack);

        Assert.Equal("token-1", token);
        var call = Assert.Single(cognito.Calls);
        Assert.Equal(new Uri("https://cognito-idp.eu-west-1.amazonaws.com/"), call.Url);
        Assert.Equal("stack-client", call.Body.GetProperty("ClientId").GetString());
    }

    [Fact]
    public async Task ResolveAsync_StackEndpointVariable_IsHonoured()
    {
        var cognito = Cognito();
        using var http = new HttpClient(cognito);
        var environment = new Dictionary<string, string>
        {
            [SignInResolver.PasswordVariable] = "deployed-pw",
            ["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] = "http://127.0.0.1:9999/",
        };

        await SignInAsync(Resolver(http, environment: environment), new SignInRequest { User = "ops@shop.example" }, _stack);

        Assert.Equal(new Uri("http://127.0.0.1:9999/"), Assert.Single(cognito.Calls).Url);
    }

    [Fact]
    public async Task ResolveAsync_StackWithoutPasswordVariable_AsksThePrompt()
    {
        var cognito = Cognito();
        using var http = new HttpClient(cognito);
        var asked = new List<string>();

        var (token, _) = await SignInAsync(Resolver(http, prompt: q => { asked.Add(q); return "deployed-pw"; }), new SignInRequest { User = "ops@shop.example" }, _stack);

        Assert.Equal("token-1", token);
        Assert.Equal(["Password for the user given with --user:"], asked);
    }

    [Fact]
    public async Task ResolveAsync_StackNoPasswordAndNoTerminal_SaysToSetThePasswordVariable()
    {
        using var http = new HttpClient(Cognito());

        var error = await Assert.ThrowsAsync<UsageException>(() => Resolver(http).ResolveAsync(new SignInRequest { User = "ops@shop.example" }, _stack, TestContext.Current.CancellationToken));

        Assert.Equal("No password: set FANOUT_PASSWORD (a password is never a command-line argument), or run on a terminal to be asked for it.", error.Message);
    }

    [Fact]
    public async Task ResolveAsync_StackEmptyPromptAnswer_IsAUsageError()
    {
        using var http = new HttpClient(Cognito());

        var error = await Assert.ThrowsAsync<UsageException>(() => Resolver(http, prompt: _ => "").ResolveAsync(new SignInRequest { User = "ops@shop.example" }, _stack, TestContext.Current.CancellationToken));

        Assert.Equal("No password given.", error.Message);
    }

    [Fact]
    public async Task ResolveAsync_StackWithoutUser_AsksForUserOrToken()
    {
        using var http = new HttpClient(Cognito());

        var error = await Assert.ThrowsAsync<UsageException>(() => Resolver(http, RunningUp(Identity())).ResolveAsync(new SignInRequest(), _stack, TestContext.Current.CancellationToken));

        Assert.Equal("Stack 'fanout-prod' needs a user: pass --user EMAIL (the password comes from FANOUT_PASSWORD or a prompt), or --token.", error.Message);
    }

    [Fact]
    public async Task ResolveAsync_StackOperator_IsAUsageError()
    {
        using var http = new HttpClient(Cognito());

        var error = await Assert.ThrowsAsync<UsageException>(() => Resolver(http).ResolveAsync(new SignInRequest { Operator = true }, _stack, TestContext.Current.CancellationToken));

        Assert.StartsWith("--operator picks the local demo operator", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_StackWithOwnIssuer_TellsToPassAToken()
    {
        using var http = new HttpClient(Cognito());
        var byo = new Dictionary<string, string> { [StackOutputNames.ApiUrl] = "https://api.test/", [StackOutputNames.JwtIssuer] = "https://login.shop.example/" };

        var error = await Assert.ThrowsAsync<SignInException>(() => Resolver(http, outputs: byo).ResolveAsync(new SignInRequest { User = "ops@shop.example" }, _stack, TestContext.Current.CancellationToken));

        Assert.Equal("Stack 'fanout-prod' trusts its own issuer (https://login.shop.example/) and has no Cognito app client to sign in with: get an access token from that issuer and pass it with --token (or FANOUT_TOKEN).", error.Message);
    }

    [Fact]
    public async Task ResolveAsync_StackWithoutSignInOutputs_SaysToRedeploy()
    {
        using var http = new HttpClient(Cognito());
        var old = new Dictionary<string, string> { [StackOutputNames.ApiUrl] = "https://api.test/" };

        var error = await Assert.ThrowsAsync<SignInException>(() => Resolver(http, outputs: old).ResolveAsync(new SignInRequest { User = "ops@shop.example" }, _stack, TestContext.Current.CancellationToken));

        Assert.Equal("Stack 'fanout-prod' has no UserPoolClientId output: deploy the current version of the stack, or pass --token.", error.Message);
    }

    private sealed class FakeStacks(IReadOnlyDictionary<string, string> outputs) : IStackOutputsSource
    {
        public Task<StackDescription> DescribeAsync(string stackName, string region, CancellationToken cancellationToken) =>
            Task.FromResult(new StackDescription(stackName, "CREATE_COMPLETE", outputs));
    }

    private sealed class FakeLocalUp(LocalState? state) : ILocalUpSource
    {
        public LocalState? TryGetRunning() => state;
    }
}
