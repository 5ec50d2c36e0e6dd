using System.CommandLine.Parsing;

namespace Fanout.Cli.Commands;

/// <summary>Reads an option's value inside a validator without throwing on a token that does not convert.</summary>
internal static class OptionValues
{
    /// <summary>The value of <paramref name="result"/>, or null when its token does not convert to
    /// <typeparamref name="T"/>: System.CommandLine then reports that as a parse error of its own (exit code 2), so a
    /// range check has nothing to add.</summary>
    public static T? Parsed<T>(OptionResult result)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(result);
        try
        {
            return result.GetValueOrDefault<T>();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
