using System.Text.Json;
using Fanout.OrderIntake.Core;

namespace Fanout.UnitTests.OrderIntake.Core;

[Trait("Category", "Unit")]
public sealed class ApiModelsTests
{
    [Fact]
    public void ProblemDetails_OnlyStatusSet_SerializesAsAnAboutBlankProblemWithoutOptionalMembers()
    {
        // RFC 9457 section 4.2.1: "about:blank" says the problem means no more than its HTTP status.
        var json = JsonSerializer.Serialize(new ProblemDetails { Status = 404 }, OrderIntakeJsonContext.Default.ProblemDetails);

        Assert.Equal("{\"type\":\"about:blank\",\"title\":\"\",\"status\":404}", json);
    }

    [Fact]
    public void OrderAccepted_Defaults_SerializeAsAcceptedWithAnEmptyId()
    {
        var json = JsonSerializer.Serialize(new OrderAccepted(), OrderIntakeJsonContext.Default.OrderAccepted);

        Assert.Equal("{\"orderId\":\"\",\"status\":\"ACCEPTED\"}", json);
    }

    [Fact]
    public void OrderView_Defaults_SerializeEveryTextMemberAsAnEmptyStringNeverNull()
    {
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(new OrderView(), OrderIntakeJsonContext.Default.OrderView));
        var root = document.RootElement;

        Assert.Equal("", root.GetProperty("orderId").GetString());
        Assert.Equal("", root.GetProperty("status").GetString());
        Assert.Equal("", root.GetProperty("correlationId").GetString());
        Assert.Equal(0, root.GetProperty("items").GetArrayLength());
        Assert.Equal(JsonValueKind.Object, root.GetProperty("services").ValueKind);
    }
}
