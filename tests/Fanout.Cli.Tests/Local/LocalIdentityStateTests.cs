using Fanout.Cli.Local;
using Fanout.Harness.Identity;

namespace Fanout.Cli.Tests.Local;

/// <summary>The local sign-in's secrets: generated passwords that meet the pool's policy, kept out of
/// <c>ToString</c>, and written only to an owner-only state file.</summary>
[Trait("Category", "Unit")]
public sealed class LocalIdentityStateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fanout-state-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void GeneratePassword_Always_MeetsThePoolPolicyWithEveryCharacterClass()
    {
        for (var i = 0; i < 200; i++)
        {
            var password = LocalUserPool.GeneratePassword();

            Assert.Equal(24, password.Length);
            Assert.True(password.Length >= LocalUserPool.PasswordPolicy.MinimumLength);
            Assert.Contains(password, char.IsAsciiLetterUpper);
            Assert.Contains(password, char.IsAsciiLetterLower);
            Assert.Contains(password, char.IsAsciiDigit);
            Assert.Contains(password, c => "%+-.=@_~".Contains(c, StringComparison.Ordinal));
            Assert.All(password, c => Assert.True(char.IsAsciiLetterOrDigit(c) || "%+-.=@_~".Contains(c, StringComparison.Ordinal)));
        }
    }

    [Fact]
    public void GeneratePassword_TwoCalls_Differ()
    {
        Assert.NotEqual(LocalUserPool.GeneratePassword(), LocalUserPool.GeneratePassword());
    }

    [Fact]
    public void LocalCredentials_ToString_ShowsNeitherAddressNorPassword()
    {
        var customer = new LocalCredentials("ada@example.com", "Secret-Pa55word", isOperator: false, "sub-1");
        var @operator = new LocalCredentials("op@example.com", "Secret-Pa55word", isOperator: true, "sub-2");

        Assert.Equal("customer credentials", customer.ToString());
        Assert.Equal("operator credentials", @operator.ToString());
    }

    [Theory]
    [InlineData("http://127.0.0.1:41234/", "http://127.0.0.1:41234/local_AbCd")]
    [InlineData("http://127.0.0.1:41234", "http://127.0.0.1:41234/local_AbCd")]
    public void IssuerOf_Endpoint_IsItsOriginFollowedByThePoolId(string endpoint, string issuer)
    {
        Assert.Equal(issuer, LocalUserPool.IssuerOf(new Uri(endpoint), "local_AbCd"));
    }

    [Fact]
    public void Write_OnUnix_TheStateFileIsOwnerOnlyAndKeepsTheIdentity()
    {
        var path = Path.Combine(_dir, ".local", "fanout-up.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path + ".tmp", "left over");
        var state = new LocalState
        {
            Pid = 42,
            Identity = new LocalIdentity
            {
                Endpoint = "http://127.0.0.1:41234/",
                UserPoolId = "local_AbCd",
                ClientId = "client",
                Issuer = "http://127.0.0.1:41234/local_AbCd",
                Users = new Dictionary<string, LocalUser> { ["customer"] = new() { Email = LocalUserPool.CustomerEmail, Password = "Pw-1234567890ab" } },
            },
        };

        state.Write(path);

        var read = LocalState.TryRead(path);
        Assert.Equal("Pw-1234567890ab", read!.Identity!.Users["customer"].Password);
        Assert.Equal("local_AbCd", read.Identity.UserPoolId);
        Assert.Null(read.SecretAccessKey);
        Assert.DoesNotContain("secretAccessKey", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.False(File.Exists(path + ".tmp"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }
}
