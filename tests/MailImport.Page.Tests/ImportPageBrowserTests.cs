using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using MailImport.Core;
using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Mail.Connections;
using MailImport.Testing;
using MailImport.Workflow.Api;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace MailImport.Page.Tests;

/// <summary>The import page in Debian's Chromium, driving real imports on the local host (Azurite + Dovecot): what an
/// admin does, from the key to the downloaded report.</summary>
[Collection(PageFixture.Collection)]
public sealed class ImportPageBrowserTests(PageFixture servers)
{
    private const float BatchTimeout = 240_000;

    [Fact]
    public async Task ManualEntry_TwoMailboxesFail_PageShowsErrorAndFix_RerunWithCorrectedFileFinishesAll()
    {
        // The admin's everyday case: one good mailbox, one with a wrong password, one whose username breaks the rules.
        var good = servers.Source.AddUser($"pg{Guid.NewGuid():N}"[..14], "Secret-ok1");
        var wrong = servers.Source.AddUser($"pw{Guid.NewGuid():N}"[..14], "Secret-ok2");
        var renamed = servers.Source.AddUser($"re_{Guid.NewGuid():N}"[..15], "Secret-ok3");
        foreach (var account in new[] { good, wrong, renamed })
        {
            await MailCorpus.SeedAsync(servers.Source, account, MailCorpus.Standard());
        }

        var urls = new List<string>();
        var page = await servers.OpenPageAsync(urls);
        await FillCustomServerAsync(page);
        await FillRowAsync(page, 1, good.Login, "Secret-ok1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a mailbox" }).ClickAsync();
        await FillRowAsync(page, 2, wrong.Login, "Wrong-pw9");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a mailbox" }).ClickAsync();
        await FillRowAsync(page, 3, renamed.Login, "Secret-ok3");
        await Expect(page.GetByLabel("Password, mailbox 2", new() { Exact = true })).ToHaveAttributeAsync("type", "password");
        await PageFixture.ScreenshotAsync(page, "1-start-page");

        await page.GetByRole(AriaRole.Button, new() { Name = "Begin transfer" }).ClickAsync();
        await WaitForEndAsync(page);

        var goodRow = Row(page, 1);
        await Expect(goodRow.Locator(".badge")).ToHaveTextAsync("Done");
        await Expect(goodRow.Locator(".pct")).ToHaveTextAsync("100%");
        await Expect(goodRow.Locator("progress")).ToHaveAttributeAsync("aria-valuetext", "100%");
        var auth = ErrorCatalog.Get(ErrorCode.SourceAuthFailed);
        await Expect(Row(page, 2).Locator(".badge")).ToHaveTextAsync("Failed");
        await Expect(Row(page, 2).Locator(".error .message")).ToContainTextAsync(nameof(ErrorCode.SourceAuthFailed));
        await Expect(Row(page, 2).Locator(".error .fix")).ToHaveTextAsync("Fix: " + auth.Fix);
        await Expect(Row(page, 3).Locator(".badge")).ToHaveTextAsync("Invalid");
        await Expect(Row(page, 3).Locator(".error .message")).ToContainTextAsync(nameof(ErrorCode.UsernameInvalidCharacter));
        await Expect(Row(page, 3).Locator(".error .fix")).ToContainTextAsync("Type a New username");
        await Expect(page.Locator("#batch-state")).ToContainTextAsync("Fix the errors below");
        await PageFixture.ScreenshotAsync(page, "2-batch-with-errors");

        // The admin fixes the two lines (the right password; a new username in the four-field form) and re-runs.
        var fixedUsername = renamed.Login.Replace("_", "-", StringComparison.Ordinal);
        await page.GetByLabel("Corrected file").SetInputFilesAsync(new FilePayload
        {
            Name = "fixed.txt",
            MimeType = "text/plain",
            Buffer = Encoding.UTF8.GetBytes($"{wrong.Login} Secret-ok2\n{renamed.Login} Secret-ok3 {fixedUsername} Secret-ok3\n"),
        });
        await page.GetByRole(AriaRole.Button, new() { Name = "Re-run failed mailboxes" }).ClickAsync();
        await Expect(page.Locator("#mailbox-rows .badge")).ToHaveTextAsync(["Done", "Done", "Done"], new() { Timeout = BatchTimeout });
        await WaitForEndAsync(page);
        await Expect(page.Locator("#mailbox-rows .pct")).ToHaveTextAsync(["100%", "100%", "100%"]);
        await Expect(page.Locator("#batch-state")).ToContainTextAsync("Every mailbox is done");
        await PageFixture.ScreenshotAsync(page, "3-finished-batch");
        // Each run's own figures: the re-run copied the two fixed mailboxes, the first run the good one.
        var perMailbox = MailCorpus.Standard().Values.Sum(f => f.Count);
        await Expect(page.Locator("#run-figures")).ToContainTextAsync($"This run: {2 * perMailbox} messages");
        await Expect(page.Locator("#runs-details")).ToBeVisibleAsync();
        var runRows = page.Locator("#runs-rows tr");
        await Expect(runRows).ToHaveCountAsync(2);
        await Expect(runRows.Nth(0).Locator("td").Nth(0)).ToHaveTextAsync("Run 2: re-run of failed mailboxes");
        await Expect(runRows.Nth(0).Locator("td").Nth(4)).ToHaveTextAsync((2 * perMailbox).ToString(CultureInfo.InvariantCulture));
        await Expect(runRows.Nth(1).Locator("td").Nth(0)).ToHaveTextAsync("Run 1: full import");
        await Expect(runRows.Nth(1).Locator("td").Nth(4)).ToHaveTextAsync(perMailbox.ToString(CultureInfo.InvariantCulture));
        // The corpus has four folders a new destination mailbox lacks (Work, Work.Projects, Входящие.Архив 2024, Empty):
        // each mailbox's first run creates them.
        await Expect(runRows.Nth(0).Locator("td").Nth(6)).ToHaveTextAsync("8");
        await Expect(runRows.Nth(1).Locator("td").Nth(6)).ToHaveTextAsync("4");
        await Expect(page.Locator("#run-figures")).ToContainTextAsync(", 8 folders created");
        var batchId = page.Url[(page.Url.IndexOf("#batch=", StringComparison.Ordinal) + 7)..];
        // The status's path, whatever page and filter its query asks for.
        int StatusCalls() => urls.Count(u => new Uri(u).AbsolutePath.EndsWith("/api/imports/" + batchId, StringComparison.Ordinal));
        var statusCallsAtEnd = StatusCalls();
        Assert.True(statusCallsAtEnd > 2, $"the page asked for the status {statusCallsAtEnd} times: it does not follow the batch live");

        foreach (var (account, username, password) in new[] { (good, good.Login, "Secret-ok1"), (wrong, wrong.Login, "Secret-ok2"), (renamed, fixedUsername, "Secret-ok3") })
        {
            MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, account),
                await MailCorpus.SnapshotAsync(servers.Destination, new MailAccount($"{username}@{WorkflowSettings.Domain}", new Secret(password))));
        }

        var csv = await DownloadAsync(page, "Download the report (CSV)");
        var lines = csv.TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("line,source_login,destination_username,status,error_code", lines[0], StringComparison.Ordinal);
        var messages = MailCorpus.Standard().Values.Sum(f => f.Count).ToString(CultureInfo.InvariantCulture);
        Assert.Equal(
            [$"1,{good.Login},{good.Login},Done", $"2,{wrong.Login},{wrong.Login},Done", $"3,{renamed.Login},{fixedUsername},Done"],
            lines[1..].Select(l => string.Join(',', l.Split(',')[..4])));
        Assert.All(lines[1..], l => Assert.Equal(messages, l.Split(',')[8]));

        // Once the batch ended the page stopped asking (the comparison and the download above took seconds).
        Assert.Equal(statusCallsAtEnd, StatusCalls());

        // The key travelled in a header only: no address the page asked for carries it.
        Assert.NotEmpty(urls);
        Assert.DoesNotContain(urls, u => u.Contains(PageFixture.Key, StringComparison.Ordinal));
        Assert.DoesNotContain(PageFixture.Key, page.Url, StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ManualEntry_FailedAndInvalidRowsCorrectedInTheTable_RerunFinishesBoth_DoneRowNotCopiedAgain()
    {
        // A source password with spaces: the page must quote it in the corrected file it writes.
        var good = servers.Source.AddUser($"tg{Guid.NewGuid():N}"[..14], "Secret-tg1");
        var wrong = servers.Source.AddUser($"tw{Guid.NewGuid():N}"[..14], "right pass 2");
        var renamed = servers.Source.AddUser($"tr{Guid.NewGuid():N}"[..14], "Secret-tr3");
        foreach (var account in new[] { good, wrong, renamed })
        {
            await MailCorpus.SeedAsync(servers.Source, account, MailCorpus.Standard());
        }

        var reruns = new List<string>();
        var page = await servers.OpenPageAsync();
        page.Request += (_, request) =>
        {
            if (request.Url.EndsWith("/rerun", StringComparison.Ordinal))
            {
                reruns.Add(request.Method);
            }
        };
        await FillCustomServerAsync(page);
        await FillRowAsync(page, 1, good.Login, "Secret-tg1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a mailbox" }).ClickAsync();
        await FillRowAsync(page, 2, wrong.Login, "Wrong-pw9");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a mailbox" }).ClickAsync();
        await FillRowAsync(page, 3, renamed.Login, "Secret-tr3");
        await page.GetByLabel("New username, mailbox 3", new() { Exact = true }).FillAsync("bad_name");
        await page.GetByRole(AriaRole.Button, new() { Name = "Begin transfer" }).ClickAsync();
        await WaitForEndAsync(page);

        await Expect(Row(page, 1).Locator(".badge")).ToHaveTextAsync("Done");
        await Expect(Row(page, 2).Locator(".badge")).ToHaveTextAsync("Failed");
        await Expect(Row(page, 3).Locator(".badge")).ToHaveTextAsync("Invalid");
        // The rule's hint in the page's words: the column to change, never a JSON field or the file's four-field form.
        await Expect(Row(page, 3).Locator(".error .message")).ToContainTextAsync(nameof(ErrorCode.UsernameInvalidCharacter));
        await Expect(Row(page, 3).Locator(".error .fix")).ToContainTextAsync("Type a New username");
        var shown = await page.Locator("#batch-section").InnerTextAsync();
        foreach (var apiWord in new[] { "newLogin", "newPassword", "four-field", "JSON entr" })
        {
            Assert.DoesNotContain(apiWord, shown, StringComparison.Ordinal);
        }

        // The two rows come back in the table as typed; the done one does not.
        var table = page.Locator("#correction-rows tr");
        await Expect(table).ToHaveCountAsync(2);
        await Expect(table.Nth(0).Locator("td.login")).ToHaveTextAsync(wrong.Login);
        await Expect(page.GetByLabel("Password, line 2", new() { Exact = true })).ToHaveValueAsync("Wrong-pw9");
        await Expect(page.GetByLabel("New username, line 3", new() { Exact = true })).ToHaveValueAsync("bad_name");
        await Expect(page.GetByLabel("Password, line 3", new() { Exact = true })).ToHaveAttributeAsync("type", "password");
        await PageFixture.ScreenshotAsync(page, "7-correct-in-the-table");

        // The right source password (spaces and all, so the new mailbox needs a password of its own) and a good username.
        await page.GetByLabel("Password, line 2", new() { Exact = true }).FillAsync("right pass 2");
        await page.GetByLabel("New password, line 2", new() { Exact = true }).FillAsync("Secret-tw2");
        await page.GetByLabel("New username, line 3", new() { Exact = true }).FillAsync("good-name" + renamed.Login[2..8]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Re-run failed mailboxes" }).ClickAsync();
        await Expect(page.Locator("#mailbox-rows .badge")).ToHaveTextAsync(["Done", "Done", "Done"], new() { Timeout = BatchTimeout });
        await WaitForEndAsync(page);
        await Expect(page.Locator("#correction")).ToBeHiddenAsync();

        // One re-run, whose file the page wrote from the two changed rows: unquoted, "right pass 2" would be three
        // fields and the line refused; the new username reached the batch.
        Assert.Single(reruns);
        var newUsername = "good-name" + renamed.Login[2..8];
        await Expect(Row(page, 3).Locator(".who .to")).ToHaveTextAsync(newUsername);

        // The re-run copied the two corrected mailboxes only; the done one holds its mail once.
        var perMailbox = MailCorpus.Standard().Values.Sum(f => f.Count);
        var runRows = page.Locator("#runs-rows tr");
        await Expect(runRows).ToHaveCountAsync(2);
        await Expect(runRows.Nth(0).Locator("td").Nth(4)).ToHaveTextAsync((2 * perMailbox).ToString(CultureInfo.InvariantCulture));
        foreach (var (account, username, password) in new[] { (good, good.Login, "Secret-tg1"), (wrong, wrong.Login, "Secret-tw2"), (renamed, newUsername, "Secret-tr3") })
        {
            MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, account),
                await MailCorpus.SnapshotAsync(servers.Destination, new MailAccount($"{username}@{WorkflowSettings.Domain}", new Secret(password))));
        }

        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task StartPage_EachSignInKind_SendsItsFieldsAndGmailModes_AndLeavesNoSecretBehind()
    {
        var page = await servers.OpenPageAsync();
        var sent = new List<JsonNode>();
        // The start is answered here, so no run begins: what matters is the request the page built.
        await page.RouteAsync("**/api/imports", async route =>
        {
            sent.Add(JsonNode.Parse(route.Request.PostData!)!);
            await route.FulfillAsync(new RouteFulfillOptions
            {
                Status = 400,
                ContentType = "application/json",
                Body = """{"error":"The import was not started.","problems":[{"field":"source.authentication.clientId","code":"SettingsInvalidAuthentication","message":"Refused here."}]}""",
            });
        });
        await FillCustomServerAsync(page);
        await page.GetByLabel("Login at the source, mailbox 1").FillAsync("ivan@contoso.example");
        await page.GetByLabel("New username, mailbox 1", new() { Exact = true }).FillAsync("ivan");
        await page.GetByLabel("New password, mailbox 1", new() { Exact = true }).FillAsync("Secret-iv1");

        // A Microsoft app: its three fields, and the table without the source password.
        const string clientSecret = "Cs8Q~page.secret-7f3a9";
        await page.GetByLabel("Microsoft 365 app (app-only)").CheckAsync();
        await Expect(page.GetByLabel("Password, mailbox 1", new() { Exact = true })).ToBeHiddenAsync();
        await Expect(page.Locator("#file-hint-token")).ToBeAttachedAsync();
        await page.GetByLabel("Tenant (directory) ID or domain").FillAsync("contoso.onmicrosoft.com");
        await page.GetByLabel("Application (client) ID").FillAsync("11111111-2222-3333-4444-555555555555");
        await page.GetByLabel("Client secret (its Value)").FillAsync(clientSecret);
        await page.GetByLabel("How to copy Gmail").SelectOptionAsync("per-label");
        await page.GetByLabel("Include Spam").CheckAsync();
        await PageFixture.ScreenshotAsync(page, "8-microsoft-app-sign-in");
        await page.GetByRole(AriaRole.Button, new() { Name = "Begin transfer" }).ClickAsync();
        // The API's field, in the page's label.
        await Expect(page.Locator("#start-problems")).ToContainTextAsync("Application (client) ID: Refused here.");

        var microsoft = Assert.Single(sent);
        Assert.Equal("""{"type":"microsoftAppOnly","tenantId":"contoso.onmicrosoft.com","clientId":"11111111-2222-3333-4444-555555555555","clientSecret":"Cs8Q~page.secret-7f3a9"}""",
            microsoft["source"]!["authentication"]!.ToJsonString());
        Assert.Equal("""[{"login":"ivan@contoso.example","newLogin":"ivan","newPassword":"Secret-iv1"}]""", microsoft["entries"]!.ToJsonString());
        Assert.Equal(("per-label", true, false), ((string)microsoft["options"]!["gmail"]!, (bool)microsoft["options"]!["includeGmailSpam"]!, (bool)microsoft["options"]!["includeGmailTrash"]!));
        await AssertNoSecretLeftAsync(page, clientSecret);

        // The same app with a certificate: the .pfx file's bytes in base64 (more than one 32 KB slice of the page's
        // encoder) and its password, and no secret.
        const string pfxPassword = "Pfx~page.password-2c71";
        var pfx = new byte[70_000];
        new Random(7).NextBytes(pfx);
        await page.GetByLabel("Certificate (.pfx)").CheckAsync();
        await Expect(page.GetByLabel("Client secret (its Value)")).ToBeHiddenAsync();
        await page.GetByLabel("Certificate with its private key (.pfx file)").SetInputFilesAsync(new FilePayload { Name = "app.pfx", MimeType = "application/x-pkcs12", Buffer = pfx });
        await page.GetByLabel("The .pfx file's password").FillAsync(pfxPassword);
        await PageFixture.ScreenshotAsync(page, "8b-microsoft-app-certificate");
        await page.RunAndWaitForResponseAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Begin transfer" }).ClickAsync(),
            r => r.Url.EndsWith("/api/imports", StringComparison.Ordinal));
        Assert.Equal(2, sent.Count);
        var withCertificate = sent[1]["source"]!["authentication"]!.AsObject();
        Assert.Equal(["type", "tenantId", "clientId", "clientCertificate", "clientCertificatePassword"], withCertificate.Select(p => p.Key));
        Assert.Equal((Convert.ToBase64String(pfx), pfxPassword), ((string)withCertificate["clientCertificate"]!, (string)withCertificate["clientCertificatePassword"]!));
        await Expect(page.Locator("#start-problems")).ToContainTextAsync("Refused here.");
        Assert.Equal(0, await page.EvaluateAsync<int>("() => document.getElementById('client-certificate').files.length"));
        await AssertNoSecretLeftAsync(page, pfxPassword);
        await page.GetByLabel("Client secret", new() { Exact = true }).CheckAsync();

        // A Google service account: the key file's JSON as the API takes it, whole.
        const string keyJson = """{"type":"service_account","project_id":"p","private_key_id":"k1","private_key":"-----BEGIN PRIVATE KEY-----\nPAGEKEYpageKEY\n-----END PRIVATE KEY-----\n","client_email":"mi@p.iam.gserviceaccount.com","client_id":"1234567890"}""";
        await page.GetByLabel("Google Workspace service account").CheckAsync();
        await Expect(page.GetByLabel("Password, mailbox 1", new() { Exact = true })).ToBeHiddenAsync();
        await page.GetByLabel("Service account key (JSON file)").SetInputFilesAsync(new FilePayload { Name = "key.json", MimeType = "application/json", Buffer = Encoding.UTF8.GetBytes(keyJson) });
        await page.GetByLabel("How to copy Gmail").SelectOptionAsync("folders");
        await Expect(page.GetByLabel("Include Spam")).ToBeDisabledAsync();
        await page.RunAndWaitForResponseAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Begin transfer" }).ClickAsync(),
            r => r.Url.EndsWith("/api/imports", StringComparison.Ordinal));
        Assert.Equal(3, sent.Count);
        var google = sent[2];
        Assert.Equal("googleServiceAccount", (string)google["source"]!["authentication"]!["type"]!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(keyJson), google["source"]!["authentication"]!["serviceAccountKey"]));
        Assert.Equal(("folders", false), ((string)google["options"]!["gmail"]!, (bool)google["options"]!["includeGmailSpam"]!));
        await Expect(page.Locator("#start-problems")).ToContainTextAsync("Refused here.");
        Assert.Equal(0, await page.EvaluateAsync<int>("() => document.getElementById('service-account-key').files.length"));
        await AssertNoSecretLeftAsync(page, "PAGEKEYpageKEY");

        // Passwords again: the column is back and no authentication is sent.
        await page.GetByLabel("Each mailbox's password").CheckAsync();
        await page.GetByLabel("Password, mailbox 1", new() { Exact = true }).FillAsync("Secret-src1");
        await page.RunAndWaitForResponseAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Begin transfer" }).ClickAsync(),
            r => r.Url.EndsWith("/api/imports", StringComparison.Ordinal));
        Assert.Equal(4, sent.Count);
        Assert.Null(sent[3]["source"]!["authentication"]);
        Assert.Equal("Secret-src1", (string)sent[3]["entries"]![0]!["password"]!);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task GoogleServiceAccount_StartedFromTheTable_CopiesTheMailbox_AndTheKeyIsNotInThePage()
    {
        await using var source = new PageTokenSource();
        await source.InitializeAsync();
        var (host, address) = await servers.StartHostAsync(("MailImport:SourceTokens:GoogleTokenUrl", source.Google.TokenUrl.AbsoluteUri));
        await using var _ = host;
        var account = source.Google.AddServiceAccount("https://mail.google.com/");
        var mailbox = source.AddMailbox("pgs");
        source.Google.AddUser(mailbox.Login);
        // Folder names without '.': this source's '.' is no separator, and the copy would rename them.
        await MailCorpus.SeedAsync(source.Dovecot, mailbox, new() { ["INBOX"] = [Seed("inbox")], ["Work"] = [Seed("work"), Seed("work 2")] });
        var username = mailbox.Login.Split('@')[0];

        var page = await servers.OpenPageAsync(host: address);
        await FillCustomServerAsync(page, source.Dovecot);
        await page.GetByLabel("Google Workspace service account").CheckAsync();
        await page.GetByLabel("Service account key (JSON file)").SetInputFilesAsync(new FilePayload { Name = "key.json", MimeType = "application/json", Buffer = Encoding.UTF8.GetBytes(account.KeyJson) });
        await page.GetByLabel("Login at the source, mailbox 1").FillAsync(mailbox.Login);
        await page.GetByLabel("New username, mailbox 1", new() { Exact = true }).FillAsync(username);
        await page.GetByLabel("New password, mailbox 1", new() { Exact = true }).FillAsync("Secret-gs1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Begin transfer" }).ClickAsync();
        await Expect(page.Locator("#batch-state")).ToHaveAttributeAsync("data-status", "Completed", new() { Timeout = BatchTimeout });
        await Expect(Row(page, 1).Locator(".badge")).ToHaveTextAsync("Done");

        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(source.Dovecot, mailbox),
            await MailCorpus.SnapshotAsync(servers.Destination, new MailAccount($"{username}@{WorkflowSettings.Domain}", new Secret("Secret-gs1"))));
        Assert.Contains(mailbox.Login, source.Google.Assertions.Select(a => a["sub"].GetString()));
        var pem = JsonNode.Parse(account.KeyJson)!["private_key"]!.GetValue<string>().Split('\n')[3];
        await AssertNoSecretLeftAsync(page, pem);
        await AssertNoSecretLeftAsync(page, account.KeyId);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task DryRun_FolderNameHoldingTheDestinationSeparator_ListsTheRename_AndTheCopyMakesTheSame()
    {
        // The source's separator is '/', so "Projects.2019" is one folder; the destination's '.' would make it two.
        await using var source = new PageTokenSource();
        await source.InitializeAsync();
        var mailbox = source.AddMailbox("pfr");
        await MailCorpus.SeedAsync(source.Dovecot, mailbox, new() { ["INBOX"] = [Seed("inbox")], ["Projects.2019"] = [Seed("dotted")], ["Plain"] = [Seed("plain")] });
        var username = mailbox.Login.Split('@')[0];

        var page = await servers.OpenPageAsync();
        await FillCustomServerAsync(page, source.Dovecot);
        await FillRowAsync(page, 1, mailbox.Login, "Secret12");
        await page.GetByLabel("New username, mailbox 1", new() { Exact = true }).FillAsync(username);
        await page.GetByLabel("Dry run first").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Begin transfer" }).ClickAsync();
        await WaitForEndAsync(page);
        await Expect(Row(page, 1).Locator(".badge")).ToHaveTextAsync("Ready");
        await Expect(Row(page, 1).Locator(".renamed-heading")).ToHaveTextAsync("Folders that will be renamed:");
        await Expect(Row(page, 1).Locator(".renamed li")).ToHaveTextAsync(["Projects.2019 → Projects_2019"]);
        await PageFixture.ScreenshotAsync(page, "9-dry-run-renames");

        // The copy learns the separator from the destination itself: it renames the same folder to the same name.
        await page.GetByRole(AriaRole.Button, new() { Name = "Begin the real transfer" }).ClickAsync();
        await Expect(Row(page, 1).Locator(".badge")).ToHaveTextAsync("Done", new() { Timeout = BatchTimeout });
        await WaitForEndAsync(page);
        await Expect(Row(page, 1).Locator(".renamed-heading")).ToHaveTextAsync("Folders renamed:");
        await Expect(Row(page, 1).Locator(".renamed li")).ToHaveTextAsync(["Projects.2019 → Projects_2019"]);
        var copied = await MailCorpus.SnapshotAsync(servers.Destination, new MailAccount($"{username}@{WorkflowSettings.Domain}", new Secret("Secret12")));
        Assert.Single(copied["Projects_2019"]);
        Assert.DoesNotContain("Projects.2019", copied.Keys);
        await page.Context.CloseAsync();
    }

    private static SeedMessage Seed(string subject) =>
        new(MailCorpus.Message(subject, $"{subject.Replace(' ', '-')}.{Guid.NewGuid():N}@old.example"), MailKit.MessageFlags.Seen, [], DateTimeOffset.UnixEpoch);

    /// <summary>The secret is nowhere the page keeps things: no input, no markup, no storage, no address.</summary>
    private static async Task AssertNoSecretLeftAsync(IPage page, string secret)
    {
        var inputs = await page.EvaluateAsync<string>("() => [...document.querySelectorAll('input')].map((i) => i.value).join('\\n')");
        var storage = await page.EvaluateAsync<string>("() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])");
        foreach (var (where, text) in new[] { ("an input", inputs), ("the markup", await page.ContentAsync()), ("the storage", storage), ("the address", page.Url) })
        {
            Assert.False(text.Contains(secret, StringComparison.Ordinal), $"the secret is left in {where}");
        }
    }

    [Fact]
    public async Task UploadedFile_DryRunFirst_ReportsReady_ThenTheRealTransferCopiesEverything()
    {
        var good = servers.Source.AddUser($"dr{Guid.NewGuid():N}"[..14], "Secret-dr1");
        await MailCorpus.SeedAsync(servers.Source, good, MailCorpus.Standard());

        var page = await servers.OpenPageAsync();
        await FillCustomServerAsync(page);
        await page.GetByLabel("Upload a credential file").CheckAsync();
        await page.GetByLabel("Credential file", new() { Exact = true }).SetInputFilesAsync(new FilePayload
        {
            Name = "credentials.txt",
            MimeType = "text/plain",
            Buffer = Encoding.UTF8.GetBytes($"{good.Login} Secret-dr1\n"),
        });
        await page.GetByLabel("Dry run first").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload a file and begin import" }).ClickAsync();

        await WaitForEndAsync(page);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dry run (pre-flight report)" })).ToBeVisibleAsync();
        await Expect(Row(page, 1).Locator(".badge")).ToHaveTextAsync("Ready");
        await Expect(Row(page, 1).Locator(".detail")).ToContainTextAsync($"/ {MailCorpus.Standard().Values.Sum(f => f.Count)} messages");
        // The batch's totals are the run's count at the source, folders included; the run has ended, so its share is whole.
        await Expect(page.Locator("#sum-messages")).ToContainTextAsync($"0 of {MailCorpus.Standard().Values.Sum(f => f.Count)} copied in ");
        await Expect(page.Locator("#sum-percent")).ToHaveTextAsync("100%");
        await PageFixture.ScreenshotAsync(page, "4-dry-run");

        // The schedule goes on and off through the API; the button says which.
        var schedule = page.Locator("#toggle-schedule");
        await schedule.ClickAsync();
        await Expect(schedule).ToHaveAttributeAsync("aria-pressed", "true");
        await schedule.ClickAsync();
        await Expect(schedule).ToHaveAttributeAsync("aria-pressed", "false");

        await page.GetByRole(AriaRole.Button, new() { Name = "Begin the real transfer" }).ClickAsync();
        await Expect(Row(page, 1).Locator(".badge")).ToHaveTextAsync("Done", new() { Timeout = BatchTimeout });
        await WaitForEndAsync(page);
        await Expect(Row(page, 1).Locator(".pct")).ToHaveTextAsync("100%");
        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, good),
            await MailCorpus.SnapshotAsync(servers.Destination, new MailAccount($"{good.Login}@{WorkflowSettings.Domain}", new Secret("Secret-dr1"))));

        var json = await DownloadAsync(page, "Download the report (JSON)");
        Assert.Contains("\"status\": \"Done\"", json, StringComparison.Ordinal);

        // A reload keeps the view: the batch id is in the hash, the key in the tab's session.
        await page.ReloadAsync();
        await Expect(Row(page, 1).Locator(".badge")).ToHaveTextAsync("Done");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task StartPage_ValidatesAsYouType_AndShowsWhatTheApiRefuses()
    {
        var page = await servers.OpenPageAsync();

        // Presets fill the server and lock it; the custom server's fields are checked while typed.
        await Expect(page.GetByLabel("Host", new() { Exact = true })).ToHaveValueAsync("imap.gmail.com");
        await page.GetByLabel("Mail.Ru").CheckAsync();
        await Expect(page.GetByLabel("Host", new() { Exact = true })).ToHaveValueAsync("imap.mail.ru");
        await page.GetByLabel("Protocol").SelectOptionAsync("pop3");
        await Expect(page.GetByLabel("Host", new() { Exact = true })).ToHaveValueAsync("pop.mail.ru");
        await Expect(page.GetByLabel("Port", new() { Exact = true })).ToHaveValueAsync("995");
        await page.GetByLabel("My own server").CheckAsync();
        await page.GetByLabel("Host", new() { Exact = true }).FillAsync("imap://mail.example.org");
        await Expect(page.Locator("#host-error")).ToHaveTextAsync("Give only the host name, without imap:// or a path.");
        await page.GetByLabel("Host", new() { Exact = true }).FillAsync("mail.example.org");
        await Expect(page.Locator("#host-error")).ToBeHiddenAsync();
        await page.GetByLabel("Port", new() { Exact = true }).FillAsync("70000");
        await Expect(page.Locator("#port-error")).ToHaveTextAsync("The port is a number between 1 and 65535.");
        await page.GetByLabel("Port", new() { Exact = true }).FillAsync("993");
        await page.GetByText("Advanced").ClickAsync();
        await page.GetByLabel("Trusted certificate (SHA-256 fingerprint)").FillAsync("abc");
        await Expect(page.Locator("#fingerprint-error")).ToContainTextAsync("64 hexadecimal digits");
        await page.GetByLabel("Trusted certificate (SHA-256 fingerprint)").FillAsync("");

        // A file the API refuses: its answer, field by field, on the page.
        await page.GetByLabel("Destination domain").FillAsync(WorkflowSettings.Domain);
        await page.GetByLabel("Upload a credential file").CheckAsync();
        await page.GetByLabel("Credential file", new() { Exact = true }).SetInputFilesAsync(new FilePayload
        {
            Name = "list.xlsx",
            MimeType = "application/octet-stream",
            Buffer = [0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 1],
        });
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload a file and begin import" }).ClickAsync();
        var problems = page.Locator("#start-problems");
        await Expect(problems).ToContainTextAsync("The import was not started.");
        await Expect(problems).ToContainTextAsync(nameof(ErrorCode.FileNotText));
        await PageFixture.ScreenshotAsync(page, "5-file-refused");

        // A wrong key never gets past the key form.
        await page.GetByRole(AriaRole.Button, new() { Name = "Forget the API key" }).ClickAsync();
        await page.GetByLabel("API key", new() { Exact = true }).FillAsync("not-the-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Expect(page.Locator("#key-error")).ToHaveTextAsync("The API key was refused. Check it and try again.");
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('mailimport.apiKey')"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task BatchView_SaysWhenTheBatchClosesUnlessItRunsAgain_ThenWhenItWasClosed()
    {
        // A login the source refuses: the run ends at once, and the batch stays open with its passwords.
        var page = await servers.OpenPageAsync();
        await FillCustomServerAsync(page);
        await FillRowAsync(page, 1, $"nobody{Guid.NewGuid():N}"[..14], "Secret-no1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Begin transfer" }).ClickAsync();
        await WaitForEndAsync(page);
        var batchId = page.Url[(page.Url.IndexOf("#batch=", StringComparison.Ordinal) + 7)..];

        var retention = page.Locator("#batch-retention");
        var closesAt = await StatusAsync(batchId, "closesAt");
        await Expect(retention.Locator("time")).ToHaveAttributeAsync("datetime", closesAt);
        await Expect(retention).ToContainTextAsync($"This batch closes on {Shown(closesAt)} unless it runs again");
        await PageFixture.ScreenshotAsync(page, "6-closes-on");

        await page.GetByText("Close the batch…").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Close the batch", Exact = true }).ClickAsync();
        await Expect(page.Locator("#batch-state")).ToHaveTextAsync("This batch is closed: it takes no more runs.");
        var closedAt = await StatusAsync(batchId, "closedAt");
        await Expect(retention.Locator("time")).ToHaveAttributeAsync("datetime", closedAt);
        await Expect(retention).ToHaveTextAsync($"Closed on {Shown(closedAt)}; its stored passwords are deleted.");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task BatchView_TwentyThousandLines_PagesThroughThemWithABoundedNumberOfRows_AndFiltersTheFailedOne()
    {
        // One login the source refuses and 19,999 lines the destination rules refuse: 20,000 rows, one mailbox to try.
        var file = new StringBuilder($"nobody{Guid.NewGuid():N}"[..14] + " Secret-no1\n");
        for (var line = 2; line <= 20_000; line++)
        {
            file.Append(CultureInfo.InvariantCulture, $"bad_{line} Secret12\n");
        }

        using var http = new HttpClient { BaseAddress = servers.BaseAddress };
        http.DefaultRequestHeaders.Add("x-functions-key", PageFixture.Key);
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(file.ToString())), "file", "credentials.txt");
        form.Add(new StringContent(System.Text.Json.JsonSerializer.Serialize(new
        {
            domain = WorkflowSettings.Domain,
            source = new { host = "127.0.0.1", port = servers.Source.ImapsPort, security = "ssl", trustedCertificateSha256 = servers.Source.CertificateSha256 },
        })), "settings");
        using var started = await http.PostAsync("api/imports", form);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, started.StatusCode);
        var batchId = System.Text.Json.JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("batchId").GetString()!;

        // Each page is a status call over the 20,000-line report: on this slow shared machine it takes seconds.
        var slow = new LocatorAssertionsToHaveTextOptions { Timeout = 60_000 };
        var page = await servers.OpenPageAsync();
        await page.GotoAsync(servers.BaseAddress + "#batch=" + batchId);
        await WaitForEndAsync(page);
        await Expect(page.Locator("#sum-mailboxes")).ToHaveTextAsync("20,000: 1 failed, 19,999 invalid", slow);
        await Expect(page.Locator("#page-info")).ToHaveTextAsync("Lines 1–100 of 20,000", slow);
        await Expect(page.Locator("#mailbox-rows tr")).ToHaveCountAsync(100);
        // The correction table lists the whole batch's correctable lines, up to the status's largest page, not the page on show.
        await Expect(page.Locator("#correction-rows tr")).ToHaveCountAsync(1000, new() { Timeout = 60_000 });
        await Expect(page.Locator("#correction-more")).ToHaveTextAsync("The first 1,000 of 20,000 are listed; fix the others with a corrected file.");

        await page.GetByRole(AriaRole.Button, new() { Name = "Last page" }).ClickAsync();
        await Expect(page.Locator("#page-info")).ToHaveTextAsync("Lines 19,901–20,000 of 20,000", slow);
        await Expect(Row(page, 19_999).Locator(".badge")).ToHaveTextAsync("Invalid");
        await Expect(Row(page, 19_999).Locator(".who")).ToHaveTextAsync("bad_19999");
        await Expect(page.Locator("#mailbox-rows tr")).ToHaveCountAsync(100);
        await page.GetByRole(AriaRole.Button, new() { Name = "Previous page" }).ClickAsync();
        await Expect(page.Locator("#page-info")).ToHaveTextAsync("Lines 19,801–19,900 of 20,000", slow);
        await Expect(Row(page, 19_801)).ToBeVisibleAsync();

        await page.GetByLabel("Show").SelectOptionAsync("failed");
        await Expect(page.Locator("#page-info")).ToHaveTextAsync("Lines 1–1 of 1", slow);
        await Expect(page.Locator("#mailbox-rows tr")).ToHaveCountAsync(1);
        await Expect(Row(page, 1).Locator(".badge")).ToHaveTextAsync("Failed");
        // The totals stay the batch's.
        await Expect(page.Locator("#sum-mailboxes")).ToHaveTextAsync("20,000: 1 failed, 19,999 invalid", slow);
        await PageFixture.ScreenshotAsync(page, "7-twenty-thousand-lines-failed-only");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task BatchView_APollThatChangesOneLine_RewritesThatRow_AndLeavesTheUnchangedRowAsItWas()
    {
        // The status is answered here: a run that goes on, so the page keeps polling, whose first line copies one more
        // message at every poll while its second, failed line stays the same.
        const string batchId = "0123456789abcdef0123456789abcdef";
        var polls = 0;
        var page = await servers.OpenPageAsync();
        await page.RouteAsync(url => url.Contains($"/api/imports/{batchId}?", StringComparison.Ordinal), async route =>
        {
            var copied = Interlocked.Increment(ref polls);
            var running = new MailboxReport(1, "anna@old.example", "anna", MailboxStatus.Running, null, null, null,
                new MailboxCounters(MessagesTotal: 1000, MessagesCopied: copied), TimeSpan.Zero, []);
            var failed = new MailboxReport(2, "bob@old.example", "bob", MailboxStatus.Failed, ErrorCode.SourceAuthFailed,
                "The source refused the password.", "Check it.", MailboxCounters.Zero, TimeSpan.Zero, []);
            var status = new BatchStatus(batchId, WorkflowSettings.Domain, false, [new BatchRunRecord(batchId + "-r1", RunMode.Full, DateTimeOffset.UnixEpoch)],
                "Running", [running, failed], running.Counters)
            {
                Counts = Enum.GetValues<MailboxStatus>().ToDictionary(s => s, s => s is MailboxStatus.Running or MailboxStatus.Failed ? 1 : 0),
                Page = new StatusPageInfo(0, 100, 2, null),
            };
            await route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "application/json", Body = System.Text.Json.JsonSerializer.Serialize(status, BatchReportFormats.Json) });
        });
        await page.GotoAsync(servers.BaseAddress + "#batch=" + batchId);
        var message = Row(page, 2).Locator(".error .message");
        await Expect(message).ToHaveTextAsync("SourceAuthFailed The source refused the password.");

        // Marked now, the failed line's message keeps its mark only if no later poll rewrites the row.
        await message.EvaluateAsync("m => { m.dataset.mark = 'kept'; }");
        var marked = Volatile.Read(ref polls);
        await page.WaitForFunctionAsync(
            "least => Number((document.querySelector('#mailbox-rows tr[data-line=\"1\"] .detail').textContent.match(/^([\\d,]+) \\//) || [0, '0'])[1].replace(/,/g, '')) >= least",
            marked + 2);
        await Expect(message).ToHaveAttributeAsync("data-mark", "kept");
        await Expect(Row(page, 2).Locator(".badge")).ToHaveTextAsync("Failed");
        await page.Context.CloseAsync();
    }

    /// <summary>One field of the batch's status as the API answers it.</summary>
    private async Task<string> StatusAsync(string batchId, string field)
    {
        using var http = new HttpClient { BaseAddress = servers.BaseAddress };
        http.DefaultRequestHeaders.Add("x-functions-key", PageFixture.Key);
        using var status = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"api/imports/{batchId}"));
        return status.RootElement.GetProperty(field).GetString()!;
    }

    /// <summary>A time as the page shows it: en-GB's long date and short time, in UTC.</summary>
    private static string Shown(string time) =>
        DateTimeOffset.Parse(time, CultureInfo.InvariantCulture).ToUniversalTime().ToString("d MMMM yyyy 'at' HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>The destination domain and <paramref name="source"/> (the fixture's source Dovecot when null) as "My own server".</summary>
    private async Task FillCustomServerAsync(IPage page, DovecotServer? source = null)
    {
        source ??= servers.Source;
        await page.GetByLabel("Destination domain").FillAsync(WorkflowSettings.Domain);
        await page.GetByLabel("My own server").CheckAsync();
        await page.GetByLabel("Host", new() { Exact = true }).FillAsync("127.0.0.1");
        await page.GetByLabel("Port", new() { Exact = true }).FillAsync(source.ImapsPort.ToString(CultureInfo.InvariantCulture));
        await page.GetByLabel("Security").SelectOptionAsync("ssl");
        await page.GetByText("Advanced").ClickAsync();
        // Dovecot's certificate is self-signed: the admin trusts it by its fingerprint.
        await page.GetByLabel("Trusted certificate (SHA-256 fingerprint)").FillAsync(source.CertificateSha256);
        await Expect(page.Locator("#start-form [aria-invalid=true]")).ToHaveCountAsync(0);
    }

    private static async Task FillRowAsync(IPage page, int row, string login, string password)
    {
        await page.GetByLabel($"Login at the source, mailbox {row}").FillAsync(login);
        await page.GetByLabel($"Password, mailbox {row}", new() { Exact = true }).FillAsync(password);
    }

    private static ILocator Row(IPage page, int line) => page.Locator($"#mailbox-rows tr[data-line=\"{line}\"]");

    private static Task WaitForEndAsync(IPage page) =>
        Expect(page.Locator("#batch-state")).ToHaveAttributeAsync("data-status", "Completed", new() { Timeout = BatchTimeout });

    private static async Task<string> DownloadAsync(IPage page, string button)
    {
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = button }).ClickAsync());
        return await File.ReadAllTextAsync(await download.PathAsync());
    }
}

/// <summary>The page tests' token source: a Dovecot taking the Google and Entra stand-ins' tokens (and the seeded
/// passwords), on port base 17000, whose hierarchy separator is '/' where the destination's is '.', so a '.' in a folder
/// name is a character the destination cannot keep.</summary>
public sealed class PageTokenSource() : TokenSourceServerSet("mi-page-token-source", 17000, "--separator", "/"), IAsyncDisposable
{
    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());
}
