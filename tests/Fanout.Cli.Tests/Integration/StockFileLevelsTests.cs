using Fanout.Cli.Api;
using Fanout.Cli.Commands;
using Fanout.Harness;

namespace Fanout.Cli.Tests.Integration;

/// <summary><c>fanout stock set --file</c> reads real files: all of it is checked before anything is written.</summary>
[Trait("Category", "Integration")]
public sealed class StockFileLevelsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fanout-cli-stock-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private FileInfo Write(string json)
    {
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return new FileInfo(path);
    }

    [Fact]
    public async Task LevelsAsync_RepositoryDemoFile_ReturnsEverySku()
    {
        var file = new FileInfo(Path.Combine(RepositoryLayout.FindRoot(), DemoCatalog.StockFile));

        var levels = await StockCommand.LevelsAsync(null, null, file, TestContext.Current.CancellationToken);

        // Compared with the file's own numbers, so re-tuning the demo stock does not break the test.
        using var demo = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(file.FullName, TestContext.Current.CancellationToken));
        var expected = demo.RootElement.GetProperty("stock").EnumerateObject().Select(p => (p.Name, p.Value.GetInt32())).ToList();
        Assert.Equal(expected.Count, levels.Count);
        Assert.All(expected, sku => Assert.Contains(sku, levels));
    }

    [Theory]
    [InlineData("{\"stock\":{\"MUG-WHITE\":1,\"mug\":2}}", "mug")]
    [InlineData("{\"stock\":{\"MUG-WHITE\":-1}}", "MUG-WHITE")]
    [InlineData("{\"stock\":{}}", "no SKUs")]
    [InlineData("{\"MUG-WHITE\":1}", "stock")]
    public async Task LevelsAsync_InvalidFile_IsAUsageErrorNamingTheProblem(string json, string expected)
    {
        var ex = await Assert.ThrowsAsync<UsageException>(() => StockCommand.LevelsAsync(null, null, Write(json), TestContext.Current.CancellationToken));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LevelsAsync_MissingFile_IsAUsageError()
    {
        await Assert.ThrowsAsync<UsageException>(() => StockCommand.LevelsAsync(null, null, new FileInfo(Path.Combine(_directory, "absent.json")), TestContext.Current.CancellationToken));
    }
}
