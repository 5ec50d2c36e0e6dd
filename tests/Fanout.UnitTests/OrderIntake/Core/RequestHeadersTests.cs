using Fanout.OrderIntake.Core;

namespace Fanout.UnitTests.OrderIntake.Core;

[Trait("Category", "Unit")]
public sealed class RequestHeadersTests
{
    [Theory]
    [InlineData("8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324")]
    [InlineData("\"8e03978e-40d5-43e8-bc93-6894a57f9324\"", "8e03978e-40d5-43e8-bc93-6894a57f9324")]
    [InlineData("  \"key-1\"\t", "key-1")]
    [InlineData("\tkey-1 ", "key-1")]
    [InlineData("a", "a")]
    [InlineData("\"a\"", "a")]
    [InlineData("A.b_c:d-9", "A.b_c:d-9")]
    public void ParseIdempotencyKey_BareOrSfString_GivesTheSameKey(string raw, string expected)
    {
        var parsed = RequestHeaders.ParseIdempotencyKey(raw);

        Assert.True(parsed.IsValid);
        Assert.Null(parsed.Error);
        Assert.Equal(expected, parsed.Key);
    }

    [Fact]
    public void ParseIdempotencyKey_Absent_IsValidWithoutAKey()
    {
        var parsed = RequestHeaders.ParseIdempotencyKey(null);

        Assert.Same(IdempotencyKeyHeader.Absent, parsed);
        Assert.True(parsed.IsValid);
        Assert.Null(parsed.Key);
    }

    [Theory]
    [InlineData("\"key-1", "quoted string")]
    [InlineData("\"key-1\"x", "quoted string")]
    [InlineData("\"key-1\";p=1", "quoted string")]
    [InlineData("\"a\\qb\"", "quoted string")]
    [InlineData("\"ab\\", "quoted string")]
    [InlineData("\"a\tb\"", "quoted string")]
    [InlineData("\"a\u007fb\"", "quoted string")]
    [InlineData("\"é\"", "quoted string")]
    [InlineData("\"a~b\"", "bare or in double quotes")]
    [InlineData("\"a\\\\b\"", "bare or in double quotes")]
    [InlineData("\"a\\\"b\"", "bare or in double quotes")]
    [InlineData("\"\"", "bare or in double quotes")]
    [InlineData("\"has space\"", "bare or in double quotes")]
    [InlineData("", "bare or in double quotes")]
    [InlineData("key-1,key-1", "bare or in double quotes")]
    [InlineData("key\n", "bare or in double quotes")]
    [InlineData("a\"", "bare or in double quotes")]
    public void ParseIdempotencyKey_Malformed_IsInvalidWithAReason(string raw, string reason)
    {
        var parsed = RequestHeaders.ParseIdempotencyKey(raw);

        Assert.False(parsed.IsValid);
        Assert.Null(parsed.Key);
        Assert.Contains(reason, parsed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseIdempotencyKey_QuotedKeyOf128_IsValidAnd129IsNot()
    {
        Assert.Equal(new string('k', 128), RequestHeaders.ParseIdempotencyKey("\"" + new string('k', 128) + "\"").Key);
        Assert.False(RequestHeaders.ParseIdempotencyKey("\"" + new string('k', 129) + "\"").IsValid);
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("Zz09._:-", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("a b", false)]
    [InlineData("a/b", false)]
    [InlineData("a,b", false)]
    [InlineData("a\n", false)]
    [InlineData("é", false)]
    [InlineData("٣", false)]
    public void IsToken_Characters(string? value, bool expected)
    {
        Assert.Equal(expected, RequestHeaders.IsToken(value));
    }

    [Fact]
    public void IsToken_Length_Accepts128Rejects129()
    {
        Assert.True(RequestHeaders.IsToken(new string('t', RequestHeaders.MaxTokenLength)));
        Assert.False(RequestHeaders.IsToken(new string('t', RequestHeaders.MaxTokenLength + 1)));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("corr-1", null)]
    [InlineData("", "empty")]
    [InlineData("corr-a,corr-b", "sent more than once (values joined with commas)")]
    [InlineData("a b", "holds characters other than letters, digits, '.', '_', ':' or '-'")]
    public void CorrelationIdProblem_Value_GivesTheReasonOrNull(string? raw, string? expected)
    {
        Assert.Equal(expected, RequestHeaders.CorrelationIdProblem(raw));
    }

    [Fact]
    public void CorrelationIdProblem_TooLong_SaysHowLong()
    {
        Assert.Null(RequestHeaders.CorrelationIdProblem(new string('c', 128)));
        Assert.Equal("longer than 128 characters (129)", RequestHeaders.CorrelationIdProblem(new string('c', 129)));
        Assert.Equal("holds characters other than letters, digits, '.', '_', ':' or '-'", RequestHeaders.CorrelationIdProblem(new string('c', 127) + " "));
    }
}
