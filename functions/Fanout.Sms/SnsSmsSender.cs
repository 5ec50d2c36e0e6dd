using Fanout.AwsShims.Sns;
using Fanout.Sms.Core;

namespace Fanout.Sms;

/// <summary>Sends a real SMS with SNS <c>Publish</c> to a phone number (transactional type, so carriers
/// prioritise it). Needs SMS set up in the account (sandbox destination numbers or production access).</summary>
public sealed class SnsSmsSender : ISmsSender
{
    private readonly SnsClient _sns;

    public SnsSmsSender(SnsClient sns) => _sns = sns;

    public Task<string> SendAsync(string orderId, string phoneNumber, string text, CancellationToken cancellationToken) =>
        _sns.PublishAsync(
            new SnsPublishRequest
            {
                PhoneNumber = phoneNumber,
                Message = text,
                StringAttributes = new Dictionary<string, string> { ["AWS.SNS.SMS.SMSType"] = "Transactional" },
            },
            cancellationToken);
}
