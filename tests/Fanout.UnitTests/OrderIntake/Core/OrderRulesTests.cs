using Fanout.Contracts.Orders;

namespace Fanout.UnitTests.OrderIntake.Core;

/// <summary>The shared field rules called directly, as the consumers' event checks call them: with values the HTTP
/// validator never passes (null). The rules' syntax is covered through <see cref="OrderRequestValidatorTests"/>.</summary>
[Trait("Category", "Unit")]
public sealed class OrderRulesTests
{
    [Fact]
    public void IsValid_Null_IsFalseForEveryTextRule()
    {
        Assert.False(OrderRules.IsValidEmail(null));
        Assert.False(OrderRules.IsValidPhone(null));
        Assert.False(OrderRules.IsValidSku(null));
        Assert.False(OrderRules.IsValidCustomerId(null));
    }

    [Theory]
    [InlineData("+1")]
    [InlineData("+44")]
    [InlineData("+353")]
    [InlineData("+999")]
    [InlineData("+9")]
    public void IsValidCallingCode_PlusAndOneToThreeDigitsNotStartingWithZero_IsTrue(string code)
    {
        Assert.True(OrderRules.IsValidCallingCode(code));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("+")]
    [InlineData("1")]
    [InlineData("44")]
    [InlineData("+0")]
    [InlineData("+01")]
    [InlineData("+1234")]
    [InlineData("+1a")]
    [InlineData("+4 4")]
    [InlineData("++1")]
    [InlineData("+١")]
    [InlineData("+1\n")]
    [InlineData("-1")]
    [InlineData("+/")]
    [InlineData("+:")]
    [InlineData("+1/")]
    [InlineData("+1:")]
    public void IsValidCallingCode_AnythingElse_IsFalse(string? code)
    {
        Assert.False(OrderRules.IsValidCallingCode(code));
    }

    [Theory]
    [InlineData("+14155550123", "+1", true)]
    [InlineData("+14155550123", "+44", false)]
    [InlineData("+447911123456", "+1,+44", true)]
    [InlineData("+447911123456", "+4", true)]
    [InlineData("+447911123456", "+447", true)]
    [InlineData("+447911123456", "+45", false)]
    [InlineData("+14155550123", "", false)]
    public void HasCallingCode_PhoneStartingWithAListedCode_IsTrue(string phone, string codes, bool expected)
    {
        IReadOnlyList<string> list = codes.Length == 0 ? [] : codes.Split(',');

        Assert.Equal(expected, OrderRules.HasCallingCode(phone, list));
    }

    [Fact]
    public void HasCallingCode_NullArgument_ThrowsNamingIt()
    {
        Assert.Equal("phone", Assert.Throws<ArgumentNullException>(() => OrderRules.HasCallingCode(null!, ["+1"])).ParamName);
        Assert.Equal("callingCodes", Assert.Throws<ArgumentNullException>(() => OrderRules.HasCallingCode("+1", null!)).ParamName);
    }
}
