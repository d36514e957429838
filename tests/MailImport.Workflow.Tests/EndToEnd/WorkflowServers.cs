using MailImport.StandIns.Yandex360;
using MailImport.Testing;

namespace MailImport.Workflow.Tests.EndToEnd;

/// <summary>Real servers for the workflow's end-to-end tests: their own Dovecot source and destination (the
/// destination's passwd-file is the Dovecot directory) and their own Azurite; and a Dovecot that plays Yandex Mail
/// for the Yandex 360 stand-in, taking the passwords the stand-in gives its employees and the tokens it issues.</summary>
public sealed class WorkflowServersFixture : ServerSet
{
    public WorkflowServersFixture()
        : base("mi-wf", 26000)
    {
        // Dovecot's oauth2 passdb asks the stand-in about each token: its URL is part of the instance's configuration,
        // so the stand-in listens on a fixed port.
        YandexStandInPort = TestPorts.Shift(24500);
        YandexMail = DovecotServer.Start("mi-wf-yandex", 24000, "--oauth2-introspection", Yandex360StandIn.IntrospectionUrl(YandexStandInPort));
    }

    /// <summary>The mail store of the Yandex 360 stand-in.</summary>
    public DovecotServer YandexMail { get; }

    /// <summary>The port the Yandex 360 stand-in must listen on for <see cref="YandexMail"/> to reach it.</summary>
    public int YandexStandInPort { get; }
}

[CollectionDefinition(Name)]
public sealed class WorkflowServers : ICollectionFixture<WorkflowServersFixture>
{
    public const string Name = "Workflow servers";
}
