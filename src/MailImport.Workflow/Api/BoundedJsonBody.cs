using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;

namespace MailImport.Workflow.Api;

/// <summary>Reads a JSON object body of at most <see cref="ImportApi.MaxBodyBytes"/>, chunked or not, without trusting
/// its Content-Length. The parser's own messages may quote a password, so a refusal gives the expected shape instead.</summary>
internal static class BoundedJsonBody
{
    /// <summary>The body's JSON object (the caller disposes it); null when there is no body.</summary>
    /// <param name="request">The request.</param>
    /// <param name="shape">The expected JSON, as refusals show it.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async Task<(JsonDocument? Document, IResult? Refusal)> ReadAsync(HttpRequest request, string shape, CancellationToken cancellationToken)
    {
        if (request.ContentLength > ImportApi.MaxBodyBytes)
        {
            return (null, ApiAnswers.TooLarge());
        }

        using var buffer = new MemoryStream();
        if (await CopyAtMostAsync(request, buffer, cancellationToken) is { } refusal)
        {
            return (null, refusal);
        }

        return buffer.Length == 0 ? (null, null) : Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), shape);
    }

    /// <summary>Copies the body into <paramref name="buffer"/>; a refusal once it passes the limit.</summary>
    private static async Task<IResult?> CopyAtMostAsync(HttpRequest request, MemoryStream buffer, CancellationToken cancellationToken)
    {
        var chunk = new byte[81920];
        int read;
        try
        {
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > ImportApi.MaxBodyBytes)
                {
                    return ApiAnswers.TooLarge();
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ApiAnswers.TooLarge();
        }

        return null;
    }

    /// <summary>The first property of <paramref name="body"/> that is not one of <paramref name="known"/>, as an
    /// answer may name it; null when there is none.</summary>
    public static string? UnknownField(JsonElement body, params string[] known) =>
        body.EnumerateObject().FirstOrDefault(p => !known.Contains(p.Name, StringComparer.Ordinal)) is { Value.ValueKind: not JsonValueKind.Undefined } unknown
            ? FieldName(unknown.Name)
            : null;

    /// <summary>A serializer error's JSON path (names and indexes only, never a value) as an answer may name it.</summary>
    public static string PathName(string? path) => path is null ? "a field" : FieldName(path);

    /// <summary>A field's name as an answer may quote it: only when it looks like one, since text sent by mistake as
    /// a form (a credential line, say) arrives as a field name.</summary>
    public static string FieldName(string name) =>
        name.Length <= 60 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '$' or '[' or ']')
            ? $"the field \"{name}\""
            : "a field whose name is not shown (it does not look like one)";

    private static (JsonDocument? Document, IResult? Refusal) Parse(ReadOnlyMemory<byte> bytes, string shape)
    {
        // JsonDocument checks UTF-8 inside a string only when the string is read, and then throws.
        if (!Utf8.IsValid(bytes.Span))
        {
            return (null, ApiAnswers.BadRequest(new ApiError($"The body is not UTF-8 text: send {shape} as UTF-8 JSON.")));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException)
        {
            return (null, ApiAnswers.BadRequest(new ApiError($"The body is not well-formed JSON: send {shape}.")));
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            return (null, ApiAnswers.BadRequest(new ApiError($"The body must be a JSON object: send {shape}.")));
        }

        return (document, null);
    }
}
