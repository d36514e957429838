using System.Security.Cryptography;
using System.Text.Json;
using MailImport.Core.Errors;
using MailImport.Core.Sources;

namespace MailImport.Core.Tests.Sources;

public class SourceAuthenticationSettingsTests
{
    private const string Canary = "Canary-Secret-9d2f";

    private static JsonElement Key(string? email = "sa@p.iam.gserviceaccount.com")
    {
        using var rsa = RSA.Create(2048);
        return JsonSerializer.SerializeToElement(new Dictionary<string, string?>
        {
            ["type"] = "service_account", ["client_email"] = email, ["client_id"] = "1234567890", ["private_key_id"] = "k1",
            ["private_key"] = rsa.ExportPkcs8PrivateKeyPem(),
        });
    }

    [Fact]
    public void Resolve_NothingOrPassword_IsPasswordWithoutSecret()
    {
        foreach (var request in new[] { null, new SourceAuthenticationRequest(), new SourceAuthenticationRequest { Type = "Password" } })
        {
            var result = SourceAuthenticationSettings.Resolve(request);
            Assert.Equal((SourceAuthentication.Password, (Secret?)null), (result.Authentication, result.Credential));
            Assert.Empty(result.Problems);
        }
    }

    [Fact]
    public void Resolve_GoogleKey_KeepsTheAccountAndSealsTheWholeKey()
    {
        var key = Key();

        var result = SourceAuthenticationSettings.Resolve(new SourceAuthenticationRequest { Type = "googleServiceAccount", ServiceAccountKey = key });

        Assert.Empty(result.Problems);
        Assert.Equal(new SourceAuthentication(SourceAuthenticationType.GoogleServiceAccount, "sa@p.iam.gserviceaccount.com", ClientId: "1234567890"), result.Authentication);
        Assert.Equal(key.GetRawText(), result.Credential?.Reveal());
        Assert.DoesNotContain("PRIVATE", result.Authentication!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_MicrosoftApp_KeepsTheIdsAndSealsTheSecret()
    {
        var tenant = Guid.NewGuid().ToString();
        var client = Guid.NewGuid().ToString();
        var request = new SourceAuthenticationRequest { Type = "microsoftAppOnly", TenantId = tenant, ClientId = client, ClientSecret = Canary };

        var result = SourceAuthenticationSettings.Resolve(request);

        Assert.Empty(result.Problems);
        Assert.Equal(new SourceAuthentication(SourceAuthenticationType.MicrosoftAppOnly, TenantId: tenant, ClientId: client), result.Authentication);
        Assert.Equal(Canary, result.Credential?.Reveal());
        Assert.DoesNotContain(Canary, request.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Canary, result.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("microsoftAppOnly", "not-a-tenant", "7b5c2c1e-1111-4222-8333-944445555666", Canary, "authentication.tenantId")]
    [InlineData("microsoftAppOnly", "contoso.onmicrosoft.com", "app", Canary, "authentication.clientId")]
    [InlineData("microsoftAppOnly", "contoso.onmicrosoft.com", "7b5c2c1e-1111-4222-8333-944445555666", " ", "authentication.clientSecret")]
    [InlineData("googleServiceAccount", null, null, null, "authentication.serviceAccountKey")]
    [InlineData("googleServiceAccount", null, null, Canary, "authentication.type")]
    [InlineData("password", null, null, Canary, "authentication.type")]
    [InlineData("oauth", null, null, null, "authentication.type")]
    public void Resolve_BadField_NamesItWithoutTheSecret(string type, string? tenant, string? client, string? secret, string field)
    {
        var result = SourceAuthenticationSettings.Resolve(new SourceAuthenticationRequest { Type = type, TenantId = tenant, ClientId = client, ClientSecret = secret });

        Assert.Null(result.Authentication);
        var problem = Assert.Single(result.Problems);
        Assert.Equal((field, ErrorCode.SettingsInvalidAuthentication), (problem.Field, problem.Code));
        Assert.DoesNotContain(Canary, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_KeyThatIsNotAServiceAccount_SaysSo()
    {
        var result = SourceAuthenticationSettings.Resolve(new SourceAuthenticationRequest { Type = "googleServiceAccount", ServiceAccountKey = Key(email: null) });

        Assert.Equal("authentication.serviceAccountKey", Assert.Single(result.Problems).Field);
    }
}
