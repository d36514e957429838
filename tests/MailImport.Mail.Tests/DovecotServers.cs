using MailImport.Testing;

namespace MailImport.Mail.Tests;

/// <summary>The tests that share the Dovecot instances (xunit needs the definition in the test assembly).</summary>
[CollectionDefinition(Name)]
public sealed class DovecotServers : ICollectionFixture<DovecotFixture>
{
    public const string Name = "Dovecot";
}
