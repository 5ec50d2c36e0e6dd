using System.Text.Json;
using Fanout.AwsShims.Signing;

namespace Fanout.AwsShims.Cognito;

/// <summary>A user pool's password rules (Amazon Cognito <c>PasswordPolicyType</c>).</summary>
/// <param name="MinimumLength">At least this many characters (Cognito allows 6–99).</param>
/// <param name="TemporaryPasswordValidityDays">How long an administrator-set temporary password lasts, in days.</param>
public sealed record CognitoPasswordPolicy(
    int MinimumLength,
    bool RequireUppercase,
    bool RequireLowercase,
    bool RequireNumbers,
    bool RequireSymbols,
    int TemporaryPasswordValidityDays);

/// <summary>The Amazon Cognito user pool administration calls that provisioning needs (a pool, an app client, a group,
/// users with permanent passwords), over the AWS JSON 1.1 protocol (<c>X-Amz-Target:
/// AWSCognitoIdentityProviderService.&lt;Operation&gt;</c>), SigV4-signed for the service <c>cognito-idp</c> as the
/// Cognito API reference requires for every <c>Admin*</c> and <c>Create*</c> call. A stand-in for
/// AWSSDK.CognitoIdentityProvider, which the registry copy lacks.</summary>
/// <remarks>Every call throws <see cref="AwsServiceException"/> when Cognito refuses (its code without the
/// <c>namespace#</c> prefix, e.g. <c>ResourceNotFoundException</c>, <c>UsernameExistsException</c>,
/// <c>InvalidPasswordException</c>) and <see cref="AwsTransportException"/> when no answer came back.</remarks>
public sealed class CognitoAdminClient
{
    /// <summary>The SigV4 signing name of Amazon Cognito user pools.</summary>
    public const string SigningService = "cognito-idp";
    private readonly SignedAwsHttpClient _aws;

    /// <param name="aws">Signs for <see cref="SigningService"/> and sends to the Cognito endpoint.</param>
    public CognitoAdminClient(SignedAwsHttpClient aws)
    {
        ArgumentNullException.ThrowIfNull(aws);
        _aws = aws;
    }

    /// <summary><c>CreateUserPool</c>: a pool whose users sign in with their e-mail address as user name
    /// (<c>UsernameAttributes: ["email"]</c>) and are created by an administrator only.</summary>
    /// <returns>The pool id, e.g. <c>us-east-1_AbC123</c>.</returns>
    public async Task<string> CreateUserPoolAsync(string poolName, CognitoPasswordPolicy passwordPolicy, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(poolName);
        ArgumentNullException.ThrowIfNull(passwordPolicy);
        var body = CognitoIdentityProviderClient.Json(writer =>
        {
            writer.WriteString("PoolName", poolName);
            writer.WriteStartArray("UsernameAttributes");
            writer.WriteStringValue("email");
            writer.WriteEndArray();
            writer.WriteStartObject("AdminCreateUserConfig");
            writer.WriteBoolean("AllowAdminCreateUserOnly", true);
            writer.WriteEndObject();
            writer.WriteStartObject("Policies");
            writer.WriteStartObject("PasswordPolicy");
            writer.WriteNumber("MinimumLength", passwordPolicy.MinimumLength);
            writer.WriteBoolean("RequireUppercase", passwordPolicy.RequireUppercase);
            writer.WriteBoolean("RequireLowercase", passwordPolicy.RequireLowercase);
            writer.WriteBoolean("RequireNumbers", passwordPolicy.RequireNumbers);
            writer.WriteBoolean("RequireSymbols", passwordPolicy.RequireSymbols);
            writer.WriteNumber("TemporaryPasswordValidityDays", passwordPolicy.TemporaryPasswordValidityDays);
            writer.WriteEndObject();
            writer.WriteEndObject();
        });
        using var answer = await CallAsync("CreateUserPool", body, CallIdempotency.NotIdempotent, cancellationToken);
        return RequiredString(answer.RootElement, "UserPool", "Id");
    }

    /// <summary><c>CreateUserPoolClient</c>: a public app client (no secret) that signs users in with SRP or
    /// <c>USER_PASSWORD_AUTH</c>, and refreshes tokens, with access and ID tokens that live
    /// <paramref name="tokenValidityMinutes"/> minutes (<c>TokenValidityUnits</c> minutes).</summary>
    /// <returns>The client id: the <c>client_id</c> claim of its access tokens, the <c>aud</c> of its ID tokens.</returns>
    public async Task<string> CreateUserPoolClientAsync(string userPoolId, string clientName, int tokenValidityMinutes, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userPoolId);
        ArgumentException.ThrowIfNullOrWhiteSpace(clientName);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokenValidityMinutes, 1);
        var body = CognitoIdentityProviderClient.Json(writer =>
        {
            writer.WriteString("UserPoolId", userPoolId);
            writer.WriteString("ClientName", clientName);
            writer.WriteBoolean("GenerateSecret", false);
            writer.WriteStartArray("ExplicitAuthFlows");
            writer.WriteStringValue("ALLOW_USER_SRP_AUTH");
            writer.WriteStringValue("ALLOW_USER_PASSWORD_AUTH");
            writer.WriteStringValue("ALLOW_REFRESH_TOKEN_AUTH");
            writer.WriteEndArray();
            writer.WriteNumber("AccessTokenValidity", tokenValidityMinutes);
            writer.WriteNumber("IdTokenValidity", tokenValidityMinutes);
            writer.WriteStartObject("TokenValidityUnits");
            writer.WriteString("AccessToken", "minutes");
            writer.WriteString("IdToken", "minutes");
            writer.WriteEndObject();
            writer.WriteString("PreventUserExistenceErrors", "ENABLED");
        });
        using var answer = await CallAsync("CreateUserPoolClient", body, CallIdempotency.NotIdempotent, cancellationToken);
        return RequiredString(answer.RootElement, "UserPoolClient", "ClientId");
    }

    /// <summary><c>CreateGroup</c>: a group whose members' tokens carry its name in <c>cognito:groups</c>.</summary>
    public async Task CreateGroupAsync(string userPoolId, string groupName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userPoolId);
        ArgumentException.ThrowIfNullOrWhiteSpace(groupName);
        var body = CognitoIdentityProviderClient.Json(writer =>
        {
            writer.WriteString("UserPoolId", userPoolId);
            writer.WriteString("GroupName", groupName);
        });
        using var _ = await CallAsync("CreateGroup", body, CallIdempotency.NotIdempotent, cancellationToken);
    }

    /// <summary><c>AdminCreateUser</c> with <c>MessageAction: SUPPRESS</c> (no invitation is sent) and the e-mail
    /// marked verified; the user name is the e-mail address, as the pool signs in by e-mail.</summary>
    /// <returns>The user's <c>sub</c> (the subject of its tokens) when the answer carries it, else null.</returns>
    public async Task<string?> AdminCreateUserAsync(string userPoolId, string email, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userPoolId);
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        var body = CognitoIdentityProviderClient.Json(writer =>
        {
            writer.WriteString("UserPoolId", userPoolId);
            writer.WriteString("Username", email);
            writer.WriteString("MessageAction", "SUPPRESS");
            writer.WriteStartArray("UserAttributes");
            Attribute(writer, "email", email);
            Attribute(writer, "email_verified", "true");
            writer.WriteEndArray();
        });
        using var answer = await CallAsync("AdminCreateUser", body, CallIdempotency.NotIdempotent, cancellationToken);
        if (answer.RootElement.TryGetProperty("User", out var user) && user.TryGetProperty("Attributes", out var attributes) && attributes.ValueKind == JsonValueKind.Array)
        {
            foreach (var attribute in attributes.EnumerateArray())
            {
                if (attribute.TryGetProperty("Name", out var name) && name.ValueEquals("sub") && attribute.TryGetProperty("Value", out var value))
                {
                    return value.GetString();
                }
            }
        }

        return null;
    }

    /// <summary><c>AdminSetUserPassword</c> with <c>Permanent: true</c>: the user can sign in at once, with no
    /// new-password challenge.</summary>
    /// <param name="password">Never logged; Cognito checks it against the pool's policy (<c>InvalidPasswordException</c>).</param>
    public async Task AdminSetUserPasswordAsync(string userPoolId, string username, string password, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userPoolId);
        ArgumentException.ThrowIfNullOrWhiteSpace(username);
        ArgumentException.ThrowIfNullOrEmpty(password);
        var body = CognitoIdentityProviderClient.Json(writer =>
        {
            writer.WriteString("UserPoolId", userPoolId);
            writer.WriteString("Username", username);
            writer.WriteString("Password", password);
            writer.WriteBoolean("Permanent", true);
        });
        using var _ = await CallAsync("AdminSetUserPassword", body, CallIdempotency.Idempotent, cancellationToken);
    }

    /// <summary><c>AdminAddUserToGroup</c>; adding a member again changes nothing.</summary>
    public async Task AdminAddUserToGroupAsync(string userPoolId, string username, string groupName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userPoolId);
        ArgumentException.ThrowIfNullOrWhiteSpace(username);
        ArgumentException.ThrowIfNullOrWhiteSpace(groupName);
        var body = CognitoIdentityProviderClient.Json(writer =>
        {
            writer.WriteString("UserPoolId", userPoolId);
            writer.WriteString("Username", username);
            writer.WriteString("GroupName", groupName);
        });
        using var _ = await CallAsync("AdminAddUserToGroup", body, CallIdempotency.Idempotent, cancellationToken);
    }

    private static void Attribute(Utf8JsonWriter writer, string name, string value)
    {
        writer.WriteStartObject();
        writer.WriteString("Name", name);
        writer.WriteString("Value", value);
        writer.WriteEndObject();
    }

    private static string RequiredString(JsonElement root, string objectName, string propertyName) =>
        root.TryGetProperty(objectName, out var item) && item.ValueKind == JsonValueKind.Object
        && item.TryGetProperty(propertyName, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw new AwsServiceException($"Cognito answered without {objectName}.{propertyName}.");

    private async Task<JsonDocument> CallAsync(string operation, byte[] body, CallIdempotency idempotency, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string> { ["X-Amz-Target"] = CognitoIdentityProviderClient.TargetPrefix + operation };
        var result = await _aws.SendAsync(HttpMethod.Post, "/", CognitoIdentityProviderClient.ContentType, body, idempotency, headers, cancellationToken);
        return CognitoIdentityProviderClient.ReadAnswer(result.StatusCode, result.ErrorCode, result.Body);
    }
}
