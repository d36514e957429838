using System.Security.Cryptography;

namespace MailImport.Testing;

/// <summary>An HttpClient that trusts exactly one server certificate, by its SHA-256: a stand-in's self-signed one.</summary>
public static class PinnedHttpClient
{
    /// <summary>A client for a server whose certificate hashes to <paramref name="certificateSha256"/> (hex).</summary>
    public static HttpClient Trusting(string certificateSha256) => new(Handler(certificateSha256));

    /// <summary>The handler of <see cref="Trusting"/>, for a host that builds its clients through IHttpClientFactory.</summary>
    public static HttpClientHandler Handler(string certificateSha256) => new()
    {
        ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            certificate is not null && string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), certificateSha256, StringComparison.OrdinalIgnoreCase),
    };
}
