using Amazon.CDK;
using Amazon.CDK.AWS.Cognito;
using Constructs;
using Fanout.Contracts.Topology;

namespace Fanout.Infra.Constructs;

public sealed class ShopSignInProps
{
    /// <summary>Delete the user pool with the stack (dev stacks) instead of retaining it, as for the tables.</summary>
    public required bool Destroy { get; init; }
}

/// <summary>The shop's own token issuer: an Amazon Cognito user pool whose users sign in with their e-mail address,
/// the shop front-end's app client (a public client: no secret), and the <c>operators</c> group. The order API's
/// JWT authorizer trusts <see cref="Issuer"/> for <see cref="Audience"/>.
/// Invite-only: users are created by an administrator (AdminCreateUser), not by signing themselves up.</summary>
public sealed class ShopSignIn : Construct
{
    /// <summary>Cognito's shortest allowed temporary-password lifetime is 1 day, its default 7; an invitation is
    /// acted on within days or re-sent.</summary>
    internal const int TemporaryPasswordValidityDays = 3;

    internal const int MinimumPasswordLength = 12;

    /// <summary>How long a refresh token keeps a shopper signed in without typing the password again.</summary>
    internal const int RefreshTokenValidityDays = 30;

    public ShopSignIn(Construct scope, string id, ShopSignInProps props)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(props);
        var stack = Stack.Of(this);

        UserPool = new UserPool(this, "UserPool", new UserPoolProps
        {
            UserPoolName = stack.StackName + "-shop",
            // The e-mail address is the username; case-insensitive so "Ada@Example.com" is the same account.
            SignInAliases = new SignInAliases { Email = true },
            SignInCaseSensitive = false,
            // A shop that lets anyone register would let anyone order; an administrator invites users instead.
            SelfSignUpEnabled = false,
            AutoVerify = new AutoVerifiedAttrs { Email = true },
            StandardAttributes = new StandardAttributes
            {
                Email = new StandardAttribute { Required = true, Mutable = true },
            },
            // A changed address takes effect only once verified, so a hijacked session cannot redirect recovery mail.
            KeepOriginal = new KeepOriginalAttrs { Email = true },
            PasswordPolicy = new PasswordPolicy
            {
                MinLength = MinimumPasswordLength,
                RequireLowercase = true,
                RequireUppercase = true,
                RequireDigits = true,
                RequireSymbols = true,
                TempPasswordValidity = Duration.Days(TemporaryPasswordValidityDays),
            },
            // Phone numbers are order data, not a recovery channel: no SMS codes, so no SMS role or SMS spend.
            AccountRecovery = AccountRecovery.EMAIL_ONLY,
            Mfa = Mfa.OPTIONAL,
            MfaSecondFactor = new MfaSecondFactor { Otp = true, Sms = false },
            EnableSmsRole = false,
            // The pool holds the shop's customers and their passwords: kept like the tables unless destroyTables.
            RemovalPolicy = props.Destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
            DeletionProtection = !props.Destroy,
        });

        Client = UserPool.AddClient("ShopClient", new UserPoolClientOptions
        {
            UserPoolClientName = stack.StackName + "-shop-front-end",
            // A browser or mobile front-end cannot keep a secret (RFC 6749 §2.1: a public client).
            GenerateSecret = false,
            // SRP keeps the password off the wire; USER_PASSWORD_AUTH is for the CLI and scripts over TLS.
            // CDK adds ALLOW_REFRESH_TOKEN_AUTH to any explicit flow list.
            AuthFlows = new AuthFlow { UserSrp = true, UserPassword = true },
            // No hosted UI or OAuth redirects: tokens come from InitiateAuth, so no callback URL to hijack.
            DisableOAuth = true,
            AccessTokenValidity = Duration.Minutes(OrderApiTopology.AccessTokenValidityMinutes),
            IdTokenValidity = Duration.Minutes(OrderApiTopology.AccessTokenValidityMinutes),
            RefreshTokenValidity = Duration.Days(RefreshTokenValidityDays),
            EnableTokenRevocation = true,
            // Sign-in and recovery answer alike for unknown and known addresses, so the API is no account oracle.
            PreventUserExistenceErrors = true,
        });

        OperatorsGroup = new CfnUserPoolGroup(this, "OperatorsGroup", new CfnUserPoolGroupProps
        {
            UserPoolId = UserPool.UserPoolId,
            GroupName = OrderApiTopology.OperatorsGroup,
            Description = "Shop staff: may place and read orders for any customer (the cognito:groups claim).",
        });

        // Cognito's issuer identifier (AWS: "Verifying a JSON web token", the iss claim); URLSuffix keeps it right in aws-cn.
        Issuer = $"https://cognito-idp.{stack.Region}.{stack.UrlSuffix}/{UserPool.UserPoolId}";
    }

    public UserPool UserPool { get; }

    public UserPoolClient Client { get; }

    public CfnUserPoolGroup OperatorsGroup { get; }

    /// <summary>The pool's token issuer, <c>https://cognito-idp.&lt;region&gt;.amazonaws.com/&lt;poolId&gt;</c>: the
    /// <c>iss</c> claim of its tokens.</summary>
    public string Issuer { get; }

    /// <summary>The audiences the authorizer accepts: the app client id, which Cognito access tokens carry as
    /// <c>client_id</c> (they have no <c>aud</c>).</summary>
    public IReadOnlyList<string> Audience => [Client.UserPoolClientId];
}
