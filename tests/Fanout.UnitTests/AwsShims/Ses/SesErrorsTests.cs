using Fanout.AwsShims.Ses;

namespace Fanout.UnitTests.AwsShims.Ses;

[Trait("Category", "Unit")]
public sealed class SesErrorsTests
{
    [Theory]
    [InlineData("MessageRejected")]
    [InlineData("MailFromDomainNotVerifiedException")]
    [InlineData("MailFromDomainNotVerified")]
    [InlineData("AccountSuspendedException")]
    [InlineData("BadRequestException")]
    [InlineData("ValidationException")]
    [InlineData("InvalidParameterValue")]
    public void IsPermanentSendError_CodeRetryingCannotFix_IsTrue(string code)
    {
        Assert.True(SesErrors.IsPermanentSendError(code));
    }

    [Theory]
    [InlineData("TooManyRequestsException")]
    [InlineData("LimitExceededException")]
    [InlineData("SendingPausedException")]
    [InlineData("NotFoundException")]
    [InlineData("InternalFailure")]
    [InlineData("Unknown")]
    [InlineData("")]
    [InlineData(null)]
    public void IsPermanentSendError_TransientOrUnknownCode_IsFalse(string? code)
    {
        Assert.False(SesErrors.IsPermanentSendError(code));
    }
}
