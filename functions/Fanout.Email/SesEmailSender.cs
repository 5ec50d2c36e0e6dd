using Fanout.AwsShims.Ses;
using Fanout.Email.Core;

namespace Fanout.Email;

/// <summary>Sends a real e-mail through SES v2 <c>SendEmail</c> from a verified identity.</summary>
public sealed class SesEmailSender : IEmailSender
{
    private readonly SesClient _ses;
    private readonly string _from;

    public SesEmailSender(SesClient ses, string from)
    {
        _ses = ses;
        _from = from;
    }

    public Task<string> SendAsync(string orderId, EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _ses.SendEmailAsync(_from, message.To, message.Subject, message.Text, cancellationToken);
    }
}
