using Fanout.Contracts.Configuration;
using Fanout.Contracts.Topology;
using Fanout.Infra.Tests.Support;

namespace Fanout.Infra.Tests;

/// <summary>Record is the default (a first deploy needs no SMS or SES set-up); real senders are opt-in and
/// bring exactly the permission they need, to the one function that sends.</summary>
[Trait("Category", "Infra")]
public sealed class SenderChoiceTests
{
    private static readonly string Sms = FanoutTopology.Sms.Function.Name;
    private static readonly string Email = FanoutTopology.Email.Function.Name;

    private static Lazy<SynthesizedStack> RealSenders { get; } = new(() => SynthesizedStack.Synthesize(new Dictionary<string, object>
    {
        [StackSettings.Keys.SmsSender] = "sns",
        [StackSettings.Keys.EmailSender] = "ses",
        [StackSettings.Keys.EmailFromAddress] = "orders@shop.example.com",
    }));

    private static string Variable(SynthesizedStack stack, string functionName, string name) =>
        stack.AtPath(Paths.LambdaFunction(functionName)).Resource.GetProperty("Properties").GetProperty("Environment")
            .GetProperty("Variables").GetProperty(name).GetString()!;

    private static IReadOnlyList<PolicyStatement> RoleStatements(SynthesizedStack stack, string functionName) =>
        Cfn.Statements(stack.AtPath(Paths.RolePolicy(functionName)).Resource.GetProperty("Properties").GetProperty("PolicyDocument"));

    [Fact]
    public void Senders_DefaultContext_RecordAndGrantNoSmsOrSes()
    {
        var stack = SynthesizedStack.Default;

        Assert.Equal("record", Variable(stack, Sms, SettingNames.SmsSender));
        Assert.Equal("record", Variable(stack, Email, SettingNames.EmailSender));
        var all = LeastPrivilegeTests.AllPolicyStatements(stack).ToList();
        Assert.DoesNotContain(all, s => s.Actions.Any(a => a.StartsWith("ses:", StringComparison.Ordinal)));
        Assert.DoesNotContain(all, s => s.Actions.Contains("sns:Publish") && (s.HasWildcardResource || s.NotResources.Count > 0));
    }

    [Fact]
    public void SmsSender_Sns_GrantsPublishToPhoneNumbersToTheSmsFunctionOnly()
    {
        var stack = RealSenders.Value;

        Assert.Equal("sns", Variable(stack, Sms, SettingNames.SmsSender));
        var toPhones = Assert.Single(RoleStatements(stack, Sms), s => s.NotResources.Count > 0);
        Assert.Equal(["sns:Publish"], toPhones.Actions);
        Assert.Equal("SendSmsToPhoneNumbersOnly", toPhones.Sid);
        Assert.DoesNotContain(RoleStatements(stack, Sms), s => s.HasWildcardResource && !s.IsTraceWrite);
        Assert.All(FanoutTopology.Functions.Where(f => f.Name != Sms), f =>
            Assert.DoesNotContain(RoleStatements(stack, f.Name), s => (s.HasWildcardResource && !s.IsTraceWrite) || s.NotResources.Count > 0));
    }

    [Fact]
    public void EmailSender_Ses_GrantsSendEmailOnTheFromIdentityToTheEmailFunctionOnly()
    {
        var stack = RealSenders.Value;

        Assert.Equal("ses", Variable(stack, Email, SettingNames.EmailSender));
        Assert.Equal("orders@shop.example.com", Variable(stack, Email, SettingNames.EmailFromAddress));
        var send = Assert.Single(RoleStatements(stack, Email), s => s.Actions.Contains("ses:SendEmail"));
        Assert.Equal(["ses:SendEmail"], send.Actions);
        var identities = send.Resources.Select(r => r.GetProperty("Fn::Join")[1].EnumerateArray().Last().GetString()).ToList();
        Assert.Equal([":identity/orders@shop.example.com", ":identity/shop.example.com"], identities);
        Assert.Equal("orders@shop.example.com", send.Json.GetProperty("Condition").GetProperty("StringEquals").GetProperty("ses:FromAddress").GetString());
        Assert.All(FanoutTopology.Functions.Where(f => f.Name != Email), f =>
            Assert.DoesNotContain(RoleStatements(stack, f.Name), s => s.Actions.Any(a => a.StartsWith("ses:", StringComparison.Ordinal))));
    }

    [Fact]
    public void EmailSender_SesWithoutFromAddress_FailsSynthNamingTheMissingContext()
    {
        var error = Assert.Throws<InfraConfigurationException>(() =>
            SynthesizedStack.Synthesize(new Dictionary<string, object> { [StackSettings.Keys.EmailSender] = "ses" }));

        Assert.Contains("emailFromAddress is required when emailSender is 'ses'", error.Message, StringComparison.Ordinal);
    }
}
