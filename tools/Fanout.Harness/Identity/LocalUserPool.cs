using System.Security.Cryptography;
using Amazon.Runtime;
using Fanout.AwsShims.Cognito;
using Fanout.AwsShims.Signing;
using Fanout.Contracts.Topology;
using Fanout.Harness.Http;

namespace Fanout.Harness.Identity;

/// <summary>A user's sign-in: the e-mail address (the pool's user name) and a generated password.</summary>
public sealed class LocalCredentials
{
    public LocalCredentials(string email, string password, bool isOperator, string? subject)
    {
        Email = email;
        Password = password;
        IsOperator = isOperator;
        Subject = subject;
    }

    public string Email { get; }

    /// <summary>The user's <c>sub</c>: the customer id the order API takes from the token (null if Cognito did not say).</summary>
    public string? Subject { get; }

    /// <summary>Never printed or logged; written only to the local state file.</summary>
    public string Password { get; }

    /// <summary>Whether the user is in <see cref="OrderApiTopology.OperatorsGroup"/>.</summary>
    public bool IsOperator { get; }

    /// <summary>Deliberately free of the address and the password, so no log line or assertion message shows them.</summary>
    public override string ToString() => IsOperator ? "operator credentials" : "customer credentials";
}

/// <summary>The shop's sign-in on one machine: a Cognito user pool in cognito-local with the shop's app client, the
/// <see cref="OrderApiTopology.OperatorsGroup"/> group and two demo users (a customer and an operator) whose
/// passwords are generated per run. Tests create more users, app clients and sign in through it.</summary>
public sealed class LocalUserPool : IDisposable
{
    /// <summary>The demo customer's sign-in name.</summary>
    public const string CustomerEmail = "customer@fanout.local";

    /// <summary>The demo operator's sign-in name (a member of <see cref="OrderApiTopology.OperatorsGroup"/>).</summary>
    public const string OperatorEmail = "operator@fanout.local";

    /// <summary>Like the stack's pool: at least 12 characters with upper and lower case letters, digits and symbols.</summary>
    public static readonly CognitoPasswordPolicy PasswordPolicy = new(12, true, true, true, true, 1);

    private readonly HttpClient _http;

    private LocalUserPool(HttpClient http, CognitoAdminClient admin, Uri endpoint, string userPoolId, string clientId, LocalCredentials customer, LocalCredentials @operator)
    {
        _http = http;
        Admin = admin;
        Endpoint = endpoint;
        UserPoolId = userPoolId;
        ClientId = clientId;
        Customer = customer;
        Operator = @operator;
        SignIn = new CognitoIdentityProviderClient(http, endpoint);
    }

    /// <summary>The Cognito API endpoint (cognito-local's base URL).</summary>
    public Uri Endpoint { get; }

    public string UserPoolId { get; }

    /// <summary>The shop's app client: the audience the local API server accepts.</summary>
    public string ClientId { get; }

    /// <summary>The tokens' <c>iss</c>: cognito-local's URL followed by the pool id.</summary>
    public string Issuer => IssuerOf(Endpoint, UserPoolId);

    public LocalCredentials Customer { get; }

    public LocalCredentials Operator { get; }

    /// <summary>Administration calls on the emulator (more pools, clients, groups).</summary>
    public CognitoAdminClient Admin { get; }

    /// <summary>Public sign-in calls (<c>InitiateAuth</c>).</summary>
    public CognitoIdentityProviderClient SignIn { get; }

    /// <summary>The issuer of a pool served at <paramref name="endpoint"/>: cognito-local writes
    /// <c>http://HOST:PORT/&lt;poolId&gt;</c>, as Cognito writes <c>https://cognito-idp.&lt;region&gt;.amazonaws.com/&lt;poolId&gt;</c>.</summary>
    public static string IssuerOf(Uri endpoint, string userPoolId)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return endpoint.GetLeftPart(UriPartial.Authority) + "/" + userPoolId;
    }

    /// <summary>Creates the pool, the shop's app client (access tokens valid
    /// <see cref="OrderApiTopology.AccessTokenValidityMinutes"/> minutes), the operators group and the demo users.</summary>
    /// <param name="endpoint">cognito-local's base URL.</param>
    /// <exception cref="AwsServiceException">cognito-local refused a call.</exception>
    /// <exception cref="AwsTransportException">cognito-local did not answer.</exception>
    public static async Task<LocalUserPool> ProvisionAsync(Uri endpoint, string region, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        try
        {
            var admin = AdminClient(http, endpoint, region);
            var poolId = await admin.CreateUserPoolAsync("fanout-local", PasswordPolicy, cancellationToken);
            var clientId = await admin.CreateUserPoolClientAsync(poolId, "fanout-shop", OrderApiTopology.AccessTokenValidityMinutes, cancellationToken);
            await admin.CreateGroupAsync(poolId, OrderApiTopology.OperatorsGroup, cancellationToken);
            var customer = await CreateUserAsync(admin, poolId, CustomerEmail, isOperator: false, cancellationToken);
            var @operator = await CreateUserAsync(admin, poolId, OperatorEmail, isOperator: true, cancellationToken);
            return new LocalUserPool(http, admin, endpoint, poolId, clientId, customer, @operator);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    /// <summary>An admin client for cognito-local. It checks no signature, so fixed local credentials sign the calls.</summary>
    public static CognitoAdminClient AdminClient(HttpClient http, Uri endpoint, string region) =>
        new(new SignedAwsHttpClient(http, new BasicAWSCredentials("fanoutlocal", "fanoutlocalsecret"), region, CognitoAdminClient.SigningService, endpoint, TimeProvider.System));

    /// <summary>Creates a user who can sign in at once with a generated password, in the operators group when
    /// <paramref name="isOperator"/>.</summary>
    public Task<LocalCredentials> CreateUserAsync(string email, bool isOperator, CancellationToken cancellationToken) =>
        CreateUserAsync(Admin, UserPoolId, email, isOperator, cancellationToken);

    /// <summary>Signs in with <c>USER_PASSWORD_AUTH</c> on the shop's app client (or <paramref name="clientId"/>).</summary>
    /// <returns>The access token.</returns>
    public async Task<string> SignInAsync(LocalCredentials user, CancellationToken cancellationToken, string? clientId = null)
    {
        ArgumentNullException.ThrowIfNull(user);
        var tokens = await SignIn.InitiateAuthAsync(clientId ?? ClientId, user.Email, user.Password, cancellationToken);
        return tokens.AccessToken;
    }

    /// <summary>The authorizer the local API server puts on every route: this pool's issuer, the shop's client as
    /// the audience, the pool's JWKS.</summary>
    public JwtAuthorizer CreateAuthorizer(TimeProvider time) =>
        new(Issuer, [ClientId], new HttpJsonWebKeySetSource(_http, Issuer), time);

    /// <summary>A password the pool's policy accepts: 24 characters from <see cref="RandomNumberGenerator"/>, with at
    /// least one upper-case letter, lower-case letter, digit and symbol.</summary>
    public static string GeneratePassword()
    {
        const string upper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
        const string lower = "abcdefghijkmnopqrstuvwxyz";
        const string digits = "23456789";
        // Symbols from Cognito's accepted set that need no quoting in a shell or JSON.
        const string symbols = "%+-.=@_~";
        const string all = upper + lower + digits + symbols;
        var password = new char[24];
        password[0] = upper[RandomNumberGenerator.GetInt32(upper.Length)];
        password[1] = lower[RandomNumberGenerator.GetInt32(lower.Length)];
        password[2] = digits[RandomNumberGenerator.GetInt32(digits.Length)];
        password[3] = symbols[RandomNumberGenerator.GetInt32(symbols.Length)];
        RandomNumberGenerator.GetItems(all, password.AsSpan(4));
        RandomNumberGenerator.Shuffle(password.AsSpan());
        return new string(password);
    }

    public void Dispose() => _http.Dispose();

    private static async Task<LocalCredentials> CreateUserAsync(CognitoAdminClient admin, string poolId, string email, bool isOperator, CancellationToken cancellationToken)
    {
        var password = GeneratePassword();
        var subject = await admin.AdminCreateUserAsync(poolId, email, cancellationToken);
        await admin.AdminSetUserPasswordAsync(poolId, email, password, cancellationToken);
        if (isOperator)
        {
            await admin.AdminAddUserToGroupAsync(poolId, email, OrderApiTopology.OperatorsGroup, cancellationToken);
        }

        return new LocalCredentials(email, password, isOperator, subject);
    }
}
