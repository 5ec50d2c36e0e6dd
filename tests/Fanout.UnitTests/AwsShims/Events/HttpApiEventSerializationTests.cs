using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.AwsShims.Events;

[Trait("Category", "Unit")]
public sealed class HttpApiEventSerializationTests
{
    [Fact]
    public void Deserialize_AwsSampleRequest_ReadsEveryField()
    {
        var request = JsonSerializer.Deserialize(SampleEvents.Read(SampleEvents.HttpApi), AwsShimsJsonContext.Default.HttpApiRequest)!;

        AssertSample(request);
    }

    [Fact]
    public void Serialize_AwsSampleRequest_RoundTripsWithAwsFieldNames()
    {
        var original = JsonSerializer.Deserialize(SampleEvents.Read(SampleEvents.HttpApi), AwsShimsJsonContext.Default.HttpApiRequest)!;

        var json = JsonSerializer.Serialize(original, AwsShimsJsonContext.Default.HttpApiRequest);

        AssertSample(JsonSerializer.Deserialize(json, AwsShimsJsonContext.Default.HttpApiRequest)!);
        using var document = JsonDocument.Parse(json);
        var context = document.RootElement.GetProperty("requestContext");
        Assert.Equal(1583348638390, context.GetProperty("timeEpoch").GetInt64());
        Assert.Equal("192.0.2.1", context.GetProperty("http").GetProperty("sourceIp").GetString());
        Assert.False(document.RootElement.GetProperty("isBase64Encoded").GetBoolean());
    }

    [Theory]
    [InlineData("header1")]
    [InlineData("HEADER1")]
    [InlineData("Header1")]
    public void GetHeader_AnyCase_FindsTheHeader(string name)
    {
        var request = new HttpApiRequest { Headers = new Dictionary<string, string> { ["header1"] = "value1" } };

        Assert.Equal("value1", request.GetHeader(name));
    }

    [Fact]
    public void GetHeader_AbsentOrNoHeaders_ReturnsNull()
    {
        Assert.Null(new HttpApiRequest().GetHeader("content-type"));
        Assert.Null(new HttpApiRequest { Headers = new Dictionary<string, string> { ["a"] = "b" } }.GetHeader("content-type"));
    }

    [Fact]
    public void Serialize_Response_HasStatusCodeHeadersBodyAndIsBase64Encoded()
    {
        var response = new HttpApiResponse
        {
            StatusCode = 202,
            Headers = new Dictionary<string, string> { ["Content-Type"] = "application/json", ["Location"] = "/orders/1" },
            Body = "{\"orderId\":\"1\"}",
        };

        var json = JsonSerializer.Serialize(response, AwsShimsJsonContext.Default.HttpApiResponse);

        Assert.Equal(
            "{\"statusCode\":202,\"headers\":{\"Content-Type\":\"application/json\",\"Location\":\"/orders/1\"},\"body\":\"{\\u0022orderId\\u0022:\\u00221\\u0022}\",\"isBase64Encoded\":false}",
            json);
        using var document = JsonDocument.Parse(json);
        Assert.Equal("{\"orderId\":\"1\"}", document.RootElement.GetProperty("body").GetString());
    }

    [Fact]
    public void Serialize_ResponseWithoutBodyOrCookies_OmitsThem()
    {
        var json = JsonSerializer.Serialize(new HttpApiResponse { StatusCode = 204 }, AwsShimsJsonContext.Default.HttpApiResponse);

        Assert.Equal("{\"statusCode\":204,\"headers\":{},\"isBase64Encoded\":false}", json);
    }

    [Fact]
    public void Serialize_ResponseWithCookies_WritesThem()
    {
        var json = JsonSerializer.Serialize(new HttpApiResponse { StatusCode = 200, Cookies = ["a=1"] }, AwsShimsJsonContext.Default.HttpApiResponse);

        using var document = JsonDocument.Parse(json);
        Assert.Equal("a=1", document.RootElement.GetProperty("cookies")[0].GetString());
    }

    private static void AssertSample(HttpApiRequest request)
    {
        Assert.Equal("2.0", request.Version);
        Assert.Equal("$default", request.RouteKey);
        Assert.Equal("/my/path", request.RawPath);
        Assert.Equal("parameter1=value1&parameter1=value2&parameter2=value", request.RawQueryString);
        Assert.Equal(["cookie1", "cookie2"], request.Cookies!);
        Assert.Equal("value1", request.Headers!["header1"]);
        Assert.Equal("value1,value2", request.Headers!["header2"]);
        Assert.Equal("value1,value2", request.QueryStringParameters!["parameter1"]);
        Assert.Equal("value", request.QueryStringParameters!["parameter2"]);
        Assert.Equal("Hello from Lambda", request.Body);
        Assert.Equal("value1", request.PathParameters!["parameter1"]);
        Assert.False(request.IsBase64Encoded);
        Assert.Equal("value2", request.StageVariables!["stageVariable2"]);

        var context = request.RequestContext;
        Assert.Equal("123456789012", context.AccountId);
        Assert.Equal("api-id", context.ApiId);
        Assert.Equal("id.execute-api.us-east-1.amazonaws.com", context.DomainName);
        Assert.Equal("id", context.DomainPrefix);
        Assert.Equal("id", context.RequestId);
        Assert.Equal("$default", context.RouteKey);
        Assert.Equal("$default", context.Stage);
        Assert.Equal("12/Mar/2020:19:03:58 +0000", context.Time);
        Assert.Equal(1583348638390, context.TimeEpoch);
        Assert.Equal("POST", context.Http.Method);
        Assert.Equal("/my/path", context.Http.Path);
        Assert.Equal("HTTP/1.1", context.Http.Protocol);
        Assert.Equal("192.0.2.1", context.Http.SourceIp);
        Assert.Equal("agent", context.Http.UserAgent);
    }
}
