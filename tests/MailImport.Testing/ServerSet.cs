namespace MailImport.Testing;

/// <summary>A Dovecot source, a Dovecot destination and an Azurite of their own, for one test project's end-to-end
/// tests; each project names and numbers its own so projects running side by side never share a server.</summary>
public class ServerSet
{
    /// <summary>Starts (or finds running) "{prefix}-source" on portBase, "{prefix}-dest" on portBase+1000 and an Azurite
    /// on portBase+2000.</summary>
    protected ServerSet(string prefix, int portBase)
    {
        DovecotServer.Install();
        Source = DovecotServer.Start($"{prefix}-source", portBase);
        Destination = DovecotServer.Start($"{prefix}-dest", portBase + 1000);
        Azurite = AzuriteServer.Start($"{prefix}-tests", portBase + 2000);
    }

    public DovecotServer Source { get; }

    public DovecotServer Destination { get; }

    public AzuriteServer Azurite { get; }
}
