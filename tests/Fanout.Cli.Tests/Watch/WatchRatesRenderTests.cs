using Fanout.Cli.Commands;
using Fanout.Cli.Watch;
using Spectre.Console;

namespace Fanout.Cli.Tests.Watch;

[Trait("Category", "Unit")]
public sealed class WatchRatesRenderTests
{
    [Fact]
    public void RenderRates_Services_ShowsRatePercentilesAndRetries()
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(text) });
        console.Profile.Width = 200;

        console.Write(WatchCommand.RenderRates([new ServiceRates("sms", 120, 2, 3, 41.5, 5, 80, 7), new ServiceRates("email", 0, 0, null, null, null, null, 0)], TimeSpan.FromSeconds(60)));

        var lines = text.ToString().Split('\n');
        var sms = Assert.Single(lines, l => l.Contains("sms", StringComparison.Ordinal));
        Assert.Matches(@"sms\s*│\s*2\.0\s*│\s*3 ms\s*│\s*41\.5 ms\s*│\s*5 ms\s*│\s*80 ms\s*│\s*7", sms);
        Assert.Matches(@"email\s*│\s*0\.0\s*│\s*-\s*│", Assert.Single(lines, l => l.Contains("email", StringComparison.Ordinal)));
        Assert.Contains("last 60s", text.ToString(), StringComparison.Ordinal);
    }
}
