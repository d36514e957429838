using MailImport.Testing;

namespace MailImport.Workflow.Tests.EndToEnd;

/// <summary>Real servers for the workflow's end-to-end tests: their own Dovecot source and destination (the
/// destination's passwd-file is the Dovecot directory) and their own Azurite.</summary>
public sealed class WorkflowServersFixture() : ServerSet("mi-wf", 26000);

[CollectionDefinition(Name)]
public sealed class WorkflowServers : ICollectionFixture<WorkflowServersFixture>
{
    public const string Name = "Workflow servers";
}
