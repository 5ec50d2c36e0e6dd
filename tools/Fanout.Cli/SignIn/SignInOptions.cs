using System.CommandLine;
using Fanout.Cli.Commands;
using Fanout.Cli.Targeting;
using Spectre.Console;

namespace Fanout.Cli.SignIn;

/// <summary>The "who calls the API" options (<c>--token</c>, <c>--user</c>, <c>--operator</c>), added to every command
/// that calls the order API and turned into an <see cref="IAccessTokenSource"/>.</summary>
internal sealed class SignInOptions
{
    private SignInOptions(bool acceptsToken)
    {
        if (acceptsToken)
        {
            Token = new Option<string?>("--token")
            {
                Description = $"An access token to send as is (default: {SignInResolver.TokenVariable}); otherwise the command signs in by itself",
                HelpName = "jwt",
            };
        }

        User = new Option<string?>("--user")
        {
            Description = $"Sign in as this e-mail: a local demo user, or with --stack a user of the stack's pool (password from {SignInResolver.PasswordVariable} or a prompt)",
            HelpName = "email",
        };
        Operator = new Option<bool>("--operator") { Description = "Sign in as the local demo operator (default: the local demo customer)" };
    }

    public Option<string?>? Token { get; }

    public Option<string?> User { get; }

    public Option<bool> Operator { get; }

    /// <summary>For commands that call the API: a token, or who to sign in as.</summary>
    public static SignInOptions ForApiCalls() => new(acceptsToken: true);

    /// <summary>For <c>fanout token</c>, which always signs in (a given token would make it pointless).</summary>
    public static SignInOptions ForSignInOnly() => new(acceptsToken: false);

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (Token is not null)
        {
            command.Options.Add(Token);
        }

        command.Options.Add(User);
        command.Options.Add(Operator);
    }

    /// <param name="environment">Where <c>FANOUT_TOKEN</c> is read; defaults to the process environment.</param>
    public SignInRequest ToRequest(ParseResult parse, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var user = parse.GetValue(User);
        var asOperator = parse.GetValue(Operator);
        var token = Token is null ? null : parse.GetValue(Token);
        if (!string.IsNullOrWhiteSpace(token) && (!string.IsNullOrWhiteSpace(user) || asOperator))
        {
            throw new UsageException("--token and --user/--operator exclude each other: a given token already says who calls.");
        }

        // The environment's token is a default, so an explicit --user or --operator still signs in.
        if (Token is not null && string.IsNullOrWhiteSpace(token) && string.IsNullOrWhiteSpace(user) && !asOperator)
        {
            token = (environment ?? Environment.GetEnvironmentVariable)(SignInResolver.TokenVariable);
        }

        return new SignInRequest { Token = string.IsNullOrWhiteSpace(token) ? null : token, User = user, Operator = asOperator };
    }

    /// <summary>Resolves with the real sources: CloudFormation for --stack, the repository's state file for
    /// <c>fanout up</c>, and a hidden prompt on stderr when a person is at the terminal.</summary>
    public async Task<IAccessTokenSource> ResolveAsync(ParseResult parse, ResolvedTarget target, CancellationToken cancellationToken)
    {
        var resolver = new SignInResolver(
            new CloudFormationStackOutputs(CliHttp.Shared, TimeProvider.System),
            LocalUpStateFile.ForCurrentRepository(),
            CliHttp.Shared,
            TimeProvider.System,
            promptPassword: CanPrompt() ? PromptPassword : null);
        return await resolver.ResolveAsync(ToRequest(parse), target, cancellationToken);
    }

    private static bool CanPrompt() => !Console.IsInputRedirected && CliConsole.IsInteractive(CliConsole.Error);

    // On stderr, so `$(fanout token)` still captures the token alone.
    private static string PromptPassword(string question) =>
        CliConsole.Error.Prompt(new TextPrompt<string>(Markup.Escape(question)).Secret().AllowEmpty());
}
