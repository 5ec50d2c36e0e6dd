using Fanout.OrderIntake.Core;

namespace Fanout.UnitTests.OrderIntake.Core;

[Trait("Category", "Unit")]
public sealed class CallerTests
{
    [Fact]
    public void FromClaims_NoClaims_IsNobody()
    {
        Assert.Null(Caller.FromClaims(null));
        Assert.Null(Caller.FromClaims(new Dictionary<string, string>()));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t")]
    public void FromClaims_BlankSub_IsNobody(string subject)
    {
        Assert.Null(Caller.FromClaims(new Dictionary<string, string> { ["sub"] = subject, ["cognito:groups"] = "[operators]" }));
    }

    [Fact]
    public void FromClaims_GroupsButNoSub_IsNobody()
    {
        Assert.Null(Caller.FromClaims(new Dictionary<string, string> { ["username"] = "ada", ["cognito:groups"] = "[operators]" }));
    }

    [Fact]
    public void FromClaims_SubWithoutGroups_IsThatCustomerAndNoOperator()
    {
        Assert.Equal(new Caller("cust-42", false), Caller.FromClaims(new Dictionary<string, string> { ["sub"] = "cust-42", ["client_id"] = "shop" }));
    }

    [Theory]
    [InlineData("[operators]", true)]
    [InlineData("[support operators]", true)]
    [InlineData("[operators support]", true)]
    [InlineData("operators", true)]
    [InlineData("[]", false)]
    [InlineData("", false)]
    [InlineData("[support]", false)]
    [InlineData("[Operators]", false)]
    [InlineData("[operators-eu]", false)]
    [InlineData("[xoperators]", false)]
    public void FromClaims_CognitoGroups_MakeAnOperatorOnlyWhenTheyListOperators(string groups, bool isOperator)
    {
        var caller = Caller.FromClaims(new Dictionary<string, string> { ["sub"] = "u-1", ["cognito:groups"] = groups });

        Assert.Equal(new Caller("u-1", isOperator), caller);
    }

    [Fact]
    public void DecideCustomer_NoCustomerNamed_IsTheCallersOwnSub()
    {
        Assert.Equal(CustomerDecision.For("cust-42"), new Caller("cust-42", false).DecideCustomer(null));
        Assert.Equal(CustomerDecision.For("op-1"), new Caller("op-1", true).DecideCustomer(null));
    }

    [Fact]
    public void DecideCustomer_OwnIdNamed_IsAllowed()
    {
        Assert.Equal(CustomerDecision.For("cust-42"), new Caller("cust-42", false).DecideCustomer("cust-42"));
    }

    [Theory]
    [InlineData("cust-43")]
    [InlineData("CUST-42")]
    [InlineData("cust-42.")]
    public void DecideCustomer_AnotherCustomerNamedByACustomer_IsRefused(string named)
    {
        var decision = new Caller("cust-42", false).DecideCustomer(named);

        Assert.False(decision.IsAllowed);
        Assert.Null(decision.CustomerId);
        Assert.Equal("customer.id names another customer. Leave customer.id out to order for yourself, or use your own id.", decision.Refusal);
    }

    [Fact]
    public void DecideCustomer_AnotherCustomerNamedByAnOperator_IsThatCustomer()
    {
        var decision = new Caller("op-1", true).DecideCustomer("cust-43");

        Assert.True(decision.IsAllowed);
        Assert.Equal(CustomerDecision.For("cust-43"), decision);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DecideCustomer_SubThatIsNoCustomerIdAndNoneNamed_IsRefused(bool isOperator)
    {
        // An outside OIDC issuer's subject, e.g. a URL: no order can carry it.
        var decision = new Caller("https://issuer.example/users/7", isOperator).DecideCustomer(null);

        Assert.False(decision.IsAllowed);
        Assert.Equal(
            "Your sign-in subject is not a valid customer id (1 to 64 letters, digits, '.', '_' or '-'), so you cannot place an order for yourself; ask an operator to place it.",
            decision.Refusal);
    }

    [Fact]
    public void DecideCustomer_SubOf64CharactersAndNoneNamed_IsAllowedAnd65IsNot()
    {
        Assert.True(new Caller(new string('s', 64), false).DecideCustomer(null).IsAllowed);
        Assert.False(new Caller(new string('s', 65), false).DecideCustomer(null).IsAllowed);
    }

    [Theory]
    [InlineData("cust-42", false, true)]
    [InlineData("cust-43", false, false)]
    [InlineData("Cust-42", false, false)]
    [InlineData("cust-43", true, true)]
    public void MayRead_OwnerOrOperatorOnly(string orderCustomer, bool isOperator, bool expected)
    {
        Assert.Equal(expected, new Caller("cust-42", isOperator).MayRead(orderCustomer));
    }
}
