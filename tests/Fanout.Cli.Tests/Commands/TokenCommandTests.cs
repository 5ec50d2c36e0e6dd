using Fanout.AwsShims.Cognito;
using Fanout.Cli.Commands;
using Fanout.Cli.SignIn;
using Fanout.Cli.Tests.TestDoubles;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.Cli.Tests.Commands;

[Trait("Category", "Unit")]
public sealed class TokenCommandTests
{
    [Fact]
    public async Task WriteTokenAsync_SignedIn_WritesTheTokenAloneOnOneLineAndNotesTheRest()
    {
        var cognito = new FakeCognito { Passwords = { ["ada@example.com"] = "pw" } };
        using var http = new HttpClient(cognito);
        using var source = new CognitoAccessToken(new CognitoIdentityProviderClient(http, new Uri("http://cognito.test/")), "client", "ada@example.com", "pw", "the local demo customer", new FakeTimeProvider());
        using var stdout = new StringWriter { NewLine = "\n" };
        var notes = new List<string>();

        var exit = await TokenCommand.WriteTokenAsync(source, stdout, notes.Add, TestContext.Current.CancellationToken);

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("token-1\n", stdout.ToString());
        Assert.Equal(["Signed in as the local demo customer; it expires in 60m."], notes);
    }

    [Fact]
    public async Task WriteTokenAsync_WrongPassword_WritesNothingOnStdout()
    {
        var cognito = new FakeCognito { Passwords = { ["ada@example.com"] = "pw" } };
        using var http = new HttpClient(cognito);
        using var source = new CognitoAccessToken(new CognitoIdentityProviderClient(http, new Uri("http://cognito.test/")), "client", "ada@example.com", "bad", "the local demo customer", new FakeTimeProvider());
        using var stdout = new StringWriter();

        await Assert.ThrowsAsync<SignInException>(() => TokenCommand.WriteTokenAsync(source, stdout, _ => { }, TestContext.Current.CancellationToken));

        Assert.Equal("", stdout.ToString());
    }

    [Fact]
    public void Classify_SignInException_ExitsWithNotSignedIn()
    {
        var classified = CommandRunner.Classify(new SignInException("refused"));

        Assert.Equal(("refused", ExitCodes.NotSignedIn), classified);
        Assert.Equal(4, ExitCodes.NotSignedIn);
    }
}
