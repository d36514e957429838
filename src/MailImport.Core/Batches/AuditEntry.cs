namespace MailImport.Core.Batches;

/// <summary>One call of the HTTP API as the batch's audit trail keeps it: who, what, on which batch, and the answer.
/// It names the caller by id only; no key, token or password ever goes in.</summary>
/// <param name="At">When the answer was given.</param>
/// <param name="Caller">"api-key", or the token's object id as "oid:{guid}".</param>
/// <param name="AppId">The client application of a token (its <c>azp</c> or <c>appid</c>); null for the key.</param>
/// <param name="Action">start, rerun, schedule, close, status or report.</param>
/// <param name="BatchId">The batch.</param>
/// <param name="Status">The HTTP status code answered.</param>
public sealed record AuditEntry(DateTimeOffset At, string Caller, string? AppId, string Action, string BatchId, int Status);
