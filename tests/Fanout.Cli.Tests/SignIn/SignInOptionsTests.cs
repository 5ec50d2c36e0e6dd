using System.CommandLine;
using Fanout.Cli.Commands;
using Fanout.Cli.SignIn;

namespace Fanout.Cli.Tests.SignIn;

[Trait("Category", "Unit")]
public sealed class SignInOptionsTests
{
    private static SignInRequest Parse(string arguments, string? environmentToken = null, bool acceptsToken = true)
    {
        var options = acceptsToken ? SignInOptions.ForApiCalls() : SignInOptions.ForSignInOnly();
        var command = new Command("order");
        options.AddTo(command);
        var parse = command.Parse(arguments);
        Assert.Empty(parse.Errors);
        return options.ToRequest(parse, name => name == SignInResolver.TokenVariable ? environmentToken : null);
    }

    [Fact]
    public void ToRequest_NoOptions_SignsInAsTheDefaultUser()
    {
        var request = Parse("");

        Assert.Equal(new SignInRequest(), request);
    }

    [Fact]
    public void ToRequest_TokenOption_IsTaken()
    {
        Assert.Equal("eyJ.a.b", Parse("--token eyJ.a.b", environmentToken: "eyJ.env.token").Token);
    }

    [Fact]
    public void ToRequest_TokenVariable_IsTheDefault()
    {
        Assert.Equal("eyJ.env.token", Parse("", environmentToken: "eyJ.env.token").Token);
    }

    [Theory]
    [InlineData("--user ada@example.com")]
    [InlineData("--operator")]
    public void ToRequest_UserOrOperatorWithTokenVariable_SignsInInstead(string arguments)
    {
        var request = Parse(arguments, environmentToken: "eyJ.env.token");

        Assert.Null(request.Token);
    }

    [Fact]
    public void ToRequest_UserAndOperator_AreRead()
    {
        var request = Parse("--user ada@example.com --operator");

        Assert.Equal("ada@example.com", request.User);
        Assert.True(request.Operator);
    }

    [Theory]
    [InlineData("--token eyJ.a.b --user ada@example.com")]
    [InlineData("--token eyJ.a.b --operator")]
    public void ToRequest_TokenWithUserOrOperator_IsAUsageError(string arguments)
    {
        var options = SignInOptions.ForApiCalls();
        var command = new Command("order");
        options.AddTo(command);

        var error = Assert.Throws<UsageException>(() => options.ToRequest(command.Parse(arguments), _ => null));

        Assert.Equal("--token and --user/--operator exclude each other: a given token already says who calls.", error.Message);
    }

    [Fact]
    public void ForSignInOnly_HasNoTokenOptionAndIgnoresTheTokenVariable()
    {
        var options = SignInOptions.ForSignInOnly();
        var command = new Command("token");
        options.AddTo(command);

        Assert.Null(options.Token);
        Assert.Equal(["--user", "--operator"], command.Options.Select(o => o.Name));
        Assert.Null(Parse("", environmentToken: "eyJ.env.token", acceptsToken: false).Token);
    }

    [Fact]
    public void Catalog_EveryCommandThatCallsTheApi_TakesTokenUserAndOperator()
    {
        var commands = CommandCatalog.All().ToDictionary(c => c.Name);

        foreach (var name in new[] { "order", "load", "status", "cancel" })
        {
            var options = commands[name].Options.Select(o => o.Name).ToHashSet();
            Assert.Superset(new HashSet<string> { "--token", "--user", "--operator" }, options);
        }

        Assert.Superset(new HashSet<string> { "--user", "--operator", "--stack", "--region" }, commands["token"].Options.Select(o => o.Name).ToHashSet());
        Assert.DoesNotContain("--token", commands["token"].Options.Select(o => o.Name));
    }
}
