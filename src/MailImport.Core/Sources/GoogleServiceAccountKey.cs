using System.Security.Cryptography;
using System.Text.Json;

namespace MailImport.Core.Sources;

/// <summary>The parts of a Google service account's JSON key that sign a token request: who the account is and its
/// RSA private key (https://developers.google.com/identity/protocols/oauth2/service-account#creatinganaccount).</summary>
/// <param name="ClientEmail">The account's address, the <c>iss</c> of its assertions.</param>
/// <param name="ClientId">The account's numeric client id, which the admin enters for domain-wide delegation.</param>
/// <param name="PrivateKeyId">The key's id, the <c>kid</c> of its assertions.</param>
/// <param name="PrivateKeyPem">The PKCS#8 PEM private key; prints as ***.</param>
public sealed record GoogleServiceAccountKey(string ClientEmail, string? ClientId, string? PrivateKeyId, Secret PrivateKeyPem)
{
    /// <summary>Reads a key file's JSON; null with <paramref name="problem"/> (never quoting the key) when it is not one.</summary>
    public static GoogleServiceAccountKey? Parse(string json, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problem = "The service account key must be the JSON object of the key file Google gives.";
                return null;
            }

            if (Text(root, "type") != "service_account")
            {
                problem = "The key's type is not service_account: give the JSON key of a service account (IAM & Admin > Service accounts > Keys), not an OAuth client's file.";
                return null;
            }

            var email = Text(root, "client_email");
            var pem = Text(root, "private_key");
            if (string.IsNullOrWhiteSpace(email) || string.IsNullOrWhiteSpace(pem))
            {
                problem = $"The key has no {(string.IsNullOrWhiteSpace(email) ? "client_email" : "private_key")}; give the whole downloaded key file.";
                return null;
            }

            using var rsa = RSA.Create();
            try
            {
                rsa.ImportFromPem(pem);
            }
            catch (ArgumentException)
            {
                problem = "The key's private_key is not a PEM RSA private key; give the key file as Google downloaded it.";
                return null;
            }

            problem = null;
            return new GoogleServiceAccountKey(email, Text(root, "client_id"), Text(root, "private_key_id"), new Secret(pem));
        }
        catch (JsonException)
        {
            // The parser's message may quote part of the private key: say only that it is not JSON.
            problem = "The service account key is not well-formed JSON.";
            return null;
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
