using MailImport.Testing;

namespace MailImport.Mail.Tests.Faults;

/// <summary>The fault tests' own Dovecot pair, so cutting connections never disturbs another test's servers.</summary>
public sealed class FaultServersFixture
{
    public FaultServersFixture()
    {
        DovecotServer.Install();
        Source = DovecotServer.Start("mi-fault-source", 14000);
        Destination = DovecotServer.Start("mi-fault-dest", 15000);
    }

    public DovecotServer Source { get; }

    public DovecotServer Destination { get; }
}

/// <summary>The tests that share <see cref="FaultServersFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class FaultServers : ICollectionFixture<FaultServersFixture>
{
    public const string Name = "Faults";
}
