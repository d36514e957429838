namespace MailImport.Infrastructure.Settings;

/// <summary>Settings of the HTTP API.</summary>
public sealed class ApiOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "MailImport:Api";

    /// <summary>The key every call must present (x-functions-key header or code query), as in Azure Functions.</summary>
    public string Key { get; set; } = "";
}
