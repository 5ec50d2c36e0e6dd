using Fanout.AwsShims.Cognito;
using Fanout.Cli.Commands;
using Fanout.Cli.Local;
using Fanout.Cli.Targeting;
using Fanout.Contracts.Topology;

namespace Fanout.Cli.SignIn;

/// <summary>The command line's say on who calls the API.</summary>
internal sealed record SignInRequest
{
    /// <summary>A token to use as is (<c>--token</c>, else <c>FANOUT_TOKEN</c>); wins over signing in.</summary>
    public string? Token { get; init; }

    /// <summary>The e-mail to sign in as (<c>--user</c>).</summary>
    public string? User { get; init; }

    /// <summary>The local demo operator (<c>--operator</c>).</summary>
    public bool Operator { get; init; }
}

/// <summary>Decides how a command gets its access token: a given token; else, against a deployed stack, its Cognito
/// app client (stack output <c>UserPoolClientId</c>) with <c>--user</c> and a password from <c>FANOUT_PASSWORD</c> or
/// a hidden prompt; else the running <c>fanout up</c>'s cognito-local and its demo users (state file
/// <c>identity</c>). Passwords never come from the command line, where <c>ps</c> and shell history would keep them.</summary>
internal sealed class SignInResolver
{
    /// <summary>Holds a deployed user's password, so scripts can sign in without a prompt.</summary>
    public const string PasswordVariable = "FANOUT_PASSWORD";

    /// <summary>A token for every API-calling command, as <c>--token</c> would give it.</summary>
    public const string TokenVariable = "FANOUT_TOKEN";

    public const string CustomerRole = "customer";

    public const string OperatorRole = "operator";

    private readonly IStackOutputsSource _stacks;
    private readonly ILocalUpSource _localUp;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly Func<string, string?> _environment;
    private readonly Func<string, string>? _promptPassword;

    /// <param name="promptPassword">Asks for a password without echoing it (the argument is the question); null where
    /// no one can answer (stdin redirected, CI).</param>
    public SignInResolver(IStackOutputsSource stacks, ILocalUpSource localUp, HttpClient http, TimeProvider time, Func<string, string?>? environment = null, Func<string, string>? promptPassword = null)
    {
        ArgumentNullException.ThrowIfNull(stacks);
        ArgumentNullException.ThrowIfNull(localUp);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(time);
        _stacks = stacks;
        _localUp = localUp;
        _http = http;
        _time = time;
        _environment = environment ?? Environment.GetEnvironmentVariable;
        _promptPassword = promptPassword;
    }

    public async Task<IAccessTokenSource> ResolveAsync(SignInRequest request, ResolvedTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(target);
        var user = string.IsNullOrWhiteSpace(request.User) ? null : request.User.Trim();
        if (user is not null && request.Operator)
        {
            throw new UsageException("--user and --operator exclude each other: --operator is the local demo operator.");
        }

        if (!string.IsNullOrWhiteSpace(request.Token))
        {
            return new GivenAccessToken(request.Token, "the --token/FANOUT_TOKEN holder");
        }

        return target.Source == TargetSource.Stack
            ? await DeployedAsync(user, request.Operator, target, cancellationToken)
            : Local(user, request.Operator);
    }

    private async Task<IAccessTokenSource> DeployedAsync(string? user, bool asOperator, ResolvedTarget target, CancellationToken cancellationToken)
    {
        var stackName = target.StackName ?? throw new TargetResolutionException("No stack name resolved.");
        var region = target.Region ?? throw new TargetResolutionException("--stack needs a region: pass --region or set AWS_REGION.");
        if (asOperator)
        {
            throw new UsageException("--operator picks the local demo operator; against a deployed stack sign in with --user EMAIL (an operator is a member of the pool's 'operators' group), or pass --token.");
        }

        var stack = await _stacks.DescribeAsync(stackName, region, cancellationToken);
        if (!stack.Outputs.TryGetValue(StackOutputNames.UserPoolClientId, out var clientId) || string.IsNullOrWhiteSpace(clientId))
        {
            throw stack.Outputs.TryGetValue(StackOutputNames.JwtIssuer, out var issuer) && !string.IsNullOrWhiteSpace(issuer)
                ? new SignInException($"Stack '{stackName}' trusts its own issuer ({issuer}) and has no Cognito app client to sign in with: get an access token from that issuer and pass it with --token (or FANOUT_TOKEN).")
                : new SignInException($"Stack '{stackName}' has no {StackOutputNames.UserPoolClientId} output: deploy the current version of the stack, or pass --token.");
        }

        if (user is null)
        {
            throw new UsageException($"Stack '{stackName}' needs a user: pass --user EMAIL (the password comes from {PasswordVariable} or a prompt), or --token.");
        }

        var password = _environment(PasswordVariable);
        if (string.IsNullOrEmpty(password))
        {
            password = _promptPassword is { } prompt
                ? prompt("Password for the user given with --user:")
                : throw new UsageException($"No password: set {PasswordVariable} (a password is never a command-line argument), or run on a terminal to be asked for it.");
            if (string.IsNullOrEmpty(password))
            {
                throw new UsageException("No password given.");
            }
        }

        var cognito = new CognitoIdentityProviderClient(_http, CognitoIdentityProviderClient.ResolveEndpoint(region, _environment));
        return new CognitoAccessToken(cognito, clientId.Trim(), user, password, $"the user given with --user (stack {stackName})", _time);
    }

    private CognitoAccessToken Local(string? user, bool asOperator)
    {
        var state = _localUp.TryGetRunning()
            ?? throw new TargetResolutionException("No running `fanout up` to sign in to: start scripts/run.sh, pass --stack with --user, or pass --token (or FANOUT_TOKEN).");
        var identity = state.Identity;
        if (identity is null || string.IsNullOrWhiteSpace(identity.Endpoint) || string.IsNullOrWhiteSpace(identity.ClientId))
        {
            throw new TargetResolutionException("The running `fanout up` has no sign-in (no identity in its state file): restart it with scripts/run.sh, or pass --token.");
        }

        if (!Uri.TryCreate(identity.Endpoint, UriKind.Absolute, out var endpoint))
        {
            throw new TargetResolutionException("The running `fanout up` wrote a state file without a valid 'identity.endpoint'; restart `fanout up`.");
        }

        var (role, demo) = PickUser(identity, user, asOperator);
        if (string.IsNullOrWhiteSpace(demo.Email) || string.IsNullOrEmpty(demo.Password))
        {
            throw new TargetResolutionException($"The running `fanout up` wrote the demo {role} without an e-mail or password; restart `fanout up`.");
        }

        return new CognitoAccessToken(new CognitoIdentityProviderClient(_http, endpoint), identity.ClientId, demo.Email, demo.Password, $"the local demo {role}", _time);
    }

    private static (string Role, LocalUser User) PickUser(LocalIdentity identity, string? email, bool asOperator)
    {
        if (email is null)
        {
            var role = asOperator ? OperatorRole : CustomerRole;
            return identity.Users.TryGetValue(role, out var demo)
                ? (role, demo)
                : throw new TargetResolutionException($"The running `fanout up` has no demo {role} in its state file; restart `fanout up`.");
        }

        foreach (var (role, demo) in identity.Users)
        {
            if (string.Equals(demo.Email, email, StringComparison.OrdinalIgnoreCase))
            {
                return (role, demo);
            }
        }

        throw new UsageException(
            $"--user is not a local demo user; the local pool has {string.Join(", ", identity.Users.Keys.Order(StringComparer.Ordinal).Select(r => $"{identity.Users[r].Email} ({r})"))}. For another user pass --token.");
    }
}
