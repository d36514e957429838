using System.ComponentModel.DataAnnotations;
using MailImport.Infrastructure.SourceTokens;

namespace MailImport.Infrastructure.Settings;

/// <summary>Where the token services of the OAuth source authentications are: host configuration, so that tests and
/// sovereign clouds reach theirs through the normal settings. The keys and client secrets are never options: they are
/// the batch's, sealed into its secret store at upload.</summary>
public sealed class SourceTokenOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "MailImport:SourceTokens";

    /// <summary>Google's OAuth 2.0 token endpoint for the service account's JWT-bearer grant
    /// (https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests).</summary>
    [Required]
    public Uri GoogleTokenUrl { get; set; } = GoogleServiceAccountTokens.GoogleTokenUrl;

    /// <summary>The Microsoft Entra ID authority host; the tenant id is appended
    /// (https://learn.microsoft.com/en-us/entra/identity-platform/authentication-national-cloud for the other clouds).</summary>
    [Required]
    public Uri MicrosoftAuthorityHost { get; set; } = MicrosoftAppOnlyTokens.MicrosoftAuthorityHost;
}
