using System.Security.Cryptography;

namespace MailImport.Infrastructure.Secrets;

/// <summary>The key of <see cref="EncryptedBlobSecretStore"/> kept in a file of its own: made (32 random bytes, base64)
/// the first time a host starts without a configured key, and read on every later start, so no key ships in sample
/// settings and none is typed into a settings file.</summary>
/// <remarks>The file is created with mode 0600 in a directory created with mode 0700, both at creation (never chmod
/// after writing, which would leave a moment when others could read it): only the host's user can read it, as
/// ssh keeps its private keys (https://man7.org/linux/man-pages/man1/ssh-keygen.1.html, FILES). Losing the file loses
/// every secret stored with it, as losing a configured key does.</remarks>
public static class LocalSecretKeyFile
{
    private const int KeyBytes = 32;

    /// <summary>The key in <paramref name="path"/>, made first when there is no such file; <c>Created</c> says which.</summary>
    /// <exception cref="InvalidOperationException">The file is there but holds no 256-bit base64 key.</exception>
    public static (byte[] Key, bool Created) ReadOrCreate(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        path = Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            var directory = Path.GetDirectoryName(path)!;
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                // The mode applies to directories this call creates; one that exists keeps its own.
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var key = RandomNumberGenerator.GetBytes(KeyBytes);
            try
            {
                // CreateNew: two hosts starting at once cannot both write a key; the second reads the first's.
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using (var file = new FileStream(path, options))
                using (var writer = new StreamWriter(file))
                {
                    writer.WriteLine(Convert.ToBase64String(key));
                    writer.Flush();
                    file.Flush(flushToDisk: true);
                }

                return (key, true);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Made by another start meanwhile: read below.
                CryptographicOperations.ZeroMemory(key);
            }
        }

        return (Read(path), false);
    }

    private static byte[] Read(string path)
    {
        var text = File.ReadAllText(path).Trim();
        var key = new byte[KeyBytes + 1];
        if (!Convert.TryFromBase64String(text, key, out var length) || length != KeyBytes)
        {
            throw new InvalidOperationException(
                $"The local secret key file {path} does not hold a 256-bit key in base64. Restore it, or delete it to have a new key made (the secrets stored with the old one must then be stored again).");
        }

        return key[..KeyBytes];
    }
}
