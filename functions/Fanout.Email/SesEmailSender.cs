using Fanout.AwsShims.Ses;
using Fanout.AwsShims.Signing;
using Fanout.Contracts.Events;
using Fanout.Email.Core;
using Fanout.Functions.Common.Idempotency;

namespace Fanout.Email;

/// <summary>Sends a real e-mail through SES v2 <c>SendEmail</c> from a verified identity.</summary>
/// <remarks>A permanent refusal (<see cref="SesErrors.IsPermanentSendError"/>) becomes a
/// <see cref="PoisonMessageException"/> whose reason names the code only: SES's own message can quote the
/// addresses, which must not reach logs or the DLQ reason. Any other failure is rethrown as transient.</remarks>
public sealed class SesEmailSender : IEmailSender
{
    private readonly SesClient _ses;
    private readonly string _from;

    public SesEmailSender(SesClient ses, string from)
    {
        ArgumentNullException.ThrowIfNull(ses);
        ArgumentException.ThrowIfNullOrWhiteSpace(from);
        _ses = ses;
        _from = from;
    }

    public bool IsTransactionalWithRecord => false;

    public async Task<string> SendAsync(string orderId, EmailMessage message, SendStamp? stamp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            return await _ses.SendEmailAsync(_from, message.To, message.Subject, message.Text, cancellationToken);
        }
        catch (AwsServiceException ex) when (SesErrors.IsPermanentSendError(ex.ErrorCode))
        {
            throw new PoisonMessageException(
                $"SES refused the e-mail for order {orderId} with {ex.ErrorCode} (HTTP {(int)ex.StatusCode}), a permanent error.");
        }
    }
}
