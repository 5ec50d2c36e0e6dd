using System.CommandLine;
using System.Globalization;
using Fanout.Cli.SignIn;
using Fanout.Cli.Targeting;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout token</c>: signs in and prints the access token alone, for
/// <c>curl -H "Authorization: Bearer $(scripts/fanout token)"</c>.</summary>
internal static class TokenCommand
{
    public static Command Create()
    {
        var target = TargetOptions.For(TargetNeeds.None);
        var signIn = SignInOptions.ForSignInOnly();
        var command = new Command("token", "Sign in (the local demo customer, --operator, or --user) and print the access token alone on stdout.");
        signIn.AddTo(command);
        target.AddTo(command);
        command.SetGuardedAction(async (parse, ct) =>
        {
            var resolved = await target.ResolveAsync(parse, ct);
            var source = await signIn.ResolveAsync(parse, resolved, ct);
            return await WriteTokenAsync(source, Console.Out, CliConsole.WriteNote, ct);
        });
        return command;
    }

    /// <summary>Signs in and writes the token and one newline to <paramref name="stdout"/>, nothing else;
    /// <paramref name="note"/> gets who signed in and for how long (stderr in the CLI).</summary>
    internal static async Task<int> WriteTokenAsync(IAccessTokenSource source, TextWriter stdout, Action<string> note, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(note);
        var token = await source.GetAsync(cancellationToken);
        await stdout.WriteLineAsync(token.AsMemory(), cancellationToken);
        await stdout.FlushAsync(cancellationToken);
        var lifetime = source is CognitoAccessToken cognito && cognito.Lifetime > TimeSpan.Zero
            ? string.Create(CultureInfo.InvariantCulture, $"; it expires in {Durations.Format(cognito.Lifetime)}")
            : "";
        note($"Signed in as {source.Description}{lifetime}.");
        return ExitCodes.Ok;
    }
}
