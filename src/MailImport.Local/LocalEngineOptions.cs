using System.ComponentModel.DataAnnotations;

namespace MailImport.Local;

/// <summary>The local host's own engine settings, under MailImport:Local.</summary>
public sealed class LocalEngineOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "MailImport:Local";

    /// <summary>The name this host's engine holds its task hub partitions' leases under. Hosts that share one task hub
    /// (one storage account, the one MailImport:TaskHubConnectionString names if set, and MailImport:TaskHub) must each have their own: the lease balancer counts partitions per
    /// name, so hosts of one name would count as one worker. A host restarted under its name takes its partitions back
    /// at once instead of waiting for the old leases to expire.</summary>
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$", ErrorMessage = "A worker id is 1 to 63 letters, digits, '.', '_' and '-', starting with a letter or digit.")]
    public string WorkerId { get; set; } = "mailimport-local";
}
