using System.Security.Cryptography;
using System.Text.Json;
using MailImport.Core.Sources;

namespace MailImport.Core.Tests.Sources;

public class GoogleServiceAccountKeyTests
{
    private static string KeyJson(string type = "service_account", string? pem = null, string email = "sa@p.iam.gserviceaccount.com")
    {
        using var rsa = RSA.Create(2048);
        return JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = type,
            ["client_email"] = email,
            ["client_id"] = "1234567890",
            ["private_key_id"] = "abc",
            ["private_key"] = pem ?? rsa.ExportPkcs8PrivateKeyPem(),
        });
    }

    [Fact]
    public void Parse_DownloadedKey_KeepsIdentityAndMasksTheKey()
    {
        var key = GoogleServiceAccountKey.Parse(KeyJson(), out var problem);

        Assert.Null(problem);
        Assert.NotNull(key);
        Assert.Equal(("sa@p.iam.gserviceaccount.com", "1234567890", "abc"), (key.ClientEmail, key.ClientId, key.PrivateKeyId));
        Assert.DoesNotContain("PRIVATE KEY", key.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("authorized_user", null, "sa@x", "not service_account")]
    [InlineData("service_account", "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----", "sa@x", "not a PEM RSA private key")]
    [InlineData("service_account", null, "", "no client_email")]
    public void Parse_NotAServiceAccountKey_SaysWhy(string type, string? pem, string email, string messagePart)
    {
        Assert.Null(GoogleServiceAccountKey.Parse(KeyJson(type, pem, email), out var problem));
        Assert.Contains(messagePart, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BrokenJson_DoesNotQuoteIt()
    {
        Assert.Null(GoogleServiceAccountKey.Parse("{\"private_key\": \"-----BEGIN PRIVATE KEY-----MIIE", out var problem));
        Assert.Equal("The service account key is not well-formed JSON.", problem);
    }
}
