using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace MailImport.Workflow.Api;

/// <summary>What a request body claims to be, by its Content-Type. A body is read only as what it claims: one sent
/// as something a call does not take is refused with 415 naming the types it takes, never read as a default
/// (https://www.rfc-editor.org/rfc/rfc9110#name-415-unsupported-media-type). curl -d without -H 'Content-Type: ...'
/// sends application/x-www-form-urlencoded (https://curl.se/docs/manpage.html#-d), so a JSON body sent that way
/// arrives as a form whose one field name is the JSON; the form readers refuse it with 400 saying so.</summary>
internal static class RequestContentTypes
{
    /// <summary>The media types of a start.</summary>
    public const string StartTypes = "multipart/form-data (file + settings) or application/json (settings + entries)";

    /// <summary>The media types of a re-run.</summary>
    public const string RerunTypes = "application/json ({\"mode\", \"entries\"}), multipart/form-data (mode + file) or application/x-www-form-urlencoded (mode), or no body";

    /// <summary>The media type of a schedule change.</summary>
    public const string ScheduleTypes = "application/json ({\"schedule\"})";

    /// <summary>application/json, or a structured syntax suffix +json (RFC 6839 §3.1).</summary>
    public static bool IsJson(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.MediaType.Value?.EndsWith("+json", StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>Whether any body comes, for a request whose type no reader takes: a chunked body has no
    /// Content-Length, so one byte is read; the request is refused or taken without a body either way.</summary>
    public static async Task<bool> HasBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } length)
        {
            return length > 0;
        }

        var first = new byte[1];
        return await request.Body.ReadAsync(first, cancellationToken) > 0;
    }

    /// <summary>415 naming the type sent (when it parses as one) and the types the call takes.</summary>
    public static IResult Unsupported(HttpRequest request, string accepted)
    {
        var sent = string.IsNullOrEmpty(request.ContentType)
            ? "no Content-Type"
            : MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Length <= 80
                ? $"Content-Type {type.MediaType}"
                : "a Content-Type that is not a media type";
        return Results.Json(new ApiError($"The body came with {sent}; this call takes {accepted}."), ApiAnswers.Json, statusCode: StatusCodes.Status415UnsupportedMediaType);
    }
}
