using System.Text;
using Fanout.OrderIntake.Core;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.OrderIntake.Core;

[Trait("Category", "Unit")]
public sealed class OrderRequestValidatorTests
{
    private static readonly string[] _everyProblemField =
        ["coupon", "customer.id", "customer.email", "customer.phone", "items[0].sku", "items[1].quantity", "items[2].gift", "items[3].sku", "items[3].quantity"];

    [Fact]
    public void CheckBody_ValidOrder_ReturnsCommandWithEveryField()
    {
        var check = Check(OrderRequestBuilder.ValidOrder());

        Assert.True(check.IsValid);
        Assert.Empty(check.Errors);
        Assert.Equal(200, check.Status);
        Assert.Equal("", check.Title);
        var command = check.Command!;
        Assert.Equal("cust-42", command.Customer.Id);
        Assert.Equal("ada@example.com", command.Customer.Email);
        Assert.Equal("+14155550123", command.Customer.Phone);
        Assert.Equal([("TSHIRT-RED-M", 2), ("MUG-01", 1)], command.Items.Select(i => (i.Sku, i.Quantity)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CheckBody_CustomerIdAbsentOrNull_IsValidWithAnEmptyId(bool explicitNull)
    {
        var builder = explicitNull ? OrderRequestBuilder.ValidOrder().With("customer.id", null) : OrderRequestBuilder.ValidOrder().Without("customer.id");

        var check = Check(builder);

        Assert.True(check.IsValid, string.Join("; ", check.Errors));
        Assert.Equal("", check.Command!.Customer.Id);
        Assert.Equal("ada@example.com", check.Command.Customer.Email);
    }

    [Theory]
    [InlineData("+1", "+14155550123", true)]
    [InlineData("+1", "+447911123456", false)]
    [InlineData("+44", "+447911123456", true)]
    [InlineData("+44", "+4307911123456", false)]
    [InlineData("+44", "+14155550123", false)]
    [InlineData("+1,+44", "+447911123456", true)]
    [InlineData("+1,+44", "+14155550123", true)]
    [InlineData("+1,+44", "+33612345678", false)]
    [InlineData("+353", "+353861234567", true)]
    [InlineData("+353", "+354861234567", false)]
    public void CheckBody_PhoneCallingCode_AcceptedOnlyWhenListed(string codes, string phone, bool allowed)
    {
        var allowedCodes = codes.Split(',');
        var check = OrderRequestValidator.CheckBody(Encoding.UTF8.GetBytes(OrderRequestBuilder.ValidOrder().With("customer.phone", phone).Build()), allowedCodes);

        if (allowed)
        {
            Assert.True(check.IsValid, string.Join("; ", check.Errors));
            Assert.Equal(phone, check.Command!.Customer.Phone);
        }
        else
        {
            AssertOnlyError(check, "customer.phone");
            Assert.Equal($"customer.phone must start with a calling code SMS may go to: {string.Join(", ", allowedCodes)}.", check.Errors[0].Message);
        }
    }

    [Theory]
    [InlineData("+14155550123", true)]
    [InlineData("+447911123456", false)]
    public void CheckBody_NoCallingCodesGiven_AllowsTheDefaultPlusOneOnly(string phone, bool allowed)
    {
        var check = OrderRequestValidator.CheckBody(Encoding.UTF8.GetBytes(OrderRequestBuilder.ValidOrder().With("customer.phone", phone).Build()));

        Assert.Equal(allowed, check.IsValid);
        if (!allowed)
        {
            Assert.Equal("customer.phone must start with a calling code SMS may go to: +1.", Assert.Single(check.Errors).Message);
        }
    }

    [Fact]
    public void CheckBody_PhoneAbsentAndNoCodeAllowed_IsValid()
    {
        var check = OrderRequestValidator.CheckBody(Encoding.UTF8.GetBytes(OrderRequestBuilder.ValidOrder().Without("customer.phone").Build()), ["+44"]);

        Assert.True(check.IsValid);
    }

    [Fact]
    public void CheckBody_NullCallingCodes_ThrowsArgumentNullException()
    {
        Assert.Equal("smsAllowedCountryCodes", Assert.Throws<ArgumentNullException>(() => OrderRequestValidator.CheckBody(Encoding.UTF8.GetBytes("{}"), null!)).ParamName);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CheckBody_PhoneAbsentOrNull_IsValidWithoutPhone(bool explicitNull)
    {
        var builder = explicitNull ? OrderRequestBuilder.ValidOrder().With("customer.phone", null) : OrderRequestBuilder.ValidOrder().Without("customer.phone");

        var check = Check(builder);

        Assert.True(check.IsValid);
        Assert.Null(check.Command!.Customer.Phone);
    }

    [Theory]
    [InlineData("customer")]
    [InlineData("customer.email")]
    [InlineData("items")]
    [InlineData("items[0].sku")]
    [InlineData("items[0].quantity")]
    public void CheckBody_RequiredFieldMissing_ReportsThatField(string path)
    {
        var check = Check(OrderRequestBuilder.ValidOrder().Without(path));

        AssertOnlyError(check, path);
        Assert.Contains("required", check.Errors[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("customer")]
    [InlineData("customer.email")]
    [InlineData("items")]
    [InlineData("items[1].sku")]
    [InlineData("items[1].quantity")]
    public void CheckBody_RequiredFieldNull_ReportsThatField(string path)
    {
        var check = Check(OrderRequestBuilder.ValidOrder().With(path, null));

        AssertOnlyError(check, path);
    }

    [Theory]
    [InlineData("plainaddress")]
    [InlineData("@example.com")]
    [InlineData("ada@")]
    [InlineData("ada@example")]
    [InlineData(".ada@example.com")]
    [InlineData("ada.@example.com")]
    [InlineData(".@example.com")]
    [InlineData("ada@example..com")]
    [InlineData("ada@.example.com")]
    [InlineData("ada@example.com.")]
    [InlineData("ada@example.123")]
    [InlineData("ada@192.0.2.1")]
    [InlineData("ada@[192.0.2.1]")]
    [InlineData("\"ada\"@example.com")]
    [InlineData("ada(comment)@example.com")]
    [InlineData("ada@exa_mple.com")]
    [InlineData("ada@example.-com")]
    [InlineData("ada@example.com-")]
    [InlineData("adá@example.com")]
    [InlineData("ada@exämple.com")]
    [InlineData("ada@example.com\n")]
    [InlineData("ada\n@example.com")]
    [InlineData("ada@example.com\u0000")]
    [InlineData("ada,bob@example.com")]
    [InlineData("ada;@example.com")]
    [InlineData("ada@example.com@example.com")]
    [InlineData("@")]
    [InlineData("ada @example.com")]
    [InlineData("ada@@example.com")]
    [InlineData("ada..lovelace@example.com")]
    [InlineData("ada@-example.com")]
    [InlineData("ada@example-.com")]
    [InlineData("")]
    public void CheckBody_InvalidEmail_ReportsCustomerEmail(string email)
    {
        var check = Check(OrderRequestBuilder.ValidOrder().With("customer.email", email));

        AssertOnlyError(check, "customer.email");
    }

    [Fact]
    public void CheckBody_EmailLongerThan254_ReportsCustomerEmail()
    {
        var email = new string('a', 64) + "@" + string.Join('.', Enumerable.Repeat(new string('b', 60), 3)) + ".example.com";
        Assert.True(email.Length > 254);

        AssertOnlyError(Check(OrderRequestBuilder.ValidOrder().With("customer.email", email)), "customer.email");
    }

    [Fact]
    public void CheckBody_EmailLocalPartLength_Accepts64Rejects65()
    {
        Assert.True(Check(OrderRequestBuilder.ValidOrder().With("customer.email", new string('a', 64) + "@example.com")).IsValid);
        AssertOnlyError(Check(OrderRequestBuilder.ValidOrder().With("customer.email", new string('a', 65) + "@example.com")), "customer.email");
    }

    [Fact]
    public void CheckBody_EmailDomainLabelLength_Accepts63Rejects64()
    {
        Assert.True(Check(OrderRequestBuilder.ValidOrder().With("customer.email", "ada@" + new string('b', 63) + ".com")).IsValid);
        AssertOnlyError(Check(OrderRequestBuilder.ValidOrder().With("customer.email", "ada@" + new string('b', 64) + ".com")), "customer.email");
        Assert.True(Check(OrderRequestBuilder.ValidOrder().With("customer.email", "ada@example." + new string('c', 63))).IsValid);
        AssertOnlyError(Check(OrderRequestBuilder.ValidOrder().With("customer.email", "ada@example." + new string('c', 64))), "customer.email");
    }

    [Fact]
    public void CheckBody_EmailTotalLength_Accepts254Rejects255()
    {
        // 64 + 1 + 189 = 254: the domain is three 61-letter labels and a 3-letter one.
        var domain = string.Join('.', Enumerable.Repeat(new string('d', 61), 3)) + ".com";
        var longest = new string('a', 64) + "@" + domain;
        Assert.Equal(254, longest.Length);

        Assert.True(Check(OrderRequestBuilder.ValidOrder().With("customer.email", longest)).IsValid);
        AssertOnlyError(Check(OrderRequestBuilder.ValidOrder().With("customer.email", "a" + longest[1..] + "x")), "customer.email");
    }

    [Theory]
    [InlineData("a@example.com")]
    [InlineData("ada@example.c")]
    [InlineData("ada@123.example.x1")]
    [InlineData("ada@my-shop.example.com")]
    [InlineData("ada@xn--bcher-kva.example")]
    [InlineData("a.b.c@example.com")]
    [InlineData("!#$%&'*+-/=?^_`{|}~@example.com")]
    [InlineData("first.last+tag@sub.example.co.uk")]
    [InlineData("o'brien@example.ie")]
    [InlineData("UPPER@EXAMPLE.COM")]
    public void CheckBody_ValidEmail_IsAccepted(string email)
    {
        var check = Check(OrderRequestBuilder.ValidOrder().With("customer.email", email));

        Assert.True(check.IsValid, string.Join("; ", check.Errors));
        Assert.Equal(email, check.Command!.Customer.Email);
    }

    [Theory]
    [InlineData("14155550123")]
    [InlineData("+0123456789")]
    [InlineData("+1 415 555 0123")]
    [InlineData("+1-415-555-0123")]
    [InlineData("+123456")]
    [InlineData("+1234567890123456")]
    [InlineData("+1415555012a")]
    [InlineData("")]
    public void CheckBody_PhoneNotE164_ReportsCustomerPhone(string phone)
    {
        var check = Check(OrderRequestBuilder.ValidOrder().With("customer.phone", phone));

        AssertOnlyError(check, "customer.phone");
        Assert.Contains("E.164", check.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckBody_PhoneIsNumber_ReportsCustomerPhone()
    {
        AssertOnlyError(Check(OrderRequestBuilder.ValidOrder().WithRaw("customer.phone", "14155550123")), "customer.phone");
    }

    [Theory]
    [InlineData("+14155550123")]
    [InlineData("+447911123456")]
    [InlineData("+1234567")]
    [InlineData("+123456789012345")]
    public void CheckBody_PhoneE164_IsAccepted(string phone)
    {
        var check = Check(OrderRequestBuilder.ValidOrder().With("customer.phone", phone));

        Assert.True(check.IsValid, string.Join("; ", check.Errors));
        Assert.Equal(phone, check.Command!.Customer.Phone);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("\"5\"")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("2147483648")]
    public void CheckBody_QuantityNotAnIntegerFrom1To1000_ReportsQuantity(string quantity)
    {
        var check = Check(OrderRequestBuilder.ValidOrder().WithRaw("items[0].quantity", quantity));

        AssertOnlyError(check, "items[0].quantity");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    public void CheckBody_QuantityAtBounds_IsAccepted(int quantity)
    {
        var check = Check(OrderRequestBuilder.ValidOrder().With("items[0].quantity", quantity));

        Assert.True(check.IsValid, string.Join("; ", check.Errors));
        Assert.Equal(quantity, check.Command!.Items[0].Quantity);
    }

    [Theory]
    [InlineData("AB")]
    [InlineData("abc")]
    [InlineData("Tshirt-RED")]
    [InlineData("-ABC")]
    [InlineData("ABC-")]
    [InlineData("AB--C")]
    [InlineData("AB_C")]
    [InlineData("AB C")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456")]
    [InlineData("")]
    public void CheckBody_SkuBreaksPattern_ReportsSku(string sku)
    {
        var check = Check(OrderRequestBuilder.ValidOrder().With("items[1].sku", sku));

        AssertOnlyError(check, "items[1].sku");
    }

    [Fact]
    public void CheckBody_SkuIsNumber_ReportsSku()
    {
        AssertOnlyError(Check(OrderRequestBuilder.ValidOrder().WithRaw("items[0].sku", "123")), "items[0].sku");
    }

    [Theory]
    [InlineData("ABC")]
    [InlineData("SKU123")]
    [InlineData("TSHIRT-RED-M")]
    [InlineData("A-B")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345")]
    public void CheckBody_SkuMatchesPattern_IsAccepted(string sku)
    {
        var check = Check(OrderRequestBuilder.ValidOrder().With("items[0].sku", sku));

        Assert.True(check.IsValid, string.Join("; ", check.Errors));
        Assert.Equal(sku, check.Command!.Items[0].Sku);
    }

    [Fact]
    public void CheckBody_NoItems_ReportsItems()
    {
        AssertOnlyError(Check(OrderRequestBuilder.ValidOrder().WithItems()), "items");
    }

    [Fact]
    public void CheckBody_FiftyItems_IsAccepted()
    {
        var check = Check(OrderRequestBuilder.ValidOrder().WithItemCount(50));

        Assert.True(check.IsValid, string.Join("; ", check.Errors));
        Assert.Equal(50, check.Command!.Items.Count);
    }

    [Fact]
    public void CheckBody_FiftyOneItems_ReportsItemsOnce()
    {
        var check = Check(OrderRequestBuilder.ValidOrder().WithItemCount(51));

        AssertOnlyError(check, "items");
        Assert.Contains("got 51", check.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckBody_SkuOnTwoLines_ReportsTheRepeatedLine()
    {
        var builder = OrderRequestBuilder.ValidOrder().WithItems(
            OrderRequestBuilder.Line("MUG-01", 1),
            OrderRequestBuilder.Line("CAP-02", 1),
            OrderRequestBuilder.Line("MUG-01", 2));

        var check = Check(builder);

        AssertOnlyError(check, "items[2].sku");
        Assert.Contains("MUG-01", check.Errors[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("coupon")]
    [InlineData("customer.nickname")]
    [InlineData("items[0].price")]
    [InlineData("Customer")]
    public void CheckBody_UnknownField_ReportsIt(string path)
    {
        var check = Check(OrderRequestBuilder.ValidOrder().With(path, "x"));

        AssertOnlyError(check, path);
        Assert.Contains("Unknown field", check.Errors[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("customer", "\"ada\"")]
    [InlineData("customer", "[]")]
    [InlineData("items", "{}")]
    [InlineData("items", "\"MUG-01\"")]
    [InlineData("items[0]", "\"MUG-01\"")]
    [InlineData("customer.email", "42")]
    [InlineData("customer.id", "{}")]
    public void CheckBody_WrongJsonType_ReportsThatField(string path, string json)
    {
        var check = Check(OrderRequestBuilder.ValidOrder().WithRaw(path, json));

        AssertOnlyError(check, path);
        Assert.Contains("must be", check.Errors[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("cust/42")]
    public void CheckBody_CustomerIdWithForbiddenCharacters_ReportsCustomerId(string id)
    {
        AssertOnlyError(Check(OrderRequestBuilder.ValidOrder().With("customer.id", id)), "customer.id");
    }

    [Fact]
    public void CheckBody_CustomerIdLength_Accepts64Rejects65()
    {
        Assert.True(Check(OrderRequestBuilder.ValidOrder().With("customer.id", new string('c', 64))).IsValid);
        AssertOnlyError(Check(OrderRequestBuilder.ValidOrder().With("customer.id", new string('c', 65))), "customer.id");
    }

    [Fact]
    public void CheckBody_ManyProblems_ListsEveryErrorWithItsField()
    {
        var builder = OrderRequestBuilder.ValidOrder()
            .With("coupon", "FREE")
            .With("customer.id", "a b")
            .With("customer.email", "not-an-email")
            .With("customer.phone", "555-0123")
            .WithItems(
                OrderRequestBuilder.Line("bad sku", 1),
                OrderRequestBuilder.Line("MUG-01", 0),
                new System.Text.Json.Nodes.JsonObject { ["sku"] = "CAP-02", ["quantity"] = 1, ["gift"] = true },
                OrderRequestBuilder.Line("MUG-01", 1001));

        var check = Check(builder);

        Assert.False(check.IsValid);
        Assert.Equal(400, check.Status);
        Assert.Equal(
            _everyProblemField.Order(StringComparer.Ordinal),
            check.Errors.Select(e => e.Field).Order(StringComparer.Ordinal));
        Assert.All(check.Errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Message)));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"an order\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("true")]
    public void CheckBody_RootNotAnObject_ReportsRoot(string json)
    {
        var check = Check(json);

        AssertOnlyError(check, "$");
        Assert.Equal("Invalid order", check.Title);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \r\n\t ")]
    public void CheckBody_EmptyBody_ReportsRoot(string json)
    {
        var check = Check(json);

        AssertOnlyError(check, "$");
        Assert.Equal("Invalid order", check.Title);
        Assert.Equal("The body is empty; send an order as JSON.", check.Errors[0].Message);
    }

    [Theory]
    [InlineData("{\"customer\":", "The body is not valid JSON (line 1, byte 13).")]
    [InlineData("{\n  \"items\": [1 2]\n}", "The body is not valid JSON (line 2, byte 15).")]
    public void CheckBody_MalformedJson_SaysWhereInOneBasedLineAndByte(string json, string expected)
    {
        var check = Check(json);

        AssertOnlyError(check, "$");
        Assert.Equal("Malformed JSON", check.Title);
        Assert.Equal(expected, check.Errors[0].Message);
    }

    [Theory]
    [InlineData("[]", "an array")]
    [InlineData("\"an order\"", "a string")]
    [InlineData("42", "a number")]
    [InlineData("true", "a boolean")]
    [InlineData("false", "a boolean")]
    [InlineData("null", "null")]
    public void CheckBody_RootNotAnObject_NamesWhatItIs(string json, string kind)
    {
        var check = Check(json);

        AssertOnlyError(check, "$");
        Assert.Equal($"The body must be a JSON object, not {kind}.", check.Errors[0].Message);
    }

    [Theory]
    [InlineData("items", "{}", "items must be an array, not an object.")]
    [InlineData("customer", "[]", "customer must be an object, not an array.")]
    [InlineData("customer.phone", "14155550123", "customer.phone must be a string, not a number.")]
    [InlineData("customer.id", "true", "customer.id must be a string, not a boolean.")]
    [InlineData("items[0]", "\"MUG-01\"", "items[0] must be an object, not a string.")]
    [InlineData("items[0].quantity", "1.5", "quantity must be an integer written without a fraction or exponent (2, not 2.0), from 1 to 1000.")]
    [InlineData("items[0].quantity", "\"5\"", "quantity must be an integer written without a fraction or exponent (2, not 2.0), from 1 to 1000.")]
    [InlineData("items[0].quantity", "0", "quantity must be from 1 to 1000 (got 0).")]
    [InlineData("customer.id", "\"a b\"", "customer.id must be 1 to 64 letters, digits, '.', '_' or '-' when given (leave it out to order for yourself).")]
    [InlineData("customer.phone", "\"555-0123\"", "customer.phone must be an E.164 number such as +14155550123.")]
    [InlineData("items[0].sku", "\"mug\"", "items[0].sku must be 3 to 32 upper-case letters or digits in hyphen-separated groups, e.g. TSHIRT-RED-M.")]
    public void CheckBody_FieldBreaksItsRule_ExplainsTheRule(string path, string json, string expected)
    {
        var check = Check(OrderRequestBuilder.ValidOrder().WithRaw(path, json));

        AssertOnlyError(check, path);
        Assert.Equal(expected, check.Errors[0].Message);
    }

    [Fact]
    public void CheckBody_InvalidEmail_ExplainsTheWholeRule()
    {
        var check = Check(OrderRequestBuilder.ValidOrder().With("customer.email", "ada"));

        AssertOnlyError(check, "customer.email");
        Assert.Equal(
            "customer.email must be an address such as ada@example.com: at most 254 characters, a local part of at most 64 without leading, trailing or doubled dots, and a domain of dot-separated labels (letters, digits, inner hyphens) whose last label is not all digits.",
            check.Errors[0].Message);
    }

    public static TheoryData<string> TwoBadSkus() => new()
    {
        "[{\"quantity\":1},{\"quantity\":1}]",
        "[{\"sku\":1,\"quantity\":1},{\"sku\":2,\"quantity\":1}]",
        "[{\"sku\":\"bad 1\",\"quantity\":1},{\"sku\":\"bad 2\",\"quantity\":1}]",
    };

    [Theory]
    [MemberData(nameof(TwoBadSkus))]
    public void CheckBody_TwoLinesWithUnusableSkus_ReportsEachOnceAndNoRepeatedSku(string items)
    {
        // An unusable SKU must not take part in the one-line-per-SKU rule: two bad SKUs are not "the same SKU".
        var check = Check(OrderRequestBuilder.ValidOrder().WithRaw("items", items));

        Assert.Equal(400, check.Status);
        Assert.Equal(["items[0].sku", "items[1].sku"], check.Errors.Select(e => e.Field));
        Assert.All(check.Errors, e => Assert.DoesNotContain("more than one line", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void CheckBody_FiftyOneItemsOneOfThemBad_ReportsOnlyTheCount()
    {
        var builder = OrderRequestBuilder.ValidOrder().WithItemCount(51).With("items[50].quantity", 0);

        var check = Check(builder);

        AssertOnlyError(check, "items");
        Assert.Equal("items must hold 1 to 50 lines (got 51).", check.Errors[0].Message);
    }

    [Fact]
    public void CheckBody_NoItems_SaysHowManyAreAllowed()
    {
        var check = Check(OrderRequestBuilder.ValidOrder().WithItems());

        AssertOnlyError(check, "items");
        Assert.Equal("items must hold 1 to 50 lines (got 0).", check.Errors[0].Message);
    }

    [Fact]
    public void CheckBody_TwoDuplicateProperties_NamesBothInOneMessage()
    {
        const string json = "{\"customer\":{\"id\":\"a\",\"id\":\"b\",\"email\":\"a@example.com\"},\"items\":[{\"sku\":\"MUG-01\",\"quantity\":1,\"quantity\":2}]}";

        var check = Check(json);

        AssertOnlyError(check, "$");
        Assert.Equal("Property 'customer.id' appears more than once. Property 'items[0].quantity' appears more than once.", check.Errors[0].Message);
    }

    [Theory]
    [InlineData("{\"customer\":")]
    [InlineData("{\"customer\":{\"id\":\"c\"},}")]
    [InlineData("{/* comment */\"items\":[]}")]
    [InlineData("{'customer':{}}")]
    [InlineData("{\"items\":[1 2]}")]
    [InlineData("{} {}")]
    [InlineData("{\"items\":NaN}")]
    public void CheckBody_MalformedJson_Returns400MalformedJson(string json)
    {
        var check = Check(json);

        AssertOnlyError(check, "$");
        Assert.Equal("Malformed JSON", check.Title);
    }

    [Fact]
    public void CheckBody_NestedDeeperThan16_Returns400MalformedJson()
    {
        var json = "{\"coupon\":" + new string('[', 20) + new string(']', 20) + "}";

        var check = Check(json);

        Assert.Equal("Malformed JSON", check.Title);
        Assert.Equal(400, check.Status);
    }

    [Fact]
    public void CheckBody_DuplicatePropertyNamesThatOnlyDifferInEscaping_Returns400MalformedJsonNamingTheProperty()
    {
        const string json = "{\"customer\":{\"id\":\"a\",\"email\":\"a@example.com\",\"\\u0065mail\":\"b@example.com\"},\"items\":[{\"sku\":\"MUG-01\",\"quantity\":1}]}";

        var check = Check(json);

        AssertOnlyError(check, "$");
        Assert.Equal("Malformed JSON", check.Title);
        Assert.Equal("Property 'customer.email' appears more than once.", check.Errors[0].Message);
    }

    [Fact]
    public void CheckBody_DuplicatePropertyInsideAnArrayItem_NamesItsPath()
    {
        const string json = "{\"customer\":{\"id\":\"a\",\"email\":\"a@example.com\"},\"items\":[{\"sku\":\"MUG-01\",\"quantity\":1},{\"sku\":\"CAP-01\",\"sku\":\"CAP-02\",\"quantity\":1}]}";

        var check = Check(json);

        Assert.Equal("Malformed JSON", check.Title);
        Assert.Equal("Property 'items[1].sku' appears more than once.", Assert.Single(check.Errors).Message);
    }

    [Fact]
    public void CheckBody_SameNameInDifferentObjects_IsNotADuplicate()
    {
        Assert.True(Check(OrderRequestBuilder.ValidOrder()).IsValid);
    }

    [Theory]
    [InlineData("{\"customer\":{\"id\":\"a\",\"email\":\"a@example.com\"},\"customer\":{\"id\":\"b\",\"email\":\"b@example.com\"},\"items\":[{\"sku\":\"MUG-01\",\"quantity\":1}]}")]
    [InlineData("{\"customer\":{\"id\":\"a\",\"email\":\"a@example.com\",\"email\":\"b@example.com\"},\"items\":[{\"sku\":\"MUG-01\",\"quantity\":1}]}")]
    [InlineData("{\"customer\":{\"id\":\"a\",\"email\":\"a@example.com\"},\"items\":[{\"sku\":\"MUG-01\",\"quantity\":1,\"quantity\":999}]}")]
    public void CheckBody_DuplicateProperty_Returns400MalformedJson(string json)
    {
        // Without duplicate detection, the last value would silently win: a different order than the client saw.
        var check = Check(json);

        AssertOnlyError(check, "$");
        Assert.Equal("Malformed JSON", check.Title);
    }

    [Fact]
    public void CheckBody_OverSizeLimit_Returns413()
    {
        var body = new byte[Fanout.Contracts.Orders.OrderRules.MaxBodyBytes + 1];

        var check = OrderRequestValidator.CheckBody(body);

        Assert.False(check.IsValid);
        Assert.Equal(413, check.Status);
        Assert.Equal("Payload too large", check.Title);
        Assert.Equal(new FieldError("$", "The body is 65537 bytes; the limit is 65536."), Assert.Single(check.Errors));
    }

    [Fact]
    public void CheckBody_ExactlyAtSizeLimit_IsValidated()
    {
        var body = PadTo(OrderRequestBuilder.ValidOrder().Build(), Fanout.Contracts.Orders.OrderRules.MaxBodyBytes);

        var check = OrderRequestValidator.CheckBody(body);

        Assert.True(check.IsValid, string.Join("; ", check.Errors));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("text/json")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("json")]
    [InlineData("application/json;;;=")]
    [InlineData("text/vnd.fanout.order+json")]
    [InlineData("application/+json")]
    [InlineData("application/json; charset=utf-8; charset=latin1")]
    [InlineData("application/json; charset=utf-8; CHARSET=utf-8")]
    public void CheckContentType_NotJsonUtf8_Returns415(string? contentType)
    {
        var check = OrderRequestValidator.CheckContentType(contentType);

        Assert.NotNull(check);
        Assert.Equal(415, check.Status);
        Assert.Equal("Content-Type", Assert.Single(check.Errors).Field);
    }

    [Theory]
    [InlineData(null, "The Content-Type header is required and must be application/json.")]
    [InlineData(" ", "The Content-Type header is required and must be application/json.")]
    [InlineData("application/json;;;=", "'application/json;;;=' is not a valid media type.")]
    [InlineData("Text/Plain; charset=utf-8", "'Text/Plain' is not supported; send application/json.")]
    [InlineData("application/json; charset=utf-16", "charset 'utf-16' is not supported; send UTF-8.")]
    public void CheckContentType_Refused_SaysWhy(string? contentType, string expected)
    {
        var check = OrderRequestValidator.CheckContentType(contentType);

        Assert.NotNull(check);
        Assert.Null(check.Command);
        Assert.Equal("Unsupported media type", check.Title);
        Assert.Equal(new FieldError("Content-Type", expected), Assert.Single(check.Errors));
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON; charset=\"UTF-8\"")]
    [InlineData("application/vnd.fanout.order+json")]
    [InlineData("application/x+json")]
    [InlineData("application/json; charset=utf-8; version=1")]
    public void CheckContentType_JsonUtf8_ReturnsNull(string contentType)
    {
        Assert.Null(OrderRequestValidator.CheckContentType(contentType));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("identity, gzip")]
    [InlineData(",deflate")]
    public void CheckContentEncoding_AnyCoding_Returns415NamingTheHeader(string contentEncoding)
    {
        var check = OrderRequestValidator.CheckContentEncoding(contentEncoding);

        Assert.NotNull(check);
        Assert.Equal(415, check.Status);
        Assert.Equal("Content-Encoding", Assert.Single(check.Errors).Field);
    }

    [Fact]
    public void CheckContentEncoding_Gzip_SaysWhatToSendInstead()
    {
        var check = OrderRequestValidator.CheckContentEncoding("gzip");

        Assert.Equal("Unsupported media type", check!.Title);
        Assert.Equal("Content-Encoding 'gzip' is not supported; send the body uncompressed.", Assert.Single(check.Errors).Message);
    }

    [Fact]
    public void CheckContentType_RepeatedCharset_SaysTheParameterIsRepeated()
    {
        var check = OrderRequestValidator.CheckContentType("application/json; charset=utf-8; charset=latin1");

        Assert.Equal("Unsupported media type", check!.Title);
        Assert.Equal("'application/json; charset=utf-8; charset=latin1' repeats a parameter; send each at most once.", Assert.Single(check.Errors).Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("identity")]
    [InlineData(" IDENTITY\t")]
    [InlineData("identity,identity")]
    public void CheckContentEncoding_NoneOrIdentity_ReturnsNull(string? contentEncoding)
    {
        Assert.Null(OrderRequestValidator.CheckContentEncoding(contentEncoding));
    }

    public static TheoryData<string, string> FieldsWithControlCharacters()
    {
        var data = new TheoryData<string, string>();
        string[] controls = ["\n", "\r", "\r\n", "\t", "\u0000", "\u001f", "\u007f", "\u0085", "\u2028"];
        foreach (var control in controls)
        {
            data.Add("items[0].sku", "MUG-WHITE" + control);
            data.Add("items[0].sku", control + "MUG-WHITE");
            data.Add("items[0].sku", "MUG" + control + "WHITE");
            data.Add("customer.id", "c-1" + control);
            data.Add("customer.email", "ada@example.com" + control);
            data.Add("customer.phone", "+14155550123" + control);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FieldsWithControlCharacters))]
    public void CheckBody_ControlCharacterAnywhereInAField_ReportsThatField(string path, string value)
    {
        // .NET's $ matches before a final \n: every rule must anchor at the true end of the string.
        AssertOnlyError(Check(OrderRequestBuilder.ValidOrder().With(path, value)), path);
    }

    [Theory]
    [InlineData("customer.id")]
    [InlineData("customer.email")]
    [InlineData("customer.phone")]
    [InlineData("items[0].sku")]
    [InlineData("coupon")]
    public void CheckBody_LoneSurrogateEscapeInAValue_ReportsThatFieldAsNotUnicode(string path)
    {
        foreach (var escape in new[] { "\\ud800", "\\udfff", "x\\udc00\\ud800", "\\ud83d" })
        {
            var json = OrderRequestBuilder.ValidOrder().With(path, "PLACEHOLDER").Build().Replace("PLACEHOLDER", escape, StringComparison.Ordinal);

            var check = Check(json);

            AssertOnlyError(check, path);
            Assert.Contains("not valid Unicode", check.Errors[0].Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void CheckBody_LoneSurrogatesInSeveralPlaces_ReportsEachPlace()
    {
        const string json = "{\"customer\":{\"id\":\"\\ud800\",\"email\":\"a@example.com\",\"\\udc00\":1},\"items\":[\"\\ud800\",{\"sku\":\"\\ud801\",\"quantity\":1}],\"\\ud802\":[]}";

        var check = Check(json);

        Assert.False(check.IsValid);
        Assert.Equal(400, check.Status);
        Assert.Equal("Invalid order", check.Title);
        Assert.Equal(["customer.id", "customer", "items[0]", "items[1].sku", "$"], check.Errors.Select(e => e.Field));
        Assert.Equal("A property name is not valid Unicode (it holds an unpaired surrogate escape).", check.Errors[1].Message);
    }

    [Fact]
    public void CheckBody_BodyIsALoneSurrogateString_ReportsTheRoot()
    {
        var check = Check("\"\\ud800\"");

        AssertOnlyError(check, "$");
        Assert.Equal("The body is not valid Unicode (it holds an unpaired surrogate escape).", check.Errors[0].Message);
    }

    [Fact]
    public void CheckBody_LoneSurrogateInsideANestedArray_NamesTheElement()
    {
        var check = Check("{\"coupon\":[1,[\"ok\",\"\\udbff\"]],\"customer\":{\"id\":\"c\",\"email\":\"a@example.com\"},\"items\":[{\"sku\":\"MUG-01\",\"quantity\":1}]}");

        AssertOnlyError(check, "coupon[1][1]");
        Assert.Equal("coupon[1][1] is not valid Unicode (it holds an unpaired surrogate escape).", check.Errors[0].Message);
    }

    [Fact]
    public void CheckBody_SurrogatePairEscape_IsDecodedAndJudgedByTheFieldRule()
    {
        var json = OrderRequestBuilder.ValidOrder().With("customer.id", "PLACEHOLDER").Build().Replace("PLACEHOLDER", "c\\ud83d\\ude00", StringComparison.Ordinal);

        var check = Check(json);

        AssertOnlyError(check, "customer.id");
        Assert.DoesNotContain("Unicode", check.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckBody_EscapedPropertyNamesThatDecodeCleanly_AreRead()
    {
        var json = OrderRequestBuilder.ValidOrder().Build().Replace("\"customer\"", "\"\\u0063ustomer\"", StringComparison.Ordinal);

        var check = Check(json);

        Assert.True(check.IsValid, string.Join("; ", check.Errors));
        Assert.Equal("cust-42", check.Command!.Customer.Id);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xC3 })]
    [InlineData(new byte[] { 0xED, 0xB0, 0x80 })]
    public void CheckBody_InvalidUtf8InsideAString_Returns400NamingTheBody(byte[] invalid)
    {
        var order = Encoding.UTF8.GetBytes(OrderRequestBuilder.ValidOrder().Build());
        var at = Array.IndexOf(order, (byte)'@');
        byte[] body = [.. order[..at], .. invalid, .. order[at..]];

        var check = OrderRequestValidator.CheckBody(body);

        Assert.Equal(400, check.Status);
        Assert.Equal("Malformed JSON", check.Title);
        Assert.Equal("$", Assert.Single(check.Errors).Field);
        Assert.Contains("UTF-8", check.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckBody_LeadingByteOrderMark_Returns400SayingSo()
    {
        byte[] body = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(OrderRequestBuilder.ValidOrder().Build())];

        var check = OrderRequestValidator.CheckBody(body);

        Assert.Equal(400, check.Status);
        Assert.Equal("Malformed JSON", check.Title);
        Assert.Equal("$", Assert.Single(check.Errors).Field);
        Assert.Contains("byte order mark", check.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckBody_MultiByteUtf8OutsideTheRules_IsJudgedByTheFieldRuleNotTheEncoding()
    {
        var check = Check(OrderRequestBuilder.ValidOrder().With("customer.id", "çé😀"));

        AssertOnlyError(check, "customer.id");
    }

    internal static byte[] PadTo(string json, int size)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.True(bytes.Length <= size);
        var padded = new byte[size];
        bytes.CopyTo(padded, 0);
        padded.AsSpan(bytes.Length).Fill((byte)' ');
        return padded;
    }

    private static RequestCheck Check(OrderRequestBuilder builder) => Check(builder.Build());

    /// <summary>Every calling code the syntax tests use, so they judge E.164 syntax alone.</summary>
    private static readonly string[] _syntaxTestCallingCodes = ["+1", "+44"];

    private static RequestCheck Check(string json) => OrderRequestValidator.CheckBody(Encoding.UTF8.GetBytes(json), _syntaxTestCallingCodes);

    private static void AssertOnlyError(RequestCheck check, string field)
    {
        Assert.False(check.IsValid);
        Assert.Null(check.Command);
        Assert.Equal(400, check.Status);
        Assert.Equal([field], check.Errors.Select(e => e.Field));
    }
}
