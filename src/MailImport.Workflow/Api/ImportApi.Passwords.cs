using System.Globalization;
using System.Text;
using System.Text.Json;
using MailImport.Core.Reports;
using MailImport.Infrastructure.Storage;
using Microsoft.AspNetCore.Http;

namespace MailImport.Workflow.Api;

/// <summary>The handler that hands out the destination passwords MailImport generated, once.</summary>
public sealed partial class ImportApi
{
    /// <summary>GET /api/imports/{id}/passwords: CSV <c>line,login,password</c> of every generated password not yet
    /// downloaded, each deleted as it is answered; 410 Gone once they were downloaded (or the batch closed), 404 when the
    /// batch has none.</summary>
    /// <remarks>The answer says <c>Cache-Control: no-store</c> (RFC 9111 §5.2.2.5): no cache on the way may keep it.</remarks>
    private async Task<IResult> TakePasswordsAsync(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, cancellationToken) is not { } batch)
        {
            return ApiAnswers.NotFound();
        }

        if (batch.Closed)
        {
            return Gone("The batch is closed: its generated passwords were deleted with its other secrets.");
        }

        var taken = await secrets.TakeGeneratedAsync(id, cancellationToken);
        var marker = BatchStorage.GeneratedPasswordsFetchedName(id);
        var fetched = await storage.LoadRecordAsync(marker, cancellationToken);
        if (taken.Count == 0)
        {
            return fetched is { } last && JsonSerializer.Deserialize<PasswordsFetched>(last.Content.ToMemory().Span, Json) is { } when
                ? Gone($"The generated passwords were downloaded at {when.At:u} and deleted then: each is handed out once. A lost one can be reset in the destination's admin console.")
                : Results.Json(new ApiError("MailImport has generated no password for this batch yet: it makes one when it creates a mailbox for a line that gives none."), Json, statusCode: StatusCodes.Status404NotFound);
        }

        await storage.SaveRecordAsync(marker, new BinaryData(JsonSerializer.SerializeToUtf8Bytes(new PasswordsFetched(time.GetUtcNow(), taken.Count), Json)), fetched?.ETag, cancellationToken);
        var csv = new StringBuilder("line,login,password\r\n");
        foreach (var password in taken)
        {
            csv.Append(password.Line.ToString(CultureInfo.InvariantCulture)).Append(',').Append(BatchReportFormats.Cell(password.Login))
                .Append(',').Append(BatchReportFormats.Cell(password.Password.Reveal())).Append("\r\n");
        }

        request.HttpContext.Response.Headers.CacheControl = "no-store";
        return Results.File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv; charset=utf-8", $"mailimport-{id}-passwords.csv");
    }

    private static IResult Gone(string reason) => Results.Json(new ApiError(reason), Json, statusCode: StatusCodes.Status410Gone);

    /// <summary>When the generated passwords were last downloaded, and how many: no password in it.</summary>
    private sealed record PasswordsFetched(DateTimeOffset At, int Count);
}
