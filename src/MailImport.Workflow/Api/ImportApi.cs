using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MailImport.Core.Batches;
using MailImport.Core.Credentials;
using MailImport.Infrastructure.Settings;
using MailImport.Infrastructure.Storage;
using MailImport.Mail.Connections;
using MailImport.Workflow.Activities;
using MailImport.Workflow.Hosting;
using MailImport.Workflow.Orchestrations;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace MailImport.Workflow.Api;

/// <summary>The HTTP API's handlers, shared by the Functions app and the local host: validate, hand off, answer.</summary>
/// <remarks>
/// POST /api/imports (multipart: file + settings JSON; or JSON with entries), GET /api/imports/{id},
/// GET /api/imports/{id}/report (JSON, or CSV by Accept or ?format=csv), POST /api/imports/{id}/rerun,
/// POST /api/imports/{id}/schedule, POST /api/imports/{id}/close. File-level problems answer 400 at once; nothing is stored for them.
/// </remarks>
public sealed partial class ImportApi(
    BatchStorage storage,
    IWorkflowEngine engine,
    BatchRuns runs,
    BatchSteps batchSteps,
    IOptions<WorkflowOptions> workflow,
    IOptions<ApiOptions> api,
    SourceAccessPolicy sourceAccess)
{
    /// <summary>The largest request body: the credential file's limit plus room for the settings.</summary>
    public const long MaxBodyBytes = CredentialFile.MaxBytes + 64 * 1024;

    private static readonly JsonSerializerOptions Json = ApiAnswers.Json;

    /// <summary>True when the request carries the API key; compared in constant time.</summary>
    public bool IsAuthorized(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = api.Value.Key;
        var given = request.Headers["x-functions-key"].FirstOrDefault() ?? request.Query["code"].FirstOrDefault();
        return key.Length > 0 && given is not null
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(key));
    }

    private async Task<BatchDefinition?> LoadAsync(string id, CancellationToken cancellationToken) =>
        BatchStorage.IsBatchId(id) ? await storage.LoadBatchAsync(id, cancellationToken) : null;
}
