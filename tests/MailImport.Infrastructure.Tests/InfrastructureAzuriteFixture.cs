using MailImport.Testing;

namespace MailImport.Infrastructure.Tests;

/// <summary>An Azurite of this project's own (blob, queue and table ports 25000-25002), started through scripts/azurite
/// or found running.</summary>
public sealed class InfrastructureAzuriteFixture
{
    public AzuriteServer Server { get; } = AzuriteServer.Start("mi-infra-tests", 25000);
}
