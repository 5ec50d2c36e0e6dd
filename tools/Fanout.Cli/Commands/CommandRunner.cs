using System.CommandLine;
using System.Runtime.InteropServices;
using Amazon.Runtime;
using Fanout.AwsShims.Signing;
using Fanout.Cli.SignIn;
using Fanout.Cli.Targeting;

namespace Fanout.Cli.Commands;

/// <summary>Raised for input the parser could not check (e.g. options that go together).</summary>
internal sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Turns failures into one clear line on stderr and an exit code, instead of a stack trace.</summary>
internal static class CommandRunner
{
    public static void SetGuardedAction(this Command command, Func<ParseResult, CancellationToken, Task<int>> action)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(action);
        command.SetAction(async (parse, invocationToken) =>
        {
            // Our own signal handling rather than only System.CommandLine's: its handler ends the process with 130/143
            // straight away here, so `load` could not print the partial summary nor `dlq redrive` hand messages back.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(invocationToken);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            var cancellationToken = stop.Token;
            try
            {
                return await action(parse, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                CliConsole.WriteNote("Cancelled.");
                return ExitCodes.Cancelled;
            }
            catch (Exception ex) when (Classify(ex) is { } exit)
            {
                CliConsole.WriteError(exit.Message);
                return exit.Code;
            }

            void Stop(PosixSignalContext context)
            {
                // Keep the process alive: cancellation lets the command finish cleanly and report.
                context.Cancel = true;
                stop.Cancel();
            }
        });
    }

    /// <summary>The message and exit code for an expected failure; null lets anything else surface as a crash with
    /// its stack trace, which is a bug to fix rather than an answer to format.</summary>
    internal static (string Message, int Code)? Classify(Exception ex) => ex switch
    {
        TargetResolutionException or UsageException or FormatException => (ex.Message, ExitCodes.Usage),
        SignInException => (ex.Message, ExitCodes.NotSignedIn),
        NotSupportedException => (ex.Message, ExitCodes.Failed),
        HttpRequestException http => (
            "Cannot reach the API: " + http.Message + (http.InnerException is { } inner && !http.Message.Contains(inner.Message, StringComparison.Ordinal) ? " (" + inner.Message + ")" : "")
            + ". Is `fanout up` running? Otherwise pass --api-url or --stack.",
            ExitCodes.Unavailable),
        TaskCanceledException => ("The request timed out.", ExitCodes.Unavailable),
        AmazonServiceException aws => ($"AWS answered {aws.ErrorCode ?? ((int)aws.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)}: {aws.Message}", ExitCodes.Unavailable),
        AwsServiceException shim => (shim.Message, ExitCodes.Unavailable),
        // Raised by the SDK itself: no region or credentials, or an endpoint that does not answer.
        AmazonClientException client => ("AWS client error: " + client.Message + " (pass --stack/--region, or start `fanout up`).", ExitCodes.Unavailable),
        IOException io => (io.Message, ExitCodes.Usage),
        _ => null,
    };
}
