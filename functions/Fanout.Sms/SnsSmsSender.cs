using Fanout.AwsShims.Signing;
using Fanout.AwsShims.Sns;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Idempotency;
using Fanout.Sms.Core;

namespace Fanout.Sms;

/// <summary>Sends a real SMS with SNS <c>Publish</c> to a phone number (transactional type, so carriers
/// prioritise it). Needs SMS set up in the account (sandbox destination numbers or production access).</summary>
/// <remarks>A permanent refusal (<see cref="SnsErrors.IsPermanentPublishError"/>) becomes a
/// <see cref="PoisonMessageException"/> whose reason names the code only: SNS's own message can quote the phone
/// number, which must not reach logs or the DLQ reason. Any other failure is rethrown as transient.</remarks>
public sealed class SnsSmsSender : ISmsSender
{
    private readonly SnsClient _sns;

    public SnsSmsSender(SnsClient sns)
    {
        ArgumentNullException.ThrowIfNull(sns);
        _sns = sns;
    }

    public bool IsTransactionalWithRecord => false;

    public async Task<string> SendAsync(string orderId, SmsMessage message, SendStamp? stamp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            // Not idempotent: SNS cannot deduplicate an SMS, so a retry after a timeout could text the customer twice.
            return await _sns.PublishAsync(
                new SnsPublishRequest
                {
                    PhoneNumber = message.PhoneNumber,
                    Message = message.Text,
                    StringAttributes = new Dictionary<string, string> { ["AWS.SNS.SMS.SMSType"] = "Transactional" },
                },
                CallIdempotency.NotIdempotent,
                cancellationToken);
        }
        catch (AwsServiceException ex) when (SnsErrors.IsPermanentPublishError(ex.ErrorCode))
        {
            throw new PoisonMessageException(
                $"SNS refused the SMS for order {orderId} with {ex.ErrorCode} (HTTP {(int)ex.StatusCode}), a permanent error.");
        }
    }
}
