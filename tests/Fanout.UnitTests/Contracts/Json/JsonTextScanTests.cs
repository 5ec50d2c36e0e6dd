using System.Text.Json;
using Fanout.Contracts.Json;

namespace Fanout.UnitTests.Contracts.Json;

[Trait("Category", "Unit")]
public sealed class JsonTextScanTests
{
    [Fact]
    public void Find_WellFormedText_FindsNothing()
    {
        using var document = JsonDocument.Parse("""{"a":"x","b":[{"c":"y"}],"d":1}""");

        Assert.Empty(JsonTextScan.Find(document.RootElement, duplicates: true));
    }

    [Fact]
    public void Find_UnpairedSurrogates_NamesEachPlaceInDocumentOrder()
    {
        using var document = JsonDocument.Parse("""{"a":"\ud800","b":[{"\udc00x":1},"ok","\ud801"]}""");

        Assert.Equal(
            [
                new JsonTextFinding(JsonTextProblem.IllFormedString, "a"),
                new JsonTextFinding(JsonTextProblem.IllFormedName, "b[0]"),
                new JsonTextFinding(JsonTextProblem.IllFormedString, "b[2]"),
            ],
            JsonTextScan.Find(document.RootElement, duplicates: true));
    }

    [Fact]
    public void Find_RootStringIllFormed_HasTheEmptyPath()
    {
        using var document = JsonDocument.Parse("\"\\ud800\"");

        Assert.Equal([new JsonTextFinding(JsonTextProblem.IllFormedString, "")], JsonTextScan.Find(document.RootElement, duplicates: false));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Find_DuplicateNamesAfterUnescaping_ReportedOnlyWhenAsked(bool duplicates)
    {
        using var document = JsonDocument.Parse("""{"c":{"id":1,"\u0069d":2}}""", new JsonDocumentOptions { AllowDuplicateProperties = true });

        var findings = JsonTextScan.Find(document.RootElement, duplicates);

        Assert.Equal(duplicates ? [new JsonTextFinding(JsonTextProblem.DuplicateName, "c.id")] : [], findings);
    }
}
