using System.ComponentModel.DataAnnotations;

namespace MailImport.Mail.Connections;

/// <summary>Settings for every connection the engine opens (the hosts bind them from MailImport:Connector).</summary>
public sealed class ConnectorOptions
{
    /// <summary>How long one network operation may take before it counts as a timeout.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Folder for protocol logs (secrets redacted); null or empty for none.</summary>
    public string? ProtocolLogDirectory { get; init; }
}
