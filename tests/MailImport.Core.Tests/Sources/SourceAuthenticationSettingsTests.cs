using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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

    private static (string Pfx, string Thumbprint) Pfx(string? password, bool withKey = true, DateTimeOffset? notAfter = null)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=app", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), notAfter ?? DateTimeOffset.UtcNow.AddDays(1));
        var bytes = withKey ? certificate.Export(X509ContentType.Pkcs12, password) : X509Certificate2.CreateFromPem(certificate.ExportCertificatePem()).Export(X509ContentType.Pkcs12, password);
        return (Convert.ToBase64String(bytes), certificate.Thumbprint);
    }

    private static SourceAuthenticationRequest App(string? secret = null, string? pfx = null, string? password = null) => new()
    {
        Type = "microsoftAppOnly", TenantId = "contoso.onmicrosoft.com", ClientId = "7b5c2c1e-1111-4222-8333-944445555666",
        ClientSecret = secret, ClientCertificate = pfx, ClientCertificatePassword = password,
    };

    [Fact]
    public void Resolve_MicrosoftAppCertificate_KeepsItsThumbprintAndSealsThePfxWithItsPassword()
    {
        var (pfx, thumbprint) = Pfx(Canary);
        var request = App(pfx: pfx, password: Canary);

        var result = SourceAuthenticationSettings.Resolve(request);

        Assert.Empty(result.Problems);
        Assert.Equal(thumbprint, result.Authentication!.CertificateThumbprint);
        using var opened = MicrosoftAppCertificate.Open(result.Credential!);
        Assert.Equal((thumbprint, true), (opened.Thumbprint, opened.HasPrivateKey));
        Assert.DoesNotContain(Canary, request.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(pfx[..40], request.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Canary, result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_PfxWithoutPassword_IsTaken()
    {
        var (pfx, thumbprint) = Pfx(null);

        Assert.Equal(thumbprint, SourceAuthenticationSettings.Resolve(App(pfx: pfx)).Authentication?.CertificateThumbprint);
    }

    [Fact]
    public void Resolve_BadCertificate_NamesTheFieldWithoutEchoingIt()
    {
        var (pfx, _) = Pfx(Canary);
        var (keyless, _) = Pfx(Canary, withKey: false);
        var (expired, _) = Pfx(Canary, notAfter: DateTimeOffset.UtcNow.AddDays(-1));
        var cases = new (SourceAuthenticationRequest Request, string Field, string Says)[]
        {
            (App(pfx: pfx, password: "wrong-" + Canary), "authentication.clientCertificatePassword", "password"),
            (App(pfx: Canary), "authentication.clientCertificate", "PFX"),
            (App(pfx: Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Canary))), "authentication.clientCertificate", "PFX"),
            (App(pfx: keyless, password: Canary), "authentication.clientCertificate", "private key"),
            (App(pfx: expired, password: Canary), "authentication.clientCertificate", "expired"),
            (App(secret: Canary, pfx: pfx, password: Canary), "authentication.clientSecret", "not both"),
            (App(password: Canary), "authentication.clientCertificate", "PFX file too"),
            (App(), "authentication.clientSecret", "clientCertificate"),
            (new SourceAuthenticationRequest { Type = "password", ClientCertificate = pfx }, "authentication.type", "password"),
            (new SourceAuthenticationRequest { Type = "googleServiceAccount", ServiceAccountKey = Key(), ClientCertificate = pfx }, "authentication.type", "clientCertificate"),
        };

        foreach (var (request, field, says) in cases)
        {
            var result = SourceAuthenticationSettings.Resolve(request);

            Assert.Null(result.Credential);
            var problem = Assert.Single(result.Problems);
            Assert.Equal((field, ErrorCode.SettingsInvalidAuthentication), (problem.Field, problem.Code));
            Assert.Contains(says, problem.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Canary, problem.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(pfx[..40], problem.Message, StringComparison.Ordinal);
        }
    }
}
