using Fanout.AwsShims.Sns;

namespace Fanout.UnitTests.AwsShims.Sns;

[Trait("Category", "Unit")]
public sealed class SnsErrorsTests
{
    [Theory]
    [InlineData("InvalidParameter")]
    [InlineData("InvalidParameterException")]
    [InlineData("InvalidParameterValue")]
    [InlineData("ValidationException")]
    [InlineData("OptedOut")]
    [InlineData("OptedOutException")]
    [InlineData("EndpointDisabled")]
    public void IsPermanentPublishError_CodeRetryingCannotFix_IsTrue(string code)
    {
        Assert.True(SnsErrors.IsPermanentPublishError(code));
    }

    [Theory]
    [InlineData("AuthorizationError")]
    [InlineData("InternalError")]
    [InlineData("Throttled")]
    [InlineData("KMSThrottling")]
    [InlineData("KMSDisabled")]
    [InlineData("NotFound")]
    [InlineData("Unknown")]
    [InlineData("invalidparameter")]
    [InlineData("")]
    [InlineData(null)]
    public void IsPermanentPublishError_TransientOrUnknownCode_IsFalse(string? code)
    {
        Assert.False(SnsErrors.IsPermanentPublishError(code));
    }
}
