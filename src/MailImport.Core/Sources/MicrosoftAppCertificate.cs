using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace MailImport.Core.Sources;

/// <summary>An Entra app's certificate credential as the API takes it (a PFX / PKCS#12 file in base64, with its private
/// key, and the file's password) and as the batch seals it: one <see cref="Secret"/> holding both, in JSON.</summary>
/// <remarks>
/// <para>The certificate signs the client assertion MSAL sends instead of a client secret
/// (https://learn.microsoft.com/en-us/entra/identity-platform/certificate-credentials); Entra checks it against the
/// public key uploaded under the app registration's Certificates &amp; secrets &gt; Certificates.</para>
/// <para>Loaded with <see cref="X509CertificateLoader"/> and <see cref="X509KeyStorageFlags.EphemeralKeySet"/>: the
/// private key stays in memory and is never written to a key store or a temporary file; macOS has no ephemeral key
/// sets (https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.x509keystorageflags).</para>
/// </remarks>
public static class MicrosoftAppCertificate
{
    private const string PfxProperty = "pfx", PasswordProperty = "password";

    private static X509KeyStorageFlags Flags => OperatingSystem.IsMacOS() ? X509KeyStorageFlags.DefaultKeySet : X509KeyStorageFlags.EphemeralKeySet;

    /// <summary>The certificate of <paramref name="pfxBase64"/>, or null and the field at fault (<c>clientCertificate</c>
    /// or <c>clientCertificatePassword</c>) with what to do; neither the file nor the password is ever in the message.</summary>
    public static X509Certificate2? Load(string? pfxBase64, string? password, DateTimeOffset now, out (string Field, string Message)? problem)
    {
        problem = null;
        byte[] pfx;
        try
        {
            pfx = Convert.FromBase64String(pfxBase64 ?? "");
        }
        catch (FormatException)
        {
            pfx = [];
        }

        if (pfx.Length == 0 || ContentType(pfx) != X509ContentType.Pkcs12)
        {
            problem = ("clientCertificate", "Give the certificate with its private key as a PFX (PKCS#12) file in base64, such as the output of base64 -w0 app.pfx.");
            return null;
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12(pfx, string.IsNullOrEmpty(password) ? null : password, Flags);
        }
        catch (CryptographicException)
        {
            problem = ("clientCertificatePassword", "The PFX file cannot be opened with this password: give the password it was exported with (none for a file without one).");
            return null;
        }

        var why = !certificate.HasPrivateKey ? "The PFX file holds no private key: export the certificate with its private key."
            : certificate.GetRSAPublicKey() is null ? "The certificate's key is not RSA: Entra ID signs client assertions with RSA keys (RS256 or PS256)."
            : certificate.NotAfter.ToUniversalTime() < now.UtcDateTime ? $"The certificate expired on {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}: make a new one and upload its public key to the app registration."
            : null;
        if (why is not null)
        {
            certificate.Dispose();
            problem = ("clientCertificate", why);
            return null;
        }

        return certificate;
    }

    /// <summary>What the bytes are; on Linux, bytes that are no certificate format at all throw instead of answering Unknown.</summary>
    private static X509ContentType ContentType(byte[] data)
    {
        try
        {
            return X509Certificate2.GetCertContentType(data);
        }
        catch (CryptographicException)
        {
            return X509ContentType.Unknown;
        }
    }

    /// <summary>The one secret a batch seals for the certificate: the file and its password together.</summary>
    public static Secret Seal(string pfxBase64, string? password) =>
        new(JsonSerializer.Serialize(new Dictionary<string, string?> { [PfxProperty] = pfxBase64, [PasswordProperty] = password }));

    /// <summary>The certificate of a secret made by <see cref="Seal"/>.</summary>
    /// <exception cref="ArgumentException">The secret is not a sealed certificate, or it no longer opens.</exception>
    public static X509Certificate2 Open(Secret credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        Dictionary<string, string?>? parts;
        try
        {
            parts = JsonSerializer.Deserialize<Dictionary<string, string?>>(credential.Reveal());
        }
        catch (JsonException)
        {
            parts = null;
        }

        return parts is not null && parts.TryGetValue(PfxProperty, out var pfx)
            && Load(pfx, parts.GetValueOrDefault(PasswordProperty), DateTimeOffset.MinValue, out _) is { } certificate
            ? certificate
            : throw new ArgumentException("The batch's sealed credential is not a certificate that opens.", nameof(credential));
    }
}
