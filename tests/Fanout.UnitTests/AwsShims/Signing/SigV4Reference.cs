using System.Security.Cryptography;
using System.Text;

namespace Fanout.UnitTests.AwsShims.Signing;

/// <summary>An independent implementation of AWS Signature Version 4, written from AWS's documentation
/// ("Create a signed AWS API request"), so tests check the SDK signer against the algorithm, not against itself.</summary>
internal static class SigV4Reference
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    public static string CanonicalRequest(string method, string canonicalUri, string canonicalQuery, IEnumerable<KeyValuePair<string, string>> headers, string payloadHash)
    {
        var sorted = headers
            .Select(h => (Name: h.Key.ToLowerInvariant(), Value: string.Join(' ', h.Value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))))
            .OrderBy(h => h.Name, StringComparer.Ordinal)
            .ToList();
        var canonicalHeaders = new StringBuilder();
        foreach (var (name, value) in sorted)
        {
            canonicalHeaders.Append(name).Append(':').Append(value).Append('\n');
        }

        return string.Join('\n', method, canonicalUri, canonicalQuery, canonicalHeaders.ToString(), SignedHeaders(sorted.Select(h => h.Name)), payloadHash);
    }

    public static string SignedHeaders(IEnumerable<string> names) => string.Join(';', names.Select(n => n.ToLowerInvariant()).Order(StringComparer.Ordinal));

    public static string Scope(string date, string region, string service) => $"{date}/{region}/{service}/aws4_request";

    public static string StringToSign(string amzDate, string scope, string canonicalRequest) =>
        string.Join('\n', Algorithm, amzDate, scope, Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest))));

    public static byte[] SigningKey(string secretKey, string date, string region, string service)
    {
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secretKey), Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(key, "aws4_request"u8);
    }

    public static string Signature(byte[] signingKey, string stringToSign) => Hex(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(stringToSign)));

    public static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    public static string PayloadHash(byte[] payload) => Hex(SHA256.HashData(payload));
}
