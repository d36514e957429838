namespace MailImport.Core.Sources;

/// <summary>How MailImport logs in to every source mailbox of a batch; it also decides the credential file's grammar.</summary>
public enum SourceAuthenticationType
{
    /// <summary>Each line gives the mailbox's password (LOGIN, or USER/PASS).</summary>
    Password,

    /// <summary>A Google Workspace service account with domain-wide delegation gets a token for each mailbox (XOAUTH2).</summary>
    GoogleServiceAccount,

    /// <summary>A Microsoft Entra app with IMAP.AccessAsApp / POP.AccessAsApp gets one token for the tenant (XOAUTH2).</summary>
    MicrosoftAppOnly,
}

/// <summary>What the authentication type means for the credential lines.</summary>
public static class SourceAuthenticationTypes
{
    /// <summary>True when the source is reached with tokens, so the lines carry no source password.</summary>
    public static bool UsesTokens(this SourceAuthenticationType type) => type != SourceAuthenticationType.Password;
}
