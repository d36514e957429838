using System.Collections.Frozen;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MailImport.Workflow.Api;

/// <summary>One file of the import page.</summary>
/// <param name="Name">The file name (index.html, app.js, ...).</param>
/// <param name="Content">Its bytes.</param>
/// <param name="ContentType">Its media type, with the charset for text.</param>
public sealed record PageFile(string Name, ReadOnlyMemory<byte> Content, string ContentType);

/// <summary>The import page: static files embedded in this assembly (from Page/), served by both hosts from the same
/// bytes. The page talks only to the public HTTP API; its links are relative so it works at / (the local host) and
/// under a route of the Functions app's own.</summary>
public static class ImportPage
{
    /// <summary>No inline script or style, nothing from elsewhere, no framing: the page holds an API key and passwords.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
        "form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

    private const string ResourcePrefix = "MailImport.Workflow.Page.";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".ico"] = "image/x-icon",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, PageFile> Files = Load();

    /// <summary>The headers every page response carries, whichever host serves it.</summary>
    public static IReadOnlyDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Content-Security-Policy"] = ContentSecurityPolicy,
        ["X-Content-Type-Options"] = "nosniff",
        ["Referrer-Policy"] = "no-referrer",
        ["X-Frame-Options"] = "DENY",
        ["Cache-Control"] = "no-cache",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>The page's file names.</summary>
    public static IReadOnlyCollection<string> Names => Files.Keys;

    /// <summary>The file at <paramref name="relativePath"/> under the page's route: empty or "index.html" for the page
    /// itself, else a plain file name. Anything with a directory part (/, \, ..) or not in the page is refused.</summary>
    public static bool TryGet(string? relativePath, out PageFile file)
    {
        var name = string.IsNullOrEmpty(relativePath) ? "index.html" : relativePath;
        return Files.TryGetValue(name, out file!);
    }

    /// <summary>The file as an HTTP answer with <see cref="Headers"/>, or 404.</summary>
    public static IResult Result(string? relativePath) =>
        TryGet(relativePath, out var file) ? new PageResult(file) : Results.NotFound();

    /// <summary>Maps the page at <paramref name="prefix"/> ("/" for the local host): the page at the prefix, its files
    /// beside it.</summary>
    public static IEndpointRouteBuilder MapImportPage(this IEndpointRouteBuilder endpoints, string prefix = "/")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        var root = prefix.EndsWith('/') ? prefix : prefix + "/";
        endpoints.MapGet(root, (HttpRequest request) => Serve(request, null));
        endpoints.MapGet(root + "{file}", (HttpRequest request, string file) => Serve(request, file));
        return endpoints;
    }

    /// <summary>GET of the page (<paramref name="file"/> empty) or one of its files, for any host's route.</summary>
    public static IResult Serve(HttpRequest request, string? file)
    {
        ArgumentNullException.ThrowIfNull(request);
        // The page's links are relative: at /api/page they would point one level up, so it is always served at /api/page/.
        return string.IsNullOrEmpty(file) && request.Path.Value?.EndsWith('/') != true
            ? Results.Redirect($"{request.PathBase}{request.Path}/{request.QueryString}")
            : Result(file);
    }

    private static FrozenDictionary<string, PageFile> Load()
    {
        var assembly = typeof(ImportPage).Assembly;
        var files = new Dictionary<string, PageFile>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var name = resource[ResourcePrefix.Length..];
            if (!ContentTypes.TryGetValue(Path.GetExtension(name), out var contentType))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            files[name] = new PageFile(name, buffer.ToArray(), contentType);
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private sealed class PageResult(PageFile file) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            foreach (var (name, value) in Headers)
            {
                response.Headers[name] = value;
            }

            response.ContentType = file.ContentType;
            response.ContentLength = file.Content.Length;
            await response.Body.WriteAsync(file.Content, httpContext.RequestAborted);
        }
    }
}
