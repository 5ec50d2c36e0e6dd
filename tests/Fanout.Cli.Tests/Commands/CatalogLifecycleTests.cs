using System.CommandLine;
using Fanout.Cli.Commands;

namespace Fanout.Cli.Tests.Commands;

[Trait("Category", "Unit")]
public sealed class CatalogLifecycleTests
{
    private static Command Command(string name) => CommandCatalog.All().Single(c => c.Name == name);

    [Fact]
    public void Cancel_OrderIdWaitAndTimeout_ParseWithoutErrors()
    {
        var parse = Command("cancel").Parse(["0192f2e4-7c1a-7000-8000-000000000001", "--wait", "--timeout", "30s"]);

        Assert.Empty(parse.Errors);
        Assert.Equal(["orderId"], Command("cancel").Arguments.Select(a => a.Name));
    }

    [Fact]
    public void Cancel_NoOrderId_IsAParseError()
    {
        Assert.NotEmpty(Command("cancel").Parse([]).Errors);
    }

    [Fact]
    public void Messages_TakesJsonTheTwoTablesAndStackButNoSignIn()
    {
        var command = Command("messages");
        var options = command.Options.Select(o => o.Name).ToHashSet();

        Assert.Superset(new HashSet<string> { "--json", "--sms-table", "--email-table", "--stack", "--region" }, options);
        Assert.DoesNotContain("--token", options);
        Assert.Empty(command.Parse(["o-1", "--json", "--sms-table", "a", "--email-table", "b"]).Errors);
    }

    [Fact]
    public void Catalog_ListsCancelAndMessagesAfterStatus()
    {
        var names = CommandCatalog.All().Select(c => c.Name).ToList();

        Assert.Equal(names.IndexOf("status") + 1, names.IndexOf("cancel"));
        Assert.Equal(names.IndexOf("status") + 2, names.IndexOf("messages"));
    }
}
