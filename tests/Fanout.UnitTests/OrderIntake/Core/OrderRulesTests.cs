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
}
