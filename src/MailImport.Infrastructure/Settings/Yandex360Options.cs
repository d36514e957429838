using System.ComponentModel.DataAnnotations;
using MailImport.Infrastructure.Secrets;

namespace MailImport.Infrastructure.Settings;

/// <summary>Where the Yandex 360 Directory API is and which organisation to manage.</summary>
/// <remarks>
/// The OAuth token is not an option: options are configuration and end up in logs and app settings, so they carry
/// only the <see cref="TokenSecretName"/> and the token itself is read from the <see cref="ISecretStore"/>.
/// </remarks>
public sealed class Yandex360Options
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "MailImport:Yandex360";

    /// <summary>Where the Directory API's v1 organisations are: the URL the organisation id is appended to. The v1
    /// methods are served on the current host under <c>/v1/api360/directory/org/</c>
    /// (https://yandex.ru/dev/api360/doc/ru/directory/index-v1); the legacy host's form,
    /// <c>https://api360.yandex.net/directory/v1/org/</c>, works too. Tests point this at a local stand-in.</summary>
    [Required]
    public Uri DirectoryUrl { get; set; } = new("https://cloud-api.yandex.net/v1/api360/directory/org/");

    /// <summary>The organisation id shown in the Yandex 360 admin console.</summary>
    [Range(0, long.MaxValue)]
    public long OrgId { get; set; }

    /// <summary>The name of the secret that holds the OAuth token (scopes <c>directory:read_domains</c>,
    /// <c>directory:read_users</c>, <c>directory:write_users</c>).</summary>
    [Required(AllowEmptyStrings = false)]
    public string TokenSecretName { get; set; } = "yandex360-oauth-token";

    /// <summary>The department new mailboxes go to; 1 is the organisation's root department ("All employees").</summary>
    [Range(1, long.MaxValue)]
    public long DepartmentId { get; set; } = 1;

    /// <summary>How many users one page of the user list asks for.</summary>
    [Range(1, int.MaxValue)]
    public int PageSize { get; set; } = 1000;

    /// <summary>The ClientID of the organisation's service application that MailImport writes mail as; empty for
    /// none. With one, the destination's IMAP is reached with a per-employee OAuth token (XOAUTH2, scope
    /// <c>mail:imap_full</c>) that Yandex ID issues to the application, so an employee whose password MailImport does
    /// not know can be filled, and no destination password is kept once the mailbox exists
    /// (https://yandex.ru/support/yandex-360/business/admin/ru/security-service-applications).</summary>
    public string? ServiceApplicationClientId { get; set; }

    /// <summary>The name of the secret that holds the service application's client secret.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ServiceApplicationSecretName { get; set; } = "yandex360-service-app-secret";

    /// <summary>Yandex ID's token endpoint, where the service application exchanges an employee's e-mail for a token
    /// (https://yandex.ru/dev/id/doc/ru/tokens/refresh-client: the same <c>POST /token</c>). Tests point this at a
    /// local stand-in.</summary>
    [Required]
    public Uri TokenUrl { get; set; } = new("https://oauth.yandex.ru/token");

    /// <summary>True when a service application is configured.</summary>
    public bool HasServiceApplication => !string.IsNullOrWhiteSpace(ServiceApplicationClientId);
}
