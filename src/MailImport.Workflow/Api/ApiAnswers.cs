using System.Text.Json;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using Microsoft.AspNetCore.Http;

namespace MailImport.Workflow.Api;

/// <summary>The refusals more than one handler or reader gives; every body is JSON in the report's format.</summary>
internal static class ApiAnswers
{
    /// <summary>The API's JSON: the report's, so a status line and a report line read alike.</summary>
    public static readonly JsonSerializerOptions Json = BatchReportFormats.Json;

    public static IResult BadRequest(ApiError error) => Results.Json(error, Json, statusCode: StatusCodes.Status400BadRequest);

    public static IResult NotFound() => Results.Json(new ApiError("There is no import with that id."), Json, statusCode: StatusCodes.Status404NotFound);

    public static IResult TooLarge() =>
        Results.Json(new ApiError($"The request is larger than {ImportApi.MaxBodyBytes / (1024 * 1024)} MB."), Json, statusCode: StatusCodes.Status413PayloadTooLarge);

    public static IResult BatchClosed() => Conflict(ErrorCatalog.Get(ErrorCode.BatchClosed).Summary);

    public static IResult Conflict(string error) => Results.Json(new ApiError(error), Json, statusCode: StatusCodes.Status409Conflict);
}
