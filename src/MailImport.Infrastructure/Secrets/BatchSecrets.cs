using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MailImport.Core;
using MailImport.Core.Credentials;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.Storage;
using Microsoft.Extensions.Options;

namespace MailImport.Infrastructure.Secrets;

/// <summary>Which password of a credential line.</summary>
public enum LinePassword
{
    /// <summary>The password at the source server.</summary>
    Source,

    /// <summary>The password of the destination mailbox.</summary>
    Destination,

    /// <summary>A destination password MailImport made for a line that gave none, kept for the admin to download once.</summary>
    Generated,
}

/// <summary>The passwords of a batch, envelope-encrypted: one random 256-bit data key per batch is the only secret in
/// the <see cref="ISecretStore"/> (<see cref="SecretNames.BatchKey"/>), and each line's passwords are sealed with it
/// (AES-256-GCM) in one blob of the line in the batch's storage.</summary>
/// <remarks>
/// <para>So ingesting 20,000 lines is one vault write and 20,000 blob writes made a few at a time, not 40,000 vault
/// writes one after another; the envelope layout is the one Key Vault's own guidance describes for data kept outside
/// it (https://learn.microsoft.com/azure/security/fundamentals/encryption-atrest).</para>
/// <para>Each password is sealed with a fresh 96-bit nonce, and the associated data names the batch, the line and the
/// password (<c>mailimport/line-password/v1/{batch}/{line}/src|dst</c>), so a sealed password copied to another line,
/// swapped between source and destination, or taken into another batch does not decrypt. Before sealing, a password
/// is padded to a multiple of 64 bytes, so the blobs do not tell the passwords' lengths.</para>
/// <para>Deleting the data key alone makes every password of the batch unreadable, whatever blobs are left
/// (crypto-shredding): close deletes the key first, then the blobs. The key expires <see cref="KeyExpiryMargin"/>
/// after the batch's idle time ends (<see cref="WorkflowOptions.BatchIdleClose"/>), counted from ingestion and moved
/// on by each run (<see cref="ExtendAsync"/>), so an abandoned batch's passwords become unreadable by themselves.</para>
/// <para>The unwrapped key is kept in this process's memory for <see cref="KeyCacheLifetime"/> at most, so a batch's
/// thousands of steps do not each read the vault; it is held in a type that never serialises or prints itself.</para>
/// </remarks>
public sealed partial class BatchSecrets(BatchStorage storage, ISecretStore store, IOptions<WorkflowOptions> workflow, TimeProvider clock)
{
    /// <summary>How long after a batch's idle time its data key still lives: a run or a close that starts just before
    /// the idle time ends still finds it.</summary>
    public static readonly TimeSpan KeyExpiryMargin = TimeSpan.FromDays(1);

    /// <summary>How long an unwrapped data key stays in memory after it was read from the store.</summary>
    public static readonly TimeSpan KeyCacheLifetime = TimeSpan.FromMinutes(5);

    private const int KeyBytes = 32;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const int PadBlock = 64;

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private readonly ConcurrentDictionary<string, DataKey> keys = new(StringComparer.Ordinal);

    /// <summary>Seals and stores the passwords of <paramref name="entries"/> (their line numbers are the batch's),
    /// making the batch's data key first if it has none.</summary>
    public async Task WriteAsync(string batchId, IReadOnlyCollection<CredentialEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var key = await GetOrCreateKeyAsync(batchId, cancellationToken);
        await Parallel.ForEachAsync(entries, new ParallelOptions { MaxDegreeOfParallelism = BatchStorage.ParallelRequests, CancellationToken = cancellationToken }, async (entry, ct) =>
        {
            var sealedLine = new SealedLine(
                entry.SourcePassword is { } source ? Seal(key, batchId, entry.LineNumber, LinePassword.Source, source) : null,
                entry.DestinationPassword is { } destination ? Seal(key, batchId, entry.LineNumber, LinePassword.Destination, destination) : null);
            await storage.SaveLineSecretsAsync(batchId, entry.LineNumber, new BinaryData(JsonSerializer.SerializeToUtf8Bytes(sealedLine, Json)), null, ct);
        });
    }

    /// <summary>The line number under which the batch's source credential (a service account's JSON key, an Entra app's
    /// client secret or its certificate) is sealed as the source secret: lines and entries count from 1, so no credential line has it, and
    /// the credential shares the lines' sealing, their crypto-shredding with the data key and their deletion at close.</summary>
    public const int SourceCredentialLine = 0;

    /// <summary>Seals and stores the batch's source credential at upload, making the batch's data key first; from then
    /// on the batch's record and its runs only name it (<see cref="GetSourceCredentialAsync"/>).</summary>
    public async Task WriteSourceCredentialAsync(string batchId, Secret credential, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var key = await GetOrCreateKeyAsync(batchId, cancellationToken);
        var sealedLine = new SealedLine(Seal(key, batchId, SourceCredentialLine, LinePassword.Source, credential), null);
        await storage.SaveLineSecretsAsync(batchId, SourceCredentialLine, new BinaryData(JsonSerializer.SerializeToUtf8Bytes(sealedLine, Json)), null, cancellationToken);
    }

    /// <summary>The batch's source credential; throws <see cref="KeyNotFoundException"/> when it is not kept (the batch
    /// logs in with passwords, or it was closed, or its data key expired).</summary>
    public Task<Secret> GetSourceCredentialAsync(string batchId, CancellationToken cancellationToken) =>
        GetAsync(batchId, SourceCredentialLine, LinePassword.Source, cancellationToken);

    /// <summary>One password of a line; throws <see cref="KeyNotFoundException"/> when it is not kept: never stored, deleted
    /// (the destination password once the mailbox exists), or the batch's data key is gone (closed, or expired).</summary>
    /// <exception cref="CryptographicException">The sealed password was altered or moved from elsewhere.</exception>
    public async Task<Secret> GetAsync(string batchId, int line, LinePassword which, CancellationToken cancellationToken)
    {
        // A generated password has its own record (BatchSecrets.Handouts.cs), not a place in the line's blob.
        ArgumentOutOfRangeException.ThrowIfEqual(which, LinePassword.Generated);
        var key = await GetKeyAsync(batchId, cancellationToken);
        var blob = await storage.LoadLineSecretsAsync(batchId, line, cancellationToken);
        var sealedLine = blob is null ? null : JsonSerializer.Deserialize<SealedLine>(blob.Value.Content.ToMemory().Span, Json);
        var sealedPassword = which == LinePassword.Source ? sealedLine?.Src : sealedLine?.Dst;
        return sealedPassword is null
            ? throw new KeyNotFoundException($"No {which.ToString().ToLowerInvariant()} password is kept for line {line} of batch {batchId}.")
            : Open(key, batchId, line, which, sealedPassword);
    }

    /// <summary>Deletes a line's destination password (its source password stays): once the mailbox exists and mail is
    /// written with tokens, it is needed no more.</summary>
    public async Task DeleteDestinationPasswordAsync(string batchId, int line, CancellationToken cancellationToken)
    {
        while (await storage.LoadLineSecretsAsync(batchId, line, cancellationToken) is { } blob)
        {
            var sealedLine = JsonSerializer.Deserialize<SealedLine>(blob.Content.ToMemory().Span, Json)!;
            if (sealedLine.Dst is null
                || await storage.SaveLineSecretsAsync(batchId, line, new BinaryData(JsonSerializer.SerializeToUtf8Bytes(sealedLine with { Dst = null }, Json)), blob, cancellationToken))
            {
                return;
            }

            // Written again since it was read (a corrected file's line): read it again.
        }
    }

    /// <summary>Seals <paramref name="password"/> as a line's destination password, its source password kept.</summary>
    public async Task SetDestinationPasswordAsync(string batchId, int line, Secret password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(password);
        var key = await GetKeyAsync(batchId, cancellationToken);
        while (true)
        {
            var blob = await storage.LoadLineSecretsAsync(batchId, line, cancellationToken);
            var sealedLine = blob is { } found ? JsonSerializer.Deserialize<SealedLine>(found.Content.ToMemory().Span, Json)! : new SealedLine(null, null);
            var content = new BinaryData(JsonSerializer.SerializeToUtf8Bytes(sealedLine with { Dst = Seal(key, batchId, line, LinePassword.Destination, password) }, Json));
            if (await storage.SaveLineSecretsAsync(batchId, line, content, blob, cancellationToken))
            {
                return;
            }

            // Written again since it was read (a corrected file's line): read it again.
        }
    }

    /// <summary>Moves the expiry of the batch's data key to <see cref="KeyExpiryMargin"/> after <paramref name="until"/>,
    /// the end of the batch's idle time as a run that starts now sets it; false when the batch has no key (none yet, or
    /// closed, or already expired: an expired key is never brought back).</summary>
    public Task<bool> ExtendAsync(string batchId, DateTimeOffset until, CancellationToken cancellationToken) =>
        store.SetExpiryAsync(SecretNames.BatchKey(batchId), until + KeyExpiryMargin, cancellationToken);

    /// <summary>Deletes the batch's data key (from then on no password of the batch can be read) and then every blob of
    /// its sealed passwords; returns how many of these were deleted, the key counting as one.</summary>
    public async Task<int> DeleteAllAsync(string batchId, CancellationToken cancellationToken) =>
        (await DeleteAsync(batchId, int.MaxValue, cancellationToken)).Deleted;

    /// <summary>As <see cref="DeleteAllAsync"/>, with at most <paramref name="blobsAtMost"/> blobs deleted one by one: the
    /// key and the batch's container of sealed passwords go with the first page, whole
    /// (<see cref="BatchStorage.DeleteSealedPasswordsContainerAsync"/>); what is left one blob at a time (the generated
    /// passwords, the sealed passwords of a batch created before its container) goes in pages of that many, each page a
    /// step of its own.</summary>
    /// <returns>How many were deleted, the key and the container counting as one each; and whether blobs may be left
    /// (this page deleted as many as it could).</returns>
    public async Task<(int Deleted, bool More)> DeleteAsync(string batchId, int blobsAtMost, CancellationToken cancellationToken)
    {
        var keyDeleted = await store.DeleteAsync(SecretNames.BatchKey(batchId), cancellationToken);
        // Dropped after the delete: a step that read the key just before it cannot leave it remembered here.
        keys.TryRemove(batchId, out _);
        var containerDeleted = await storage.DeleteSealedPasswordsContainerAsync(batchId, cancellationToken);
        var blobs = await storage.DeleteLineSecretsAsync(batchId, cancellationToken, blobsAtMost);
        return ((keyDeleted ? 1 : 0) + (containerDeleted ? 1 : 0) + blobs, blobs >= blobsAtMost);
    }

    private async Task<DataKey> GetKeyAsync(string batchId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (keys.TryGetValue(batchId, out var cached) && cached.Until > now)
        {
            return cached;
        }

        var secret = await store.GetAsync(SecretNames.BatchKey(batchId), cancellationToken);
        return Remember(batchId, Convert.FromBase64String(secret.Reveal()), now);
    }

    private async Task<DataKey> GetOrCreateKeyAsync(string batchId, CancellationToken cancellationToken)
    {
        try
        {
            return await GetKeyAsync(batchId, cancellationToken);
        }
        catch (KeyNotFoundException)
        {
            // A batch without a key whose lines still have blobs lost its key (it expired): those blobs can never be
            // opened again, so they go before a new key comes, and their lines read as not kept.
            await storage.DeleteLineSecretsAsync(batchId, cancellationToken);
        }

        // A second delivery of the same ingestion comes after the queue's visibility timeout, long after the first one
        // stored the key, and reads that key above.
        var key = RandomNumberGenerator.GetBytes(KeyBytes);
        var now = clock.GetUtcNow();
        await store.SetAsync(SecretNames.BatchKey(batchId), new Secret(Convert.ToBase64String(key)), now + workflow.Value.BatchIdleClose + KeyExpiryMargin, cancellationToken);
        return Remember(batchId, key, now);
    }

    private DataKey Remember(string batchId, byte[] key, DateTimeOffset now)
    {
        if (key.Length != KeyBytes)
        {
            throw new CryptographicException($"The data key of batch {batchId} is not {KeyBytes * 8} bits.");
        }

        var dataKey = new DataKey(key, now + KeyCacheLifetime);
        keys[batchId] = dataKey;
        return dataKey;
    }

    private static string Seal(DataKey key, string batchId, int line, LinePassword which, Secret password)
    {
        var text = Encoding.UTF8.GetBytes(password.Reveal());
        var padded = new byte[(2 + text.Length + PadBlock - 1) / PadBlock * PadBlock];
        BinaryPrimitives.WriteUInt16BigEndian(padded, checked((ushort)text.Length));
        text.CopyTo(padded, 2);
        CryptographicOperations.ZeroMemory(text);
        var sealedBytes = new byte[NonceBytes + TagBytes + padded.Length];
        RandomNumberGenerator.Fill(sealedBytes.AsSpan(0, NonceBytes));
        using (var aes = new AesGcm(key.Bytes, TagBytes))
        {
            aes.Encrypt(sealedBytes.AsSpan(0, NonceBytes), padded, sealedBytes.AsSpan(NonceBytes + TagBytes), sealedBytes.AsSpan(NonceBytes, TagBytes), AssociatedData(batchId, line, which));
        }

        CryptographicOperations.ZeroMemory(padded);
        return Convert.ToBase64String(sealedBytes);
    }

    private static Secret Open(DataKey key, string batchId, int line, LinePassword which, string sealedPassword)
    {
        var sealedBytes = Convert.FromBase64String(sealedPassword);
        if (sealedBytes.Length < NonceBytes + TagBytes + PadBlock)
        {
            throw new CryptographicException($"The sealed {which.ToString().ToLowerInvariant()} password of line {line} is too short.");
        }

        var padded = new byte[sealedBytes.Length - NonceBytes - TagBytes];
        try
        {
            using (var aes = new AesGcm(key.Bytes, TagBytes))
            {
                aes.Decrypt(sealedBytes.AsSpan(0, NonceBytes), sealedBytes.AsSpan(NonceBytes + TagBytes), sealedBytes.AsSpan(NonceBytes, TagBytes), padded, AssociatedData(batchId, line, which));
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(padded);
            return new Secret(Encoding.UTF8.GetString(padded, 2, length));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(padded);
        }
    }

    private static byte[] AssociatedData(string batchId, int line, LinePassword which) =>
        Encoding.UTF8.GetBytes($"mailimport/line-password/v1/{batchId}/{line}/{which switch { LinePassword.Source => "src", LinePassword.Destination => "dst", _ => "gen" }}");

    /// <summary>The blob of one line: its two sealed passwords (nonce | tag | ciphertext, base64); the source's is null for a
    /// source reached with tokens, the destination's null once deleted (or never given).</summary>
    private sealed record SealedLine(string? Src, string? Dst);

    /// <summary>An unwrapped data key and until when this process may keep it; it never prints or serialises itself.</summary>
    [JsonConverter(typeof(RefusingConverter))]
    private sealed class DataKey(byte[] bytes, DateTimeOffset until)
    {
        public byte[] Bytes { get; } = bytes;

        public DateTimeOffset Until { get; } = until;

        public override string ToString() => Secret.Mask;
    }

    private sealed class RefusingConverter : JsonConverter<DataKey>
    {
        public override DataKey Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("A data key is never serialised.");

        public override void Write(Utf8JsonWriter writer, DataKey value, JsonSerializerOptions options) =>
            throw new NotSupportedException("A data key is never serialised.");
    }
}
