using System.ComponentModel.DataAnnotations;

namespace MailImport.Mail.Connections;

/// <summary>Settings for every connection the engine opens (the hosts bind them from MailImport:Connector).</summary>
public sealed class ConnectorOptions
{
    /// <summary>How long one network operation may take before it counts as a timeout.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Connections open at once to one source account whose provider publishes no figure (presets name
    /// theirs, <see cref="Core.Sources.SourceLimits"/>): Dovecot's own default per user and address
    /// (mail_max_userip_connections = 10, https://doc.dovecot.org/2.3/settings/core/#mail-max-userip-connections).
    /// The workflow counts it across every batch and host sharing the storage account (Workflow.Activities.ConcurrencyLimits);
    /// the connector itself opens what it is asked to.</summary>
    [Range(1, 1000)]
    public int ConnectionsPerSourceAccount { get; init; } = 10;

    /// <summary>Megabytes (MiB) of message bytes the whole process holds in memory at once, across every copy it
    /// runs: messages beyond it, and every message over 1 MiB, wait for their APPEND in encrypted spool files instead
    /// (<see cref="Sync.MessageSpool"/>).</summary>
    [Range(1, 4096)]
    public int InFlightMegabytes { get; init; } = 32;

    /// <summary>Folder for protocol logs (secrets redacted); null or empty for none.</summary>
    public string? ProtocolLogDirectory { get; init; }
}
