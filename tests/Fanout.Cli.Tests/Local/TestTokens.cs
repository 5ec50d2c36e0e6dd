using System.Security.Cryptography;
using Fanout.Harness.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Fanout.Cli.Tests.Local;

/// <summary>Mints RS256 access tokens shaped like Cognito's with IdentityModel, and serves their JWKS from memory,
/// so the authorizer's decisions are tested without a network.</summary>
internal sealed class TestTokens : IDisposable
{
    public const string Issuer = "http://127.0.0.1:9229/local_Pool1";
    public const string ClientId = "shopclient";
    public const string Kid = "CognitoLocal";
    public static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private readonly RSA _rsa = RSA.Create(2048);

    public TestTokens()
    {
        Key = new RsaSecurityKey(_rsa) { KeyId = Kid };
        Keys = new MemoryKeySource(JwksOf(Key));
    }

    public RsaSecurityKey Key { get; }

    public MemoryKeySource Keys { get; }

    public static long NowSeconds => Now.ToUnixTimeSeconds();

    /// <summary>The claims of a cognito-local access token for the shop's client, issued now, valid an hour.</summary>
    public static Dictionary<string, object> AccessClaims() => new()
    {
        ["sub"] = "5b1c1b52-0c1e-4a55-9a8e-1f2f7b9e0c11",
        ["client_id"] = ClientId,
        ["iss"] = Issuer,
        ["scope"] = "aws.cognito.signin.user.admin",
        ["token_use"] = "access",
        ["username"] = "customer@fanout.local",
        ["iat"] = NowSeconds,
        ["auth_time"] = NowSeconds,
        ["exp"] = NowSeconds + 3600,
    };

    public static JsonWebKeySet JwksOf(RsaSecurityKey key)
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(key);
        jwk.Alg = SecurityAlgorithms.RsaSha256;
        jwk.Use = "sig";
        var set = new JsonWebKeySet();
        set.Keys.Add(jwk);
        return set;
    }

    public string Mint(Dictionary<string, object> claims, SecurityKey? signingKey = null, string algorithm = SecurityAlgorithms.RsaSha256)
    {
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            SigningCredentials = new SigningCredentials(signingKey ?? Key, algorithm),
        });
    }

    public string Mint(Action<Dictionary<string, object>> change)
    {
        var claims = AccessClaims();
        change(claims);
        return Mint(claims);
    }

    public JwtAuthorizer Authorizer(TimeProvider? time = null) =>
        new(Issuer, [ClientId], Keys, time ?? new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now));

    public void Dispose() => _rsa.Dispose();

    /// <summary>Serves a JWKS from memory and counts the fetches; <see cref="Next"/> replaces it for later fetches.</summary>
    internal sealed class MemoryKeySource(JsonWebKeySet initial) : IJsonWebKeySetSource
    {
        public JsonWebKeySet Next { get; set; } = initial;

        public int Fetches { get; private set; }

        public bool Fail { get; set; }

        public Task<JsonWebKeySet> FetchAsync(CancellationToken cancellationToken)
        {
            Fetches++;
            return Fail ? throw new HttpRequestException("no JWKS") : Task.FromResult(Next);
        }
    }
}
