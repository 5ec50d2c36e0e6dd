using Fanout.AwsShims.Cognito;
using Fanout.AwsShims.Signing;

namespace Fanout.Cli.SignIn;

/// <summary>Where the order API's bearer token (RFC 6750 §2.1, <c>Authorization: Bearer &lt;token&gt;</c>) comes
/// from. Asked before every request, so a long run can sign in again when its token is about to expire.</summary>
internal interface IAccessTokenSource
{
    /// <summary>For humans, e.g. "the local demo customer"; never holds the token, a password or an e-mail.</summary>
    string Description { get; }

    /// <summary>The access token (a JWT, RFC 7519), without the <c>Bearer </c> prefix.</summary>
    /// <exception cref="SignInException">The sign-in was refused or its endpoint did not answer.</exception>
    ValueTask<string> GetAsync(CancellationToken cancellationToken);
}

/// <summary>Sign-in failed, or the API refused the token: the message says what to do next.</summary>
internal sealed class SignInException : Exception
{
    public SignInException()
    {
    }

    public SignInException(string message)
        : base(message)
    {
    }

    public SignInException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A token the user brought (<c>--token</c> or <c>FANOUT_TOKEN</c>); it is never renewed.</summary>
internal sealed class GivenAccessToken : IAccessTokenSource
{
    private const string BearerPrefix = "Bearer ";
    private readonly string _token;

    /// <param name="token">The JWT; a pasted <c>Bearer </c> prefix is dropped, as API Gateway's authorizer also
    /// accepts the header with or without it.</param>
    public GivenAccessToken(string token, string description)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        var trimmed = token.Trim();
        _token = trimmed.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) ? trimmed[BearerPrefix.Length..].Trim() : trimmed;
        if (_token.Length == 0)
        {
            throw new ArgumentException("The token is empty.", nameof(token));
        }

        Description = description;
    }

    public string Description { get; }

    public ValueTask<string> GetAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_token);
}

/// <summary>Signs a user in to a Cognito user pool (or cognito-local) with <c>USER_PASSWORD_AUTH</c> on first use,
/// keeps the access token, and signs in again once less than <see cref="RenewalMargin"/> of its life is left (at most
/// half of it), so a token handed to a request is never about to expire mid-flight.</summary>
internal sealed class CognitoAccessToken : IAccessTokenSource, IDisposable
{
    /// <summary>How long before its <c>exp</c> a token is replaced.</summary>
    public static readonly TimeSpan RenewalMargin = TimeSpan.FromMinutes(1);

    private readonly CognitoIdentityProviderClient _cognito;
    private readonly string _clientId;
    private readonly string _username;
    private readonly string _password;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;
    private DateTimeOffset _renewAt;

    public CognitoAccessToken(CognitoIdentityProviderClient cognito, string clientId, string username, string password, string description, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(cognito);
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        ArgumentException.ThrowIfNullOrWhiteSpace(username);
        ArgumentException.ThrowIfNullOrEmpty(password);
        ArgumentNullException.ThrowIfNull(time);
        _cognito = cognito;
        _clientId = clientId;
        _username = username;
        _password = password;
        _time = time;
        Description = description;
    }

    public string Description { get; }

    /// <summary>How many times this source signed in (one per token).</summary>
    public int SignIns { get; private set; }

    /// <summary>The lifetime Cognito gave the current token (<c>ExpiresIn</c>), or zero before the first sign-in.</summary>
    public TimeSpan Lifetime { get; private set; }

    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_token is not null && _time.GetUtcNow() < _renewAt)
            {
                return _token;
            }

            // Measured from before the call, so the token's real expiry is never later than we think.
            var asked = _time.GetUtcNow();
            var tokens = await SignInAsync(cancellationToken);
            Lifetime = TimeSpan.FromSeconds(Math.Max(0, tokens.ExpiresIn));
            var margin = Lifetime / 2 < RenewalMargin ? Lifetime / 2 : RenewalMargin;
            _renewAt = asked + Lifetime - margin;
            _token = tokens.AccessToken;
            SignIns++;
            return _token;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<CognitoTokens> SignInAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _cognito.InitiateAuthAsync(_clientId, _username, _password, cancellationToken);
        }
        catch (AwsServiceException ex)
        {
            throw new SignInException(Explain(ex, Description), ex);
        }
        catch (HttpRequestException ex)
        {
            throw new SignInException($"Cannot reach the sign-in endpoint {_cognito.Endpoint} ({ex.Message}). Is `fanout up` still running?", ex);
        }
    }

    /// <summary>The user-facing reason for a refused sign-in, by Cognito's error code (API reference, InitiateAuth
    /// errors). Never repeats the user name or password.</summary>
    internal static string Explain(AwsServiceException error, string who) => error.ErrorCode switch
    {
        "NotAuthorizedException" => $"Sign-in refused for {who}: wrong password, or no such user (NotAuthorizedException).",
        "UserNotFoundException" => $"Sign-in refused for {who}: no such user in the pool (UserNotFoundException).",
        "UserNotConfirmedException" => $"Sign-in refused for {who}: the user has not confirmed the account yet (UserNotConfirmedException).",
        "PasswordResetRequiredException" => $"Sign-in refused for {who}: the password must be reset first (PasswordResetRequiredException).",
        "ChallengeRequired" => $"Sign-in for {who} needs a challenge answered first (e.g. a new password); complete it in the shop's sign-in page, then retry. {error.Message}",
        "ResourceNotFoundException" => $"Sign-in failed: the app client does not exist (ResourceNotFoundException). Restart `fanout up`, or check the stack.",
        "InvalidParameterException" => $"Sign-in failed: the app client does not allow USER_PASSWORD_AUTH ({error.Message}).",
        _ => $"Sign-in failed for {who}: {error.Message}",
    };
}
