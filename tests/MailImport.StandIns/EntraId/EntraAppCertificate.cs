using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MailImport.StandIns.EntraId;

/// <summary>An app's self-signed certificate as an admin makes one for an Entra app registration (the public part is
/// uploaded to the app, the PFX with its private key given to MailImport).</summary>
/// <param name="Certificate">The certificate with its private key.</param>
/// <param name="PfxBase64">Its PFX (PKCS#12) file, protected with <paramref name="Password"/>, in base64.</param>
/// <param name="Password">The PFX file's password.</param>
public sealed record EntraAppCertificate(X509Certificate2 Certificate, string PfxBase64, string Password)
{
    /// <summary>A new RSA 2048 certificate valid for a day, its PFX protected with a random password.</summary>
    public static EntraAppCertificate Create(string subject = "CN=MailImport migration")
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var password = "Pfx-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        var pfx = certificate.Export(X509ContentType.Pkcs12, password);
        return new(X509CertificateLoader.LoadPkcs12(pfx, password, X509KeyStorageFlags.EphemeralKeySet), Convert.ToBase64String(pfx), password);
    }
}
