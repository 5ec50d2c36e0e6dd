using System.Text.Json;
using Fanout.AwsShims.Json;
using Fanout.AwsShims.Signing;

namespace Fanout.AwsShims.Ses;

/// <summary>SES v2 <c>SendEmail</c> over its REST JSON API, signed with SigV4. A stand-in for
/// AWSSDK.SimpleEmailV2, which the registry copy lacks.</summary>
public sealed class SesClient
{
    private readonly SignedAwsHttpClient _caller;

    public SesClient(SignedAwsHttpClient caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        _caller = caller;
    }

    /// <summary>Builds a client from the environment (<c>AWS_ENDPOINT_URL_SESV2</c> / <c>AWS_ENDPOINT_URL</c> honoured).</summary>
    public static SesClient FromEnvironment(HttpClient http, TimeProvider time)
    {
        var region = AwsEndpoint.ResolveRegion();
        var endpoint = AwsEndpoint.Resolve("SESV2", "email", region);
        return new SesClient(new SignedAwsHttpClient(http, SignedAwsHttpClient.DefaultCredentials(), region, "ses", endpoint, time));
    }

    /// <summary>Sends a plain-text e-mail and returns the SES message id. <c>SendEmail</c> is not idempotent (a
    /// second call sends a second e-mail), so it is retried only when SES's answer proves nothing was sent.</summary>
    /// <exception cref="AwsServiceException">SES refused the call; <see cref="AwsServiceException.ErrorCode"/> is the
    /// <c>x-amzn-ErrorType</c> code (see <see cref="SesErrors"/>).</exception>
    /// <exception cref="AwsTransportException">No answer from SES; the e-mail may or may not have been sent.</exception>
    public async Task<string> SendEmailAsync(string from, string to, string subject, string text, CancellationToken cancellationToken)
    {
        var request = new SesSendEmailRequest
        {
            FromEmailAddress = from,
            Destination = new SesDestination { ToAddresses = [to] },
            Content = new SesEmailContent
            {
                Simple = new SesSimpleMessage { Subject = new SesText { Data = subject }, Body = new SesBody { Text = new SesText { Data = text } } },
            },
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(request, AwsShimsJsonContext.Default.SesSendEmailRequest);
        var result = await _caller.SendAsync(HttpMethod.Post, "/v2/email/outbound-emails", "application/json", body, CallIdempotency.NotIdempotent, cancellationToken);
        if (!result.IsSuccess)
        {
            var message = result.Body;
            try
            {
                var error = JsonSerializer.Deserialize(result.Body, AwsShimsJsonContext.Default.SesErrorResponse);
                message = error?.Message ?? error?.MessageUpper ?? message;
            }
            catch (JsonException)
            {
                // Keep the raw body as the message.
            }

            throw new AwsServiceException("SES", result.ErrorCode ?? "Unknown", message, result.StatusCode);
        }

        var response = JsonSerializer.Deserialize(result.Body, AwsShimsJsonContext.Default.SesSendEmailResponse);
        return response?.MessageId ?? throw new AwsServiceException("SES SendEmail answered without a MessageId.");
    }
}
