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

    /// <summary>The API host serving <c>/directory/v1/org/{orgId}/...</c>. Yandex calls <c>api360.yandex.net</c> its
    /// legacy host (still fully supported, no longer updated); <c>cloud-api.yandex.net</c> serves these methods under
    /// another path prefix, which this adapter does not speak yet. Tests point this at a local stand-in.</summary>
    [Required]
    public Uri BaseUrl { get; set; } = new("https://api360.yandex.net");

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
}
