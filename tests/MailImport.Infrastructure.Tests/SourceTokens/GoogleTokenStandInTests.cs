using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MailImport.StandIns.Google;

namespace MailImport.Infrastructure.Tests.SourceTokens;

/// <summary>What the Google stand-in refuses in an assertion that Google.Apis.Auth would never send.</summary>
[SuppressMessage("Design", "CA1001", Justification = "xUnit disposes the fields through IAsyncLifetime.DisposeAsync.")]
public sealed class GoogleTokenStandInTests : IAsyncLifetime
{
    private readonly GoogleTokenStandIn google = new();
    private readonly HttpClient http = new();

    public Task InitializeAsync() => google.StartAsync();

    public async Task DisposeAsync()
    {
        http.Dispose();
        await google.DisposeAsync();
    }

    [Theory]
    [InlineData(0, 3600, GoogleTokenStandIn.Audience, null)]
    [InlineData(0, 3601, GoogleTokenStandIn.Audience, "short-lived token")]
    [InlineData(-7200, -3700, GoogleTokenStandIn.Audience, "short-lived token")]
    [InlineData(0, 600, "https://www.googleapis.com/oauth2/v4/token", "audience")]
    public async Task Token_Assertion_IsCheckedForLifetimeAndAudience(int iatOffset, int expOffset, string audience, string? refusal)
    {
        var account = google.AddServiceAccount("https://mail.google.com/");
        google.AddUser("ivan@old.example");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var assertion = Sign(account, new Dictionary<string, object>
        {
            ["iss"] = account.ClientEmail, ["sub"] = "ivan@old.example", ["scope"] = "https://mail.google.com/",
            ["aud"] = audience, ["iat"] = now + iatOffset, ["exp"] = now + expOffset,
        });

        using var answer = await http.PostAsync(google.TokenUrl, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = GoogleTokenStandIn.JwtBearerGrant,
            ["assertion"] = assertion,
        }));
        var body = await answer.Content.ReadAsStringAsync();

        if (refusal is null)
        {
            Assert.True(answer.IsSuccessStatusCode, body);
        }
        else
        {
            Assert.Equal(400, (int)answer.StatusCode);
            using var error = JsonDocument.Parse(body);
            Assert.Equal("invalid_grant", error.RootElement.GetProperty("error").GetString());
            Assert.Contains(refusal, error.RootElement.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        }
    }

    private static string Sign(GoogleServiceAccount account, Dictionary<string, object> claims)
    {
        using var key = RSA.Create();
        using var document = JsonDocument.Parse(account.KeyJson);
        key.ImportFromPem(document.RootElement.GetProperty("private_key").GetString());
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = account.KeyId }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = key.SignData(Encoding.ASCII.GetBytes($"{header}.{payload}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{payload}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
