namespace MailImport.Infrastructure.SourceTokens;

/// <summary>What the source token providers share: how long before expiry a token is no longer handed out.</summary>
internal static class SourceTokenLifetimes
{
    /// <summary>A token within this of its expiry is fetched anew: a chunk that starts with it must be able to finish.
    /// MSAL refreshes its own cache by the same rule (five minutes before expiry).</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromMinutes(5);

    /// <summary>A token service's words, cut to a length a report line takes.</summary>
    public static string Shorten(string text) => text.Length <= 300 ? text : string.Concat(text.AsSpan(0, 300), "…");
}
