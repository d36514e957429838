using MailImport.Testing;

namespace MailImport.Workflow.Tests.EndToEnd;

/// <summary>Real servers for the workflow's end-to-end tests: their own Dovecot source and destination (the
/// destination's passwd-file is the Dovecot directory) and their own Azurite.</summary>
public sealed class WorkflowServersFixture
{
    public WorkflowServersFixture()
    {
        DovecotServer.Install();
        Source = DovecotServer.Start("mi-wf-source", 26000);
        Destination = DovecotServer.Start("mi-wf-dest", 27000);
        Azurite = AzuriteServer.Start("workflow-tests", 28000);
    }

    public DovecotServer Source { get; }

    public DovecotServer Destination { get; }

    public AzuriteServer Azurite { get; }
}

[CollectionDefinition(Name)]
public sealed class WorkflowServers : ICollectionFixture<WorkflowServersFixture>
{
    public const string Name = "Workflow servers";
}
