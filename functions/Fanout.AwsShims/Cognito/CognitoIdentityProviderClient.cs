using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Fanout.AwsShims.Signing;

namespace Fanout.AwsShims.Cognito;

/// <summary>The tokens of a successful sign-in (Amazon Cognito <c>InitiateAuth</c>, <c>AuthenticationResult</c>).</summary>
/// <param name="AccessToken">A JWT (RFC 7519) for the <c>Authorization: Bearer</c> header (RFC 6750).</param>
/// <param name="IdToken">The OpenID Connect ID token.</param>
/// <param name="ExpiresIn">How long the access token lives, in seconds.</param>
public sealed record CognitoTokens(string AccessToken, string? IdToken, int ExpiresIn);

/// <summary>The Amazon Cognito user pool calls a client needs, over the AWS JSON 1.1 protocol (a POST to the regional
/// endpoint with <c>X-Amz-Target: AWSCognitoIdentityProviderService.&lt;Operation&gt;</c>). A stand-in for
/// AWSSDK.CognitoIdentityProvider, which the registry copy lacks. <c>InitiateAuth</c> is a public call: it is sent
/// unsigned, as the Cognito API reference allows.</summary>
public sealed class CognitoIdentityProviderClient
{
    /// <summary>The SDK's endpoint variable id: <c>AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER</c>.</summary>
    public const string EndpointVariableId = "COGNITO_IDENTITY_PROVIDER";
    internal const string ContentType = "application/x-amz-json-1.1";
    internal const string TargetPrefix = "AWSCognitoIdentityProviderService.";
    private readonly HttpClient _http;

    /// <param name="http">Sends the calls; its <see cref="HttpClient.Timeout"/> bounds each one.</param>
    /// <param name="endpoint">e.g. <c>https://cognito-idp.eu-west-1.amazonaws.com/</c>, or cognito-local's URL.</param>
    public CognitoIdentityProviderClient(HttpClient http, Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(endpoint);
        _http = http;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    /// <summary>The endpoint for <paramref name="region"/>: <c>AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER</c>,
    /// then <c>AWS_ENDPOINT_URL</c>, then <c>https://cognito-idp.&lt;region&gt;.amazonaws.com/</c>.</summary>
    public static Uri ResolveEndpoint(string region, Func<string, string?>? environment = null) =>
        AwsEndpoint.Resolve(EndpointVariableId, "cognito-idp", region, environment);

    /// <summary>Signs a user in with <c>USER_PASSWORD_AUTH</c> (the app client must allow
    /// <c>ALLOW_USER_PASSWORD_AUTH</c> and have no secret).</summary>
    /// <param name="clientId">The app client id.</param>
    /// <param name="username">The user name; in a pool signed into by e-mail, the e-mail address.</param>
    /// <param name="password">The user's password. Never logged.</param>
    /// <exception cref="AwsServiceException">Cognito refused, e.g. <c>NotAuthorizedException</c> (wrong password or
    /// unknown user), <c>UserNotConfirmedException</c>, or a challenge such as a required new password was asked
    /// for (code <c>ChallengeRequired</c>).</exception>
    /// <exception cref="HttpRequestException">No answer from the endpoint.</exception>
    public async Task<CognitoTokens> InitiateAuthAsync(string clientId, string username, string password, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentException.ThrowIfNullOrEmpty(password);
        var body = Json(writer =>
        {
            writer.WriteString("AuthFlow", "USER_PASSWORD_AUTH");
            writer.WriteString("ClientId", clientId);
            writer.WriteStartObject("AuthParameters");
            writer.WriteString("USERNAME", username);
            writer.WriteString("PASSWORD", password);
            writer.WriteEndObject();
        });
        using var answer = await PostAsync("InitiateAuth", body, cancellationToken);
        var root = answer.RootElement;
        if (!root.TryGetProperty("AuthenticationResult", out var result) || result.ValueKind != JsonValueKind.Object)
        {
            var challenge = root.TryGetProperty("ChallengeName", out var name) ? name.GetString() : null;
            throw new AwsServiceException("Cognito", "ChallengeRequired", $"Sign-in needs the challenge '{challenge ?? "unknown"}' answered first.", HttpStatusCode.OK);
        }

        var access = result.TryGetProperty("AccessToken", out var token) ? token.GetString() : null;
        if (string.IsNullOrEmpty(access))
        {
            throw new AwsServiceException("Cognito InitiateAuth answered without an AccessToken.");
        }

        var id = result.TryGetProperty("IdToken", out var idToken) ? idToken.GetString() : null;
        var expiresIn = result.TryGetProperty("ExpiresIn", out var expires) && expires.TryGetInt32(out var seconds) ? seconds : 3600;
        return new CognitoTokens(access, id, expiresIn);
    }

    /// <summary>Builds a JSON object body with <paramref name="write"/>.</summary>
    internal static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads an AWS JSON 1.1 answer: the parsed body on 2xx, else <see cref="AwsServiceException"/> with the
    /// <c>__type</c> code (without its <c>namespace#</c> prefix) and <c>message</c>.</summary>
    internal static JsonDocument ReadAnswer(HttpStatusCode status, string? errorTypeHeader, string body)
    {
        if ((int)status is >= 200 and < 300)
        {
            return JsonDocument.Parse(body.Length == 0 ? "{}" : body);
        }

        var code = AwsErrorCodes.Read(errorTypeHeader, body) ?? "Unknown";
        var message = "";
        try
        {
            using var error = JsonDocument.Parse(body);
            if (error.RootElement.ValueKind == JsonValueKind.Object
                && (error.RootElement.TryGetProperty("message", out var text) || error.RootElement.TryGetProperty("Message", out text))
                && text.ValueKind == JsonValueKind.String)
            {
                message = text.GetString() ?? "";
            }
        }
        catch (JsonException)
        {
            // Not JSON: the code alone says enough.
        }

        throw new AwsServiceException("Cognito", code, message, status);
    }

    private async Task<JsonDocument> PostAsync(string operation, byte[] body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(ContentType);
        request.Headers.TryAddWithoutValidation("X-Amz-Target", TargetPrefix + operation);
        using var response = await _http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var errorType = response.Headers.TryGetValues("x-amzn-ErrorType", out var values) ? values.FirstOrDefault() : null;
        return ReadAnswer(response.StatusCode, errorType, text);
    }
}
