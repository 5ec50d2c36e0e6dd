using Spectre.Console;

namespace Fanout.Cli.Commands;

/// <summary>The two consoles: results on stdout (so they can be piped), progress and errors on stderr.</summary>
internal static class CliConsole
{
    // Spectre assumes 80 columns when output is redirected; tables and long lines would then wrap mid-word in logs.
    private const int RedirectedWidth = 200;

    private static readonly Lazy<IAnsiConsole> _lazyOut = new(() => Configure(AnsiConsole.Console, Console.IsOutputRedirected));

    private static readonly Lazy<IAnsiConsole> _lazyError = new(() =>
        Configure(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }), Console.IsErrorRedirected));

    public static IAnsiConsole Out => _lazyOut.Value;

    public static IAnsiConsole Error => _lazyError.Value;

    /// <summary>Whether live widgets (progress bars, live tables) can redraw in place; false when piped or in CI.</summary>
    public static bool IsInteractive(IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        return console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi;
    }

    public static void WriteError(string message) => Line("[red]error:[/] ", "error: ", message);

    public static void WriteWarning(string message) => Line("[yellow]warning:[/] ", "warning: ", message);

    public static void WriteNote(string message) => Line("[grey]", "", message, "[/]");

    private static void Line(string markupPrefix, string plainPrefix, string message, string markupSuffix = "")
    {
        if (Console.IsErrorRedirected)
        {
            // Logs get one unwrapped, uncoloured line per message.
            Console.Error.WriteLine(plainPrefix + message);
        }
        else
        {
            Error.MarkupLine(markupPrefix + Markup.Escape(message) + markupSuffix);
        }
    }

    private static IAnsiConsole Configure(IAnsiConsole console, bool redirected)
    {
        if (redirected)
        {
            console.Profile.Width = RedirectedWidth;
        }

        return console;
    }
}
