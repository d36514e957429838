using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using MailImport.Infrastructure.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace MailImport.Workflow.Api;

/// <summary>POST /api/imports with an Idempotency-Key header
/// (https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/): the same key from the same caller
/// within <see cref="Lifetime"/> answers the batch the first request started, without a second one.</summary>
/// <remarks>
/// The key's record is a blob named by a SHA-256 of the caller and the key, written create-only so of two concurrent
/// requests with one key exactly one starts a batch. It keeps a SHA-256 of the request body (never the body: it holds
/// passwords) to answer 422 to the same key with a different body (the draft's section 2.7), and the started batch's
/// ids and counts to answer a repeat. A repeat while the first is still being handled gets 409, as the draft says.
/// </remarks>
internal static class IdempotentStarts
{
    /// <summary>The header's name.</summary>
    public const string Header = "Idempotency-Key";

    /// <summary>The longest key taken: a UUID or a ULID fits many times over.</summary>
    public const int MaxKeyLength = 128;

    /// <summary>How long a key answers the batch it started (the draft leaves the expiry to the server).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    /// <summary>How long a key's first request may take before a repeat takes the key over (the first died).</summary>
    private static readonly TimeSpan Abandoned = TimeSpan.FromMinutes(5);

    private static readonly JsonSerializerOptions Json = ApiAnswers.Json;

    /// <summary>Reads the header and claims its key. No header: (null, null, null), and the request goes on as always.</summary>
    /// <returns>The claim to complete when this request starts the batch; or the run a previous request with the key
    /// started, to answer again; or the refusal to answer (400 for a bad key, 409, 422).</returns>
    public static async Task<(IdempotencyClaim? Claim, StartedRun? Replay, IResult? Refusal)> ClaimAsync(
        BatchStorage storage, TimeProvider time, HttpRequest request, ApiCaller caller, long maxBodyBytes, CancellationToken cancellationToken)
    {
        var values = request.Headers[Header];
        if (values.Count == 0)
        {
            return (null, null, null);
        }

        if (KeyOf(values) is not { } key)
        {
            return (null, null, ApiAnswers.BadRequest(new ApiError("The request was not accepted.",
                [new ApiProblem(Header, "IdempotencyKeyInvalid", $"Give one key of 1 to {MaxKeyLength} printable ASCII characters, such as a UUID, quoted (\"...\") or bare.")])));
        }

        if (await BodySha256Async(request, maxBodyBytes, cancellationToken) is not { } bodyHash)
        {
            // Over the size limit: the start refuses it with 413 and nothing is recorded.
            return (null, null, null);
        }

        var name = BatchStorage.IdempotencyRecordName(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{caller.Id}\n{key}"))));
        var now = time.GetUtcNow();
        while (true)
        {
            var stored = await storage.LoadRecordAsync(name, cancellationToken);
            var record = stored is { } s ? JsonSerializer.Deserialize<IdempotencyRecord>(s.Content.ToMemory().Span, Json) : null;
            var fresh = record is not null && now - record.CreatedAt < Lifetime && (record.Run is not null || now - record.CreatedAt < Abandoned);
            if (fresh)
            {
                if (!string.Equals(record!.BodySha256, bodyHash, StringComparison.Ordinal))
                {
                    return (null, null, Results.Json(new ApiError($"This {Header} was used with a different request; use a new key for a new import."), Json,
                        statusCode: StatusCodes.Status422UnprocessableEntity));
                }

                return record.Run is { } run
                    ? (null, run, null)
                    : (null, null, ApiAnswers.Conflict($"A request with this {Header} is still being handled; ask again in a moment."));
            }

            var claim = new IdempotencyRecord(bodyHash, now, null);
            if (await storage.SaveRecordAsync(name, new BinaryData(JsonSerializer.SerializeToUtf8Bytes(claim, Json)), stored?.ETag, cancellationToken))
            {
                var written = (await storage.LoadRecordAsync(name, cancellationToken))?.ETag;
                return (new IdempotencyClaim(storage, name, claim, written), null, null);
            }

            // Another request with the key wrote first: answer from what it wrote.
        }
    }

    /// <summary>The key in the header (a Structured Field string, RFC 8941 section 3.3.3, or the bare token clients
    /// often send), or null when there is not exactly one acceptable key.</summary>
    internal static string? KeyOf(Microsoft.Extensions.Primitives.StringValues values)
    {
        if (values.Count != 1 || values[0] is not { } raw)
        {
            return null;
        }

        var key = raw.Length >= 2 && raw[0] == '"' && raw[^1] == '"' ? raw[1..^1] : raw;
        return key.Length is > 0 and <= MaxKeyLength && key.All(c => c is > ' ' and <= '~' and not '"' and not '\\') ? key : null;
    }

    /// <summary>The SHA-256 of the request body, the body left to be read again; null when it is over the limit. A
    /// multipart body is hashed part by part (each part's headers and content, not the boundary): a client repeating a
    /// form writes it with a new boundary (RFC 7578 section 4.1 has it chosen per message), and the repeat is the same
    /// request all the same.</summary>
    private static async Task<string?> BodySha256Async(HttpRequest request, long maxBodyBytes, CancellationToken cancellationToken)
    {
        request.EnableBuffering();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var withinLimit = await HashAsync(request.Body, hash, maxBodyBytes, cancellationToken);
        request.Body.Position = 0;
        if (!withinLimit)
        {
            return null;
        }

        var raw = hash.GetHashAndReset();
        if (MediaTypeHeaderValue.TryParse(request.ContentType, out var media) && HeaderUtilities.RemoveQuotes(media.Boundary).Value is { Length: > 0 } boundary)
        {
            try
            {
                var reader = new MultipartReader(boundary, request.Body);
                while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
                {
                    foreach (var (name, value) in section.Headers ?? [])
                    {
                        hash.AppendData(Encoding.UTF8.GetBytes($"{name.ToUpperInvariant()}: {value}\n"));
                    }

                    hash.AppendData("\n"u8);
                    await HashAsync(section.Body, hash, maxBodyBytes, cancellationToken);
                    hash.AppendData("\n--\n"u8);
                }

                raw = hash.GetHashAndReset();
            }
            catch (IOException)
            {
                // Not a well-formed multipart body: the start refuses it, and its bytes stand for it here.
            }
            finally
            {
                request.Body.Position = 0;
            }
        }

        return Convert.ToHexStringLower(raw);
    }

    /// <summary>Adds a stream's bytes to the hash; false once more than <paramref name="maxBytes"/> have come.</summary>
    private static async Task<bool> HashAsync(Stream stream, IncrementalHash hash, long maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > maxBytes)
            {
                return false;
            }

            hash.AppendData(buffer, 0, read);
        }

        return true;
    }
}

/// <summary>What an Idempotency-Key's record holds: no body, no password, no key.</summary>
/// <param name="BodySha256">The SHA-256 of the first request's body, in hex.</param>
/// <param name="CreatedAt">When the first request claimed the key.</param>
/// <param name="Run">The batch it started; null while it is being handled.</param>
internal sealed record IdempotencyRecord(string BodySha256, DateTimeOffset CreatedAt, StartedRun? Run);

/// <summary>A key this request holds: completed with the batch it started, or released when it started none.</summary>
internal sealed class IdempotencyClaim(BatchStorage storage, string name, IdempotencyRecord record, ETag? etag)
{
    /// <summary>Records the batch the request started, for repeats to answer.</summary>
    public Task CompleteAsync(StartedRun run, CancellationToken cancellationToken) =>
        storage.SaveRecordAsync(name, new BinaryData(JsonSerializer.SerializeToUtf8Bytes(record with { Run = run }, ApiAnswers.Json)), etag, cancellationToken);

    /// <summary>Frees the key: the request was refused, so a corrected one may use it.</summary>
    public Task ReleaseAsync(CancellationToken cancellationToken) =>
        etag is { } version ? storage.DeleteRecordAsync(name, version, cancellationToken) : Task.CompletedTask;
}
