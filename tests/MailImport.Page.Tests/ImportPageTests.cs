using System.Text;
using System.Text.RegularExpressions;
using MailImport.Workflow.Api;

namespace MailImport.Page.Tests;

/// <summary>The page's files as both hosts serve them: what exists, what is refused, and the headers.</summary>
public sealed partial class ImportPageTests
{
    [Theory]
    [InlineData(null, "index.html", "text/html; charset=utf-8")]
    [InlineData("", "index.html", "text/html; charset=utf-8")]
    [InlineData("index.html", "index.html", "text/html; charset=utf-8")]
    [InlineData("app.js", "app.js", "text/javascript; charset=utf-8")]
    [InlineData("app.css", "app.css", "text/css; charset=utf-8")]
    public void TryGet_PageFile_ReturnsItsBytesAndType(string? path, string name, string contentType)
    {
        Assert.True(ImportPage.TryGet(path, out var file));

        Assert.Equal((name, contentType), (file.Name, file.ContentType));
        Assert.False(file.Content.IsEmpty);
    }

    [Theory]
    [InlineData("../index.html")]
    [InlineData("..%2Findex.html")]
    [InlineData("/app.js")]
    [InlineData("Page/app.js")]
    [InlineData("app.js/")]
    [InlineData("APP.JS")]
    [InlineData("app.js\0")]
    [InlineData("MailImport.Workflow.Page.app.js")]
    [InlineData("appsettings.json")]
    [InlineData("..")]
    public void TryGet_AnythingButAPageFile_IsRefused(string path) =>
        Assert.False(ImportPage.TryGet(path, out _));

    [Fact]
    public void Headers_ForbidInlineScriptFramingAndOtherOrigins()
    {
        var csp = ImportPage.Headers["Content-Security-Policy"];

        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", ImportPage.Headers["X-Content-Type-Options"]);
        Assert.Equal("no-referrer", ImportPage.Headers["Referrer-Policy"]);
    }

    [Fact]
    public void Index_LinksItsAssetsRelativelyAndHasNoInlineScriptOrStyle()
    {
        var html = Text("index.html");

        // Relative links, so the same files work at / (local host) and under the Functions app's route.
        Assert.All(AssetLinks().Matches(html).Select(m => m.Groups[1].Value), link => Assert.Matches("^(data:,|[a-z][a-z.]*)$", link));
        Assert.Contains("src=\"app.js\"", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(InlineScript(), html);
        Assert.DoesNotContain("style=", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(EventAttribute(), html);
    }

    [Fact]
    public void Script_SendsTheKeyOnlyInTheHeaderAndKeepsItForTheSession()
    {
        var js = Text("app.js");

        Assert.Contains("'x-functions-key'", js, StringComparison.Ordinal);
        Assert.Contains("sessionStorage", js, StringComparison.Ordinal);
        Assert.DoesNotContain("localStorage", js, StringComparison.Ordinal);
        Assert.DoesNotContain("code=", js, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_AreExactlyThePageFiles() =>
        Assert.Equal(["app.css", "app.js", "index.html"], ImportPage.Names.Order(StringComparer.Ordinal));

    private static string Text(string name)
    {
        Assert.True(ImportPage.TryGet(name, out var file));
        return Encoding.UTF8.GetString(file.Content.Span);
    }

    [GeneratedRegex("(?:src|href)=\"([^\"#]+)\"")]
    private static partial Regex AssetLinks();

    [GeneratedRegex("<script(?![^>]*\\bsrc=)[^>]*>")]
    private static partial Regex InlineScript();

    [GeneratedRegex("\\son[a-z]+=", RegexOptions.IgnoreCase)]
    private static partial Regex EventAttribute();
}
