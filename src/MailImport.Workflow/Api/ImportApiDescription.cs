using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace MailImport.Workflow.Api;

/// <summary>The API's OpenAPI 3.1 description (https://spec.openapis.org/oas/v3.1.0), built from
/// <see cref="ImportApiRoutes.Table"/> so it lists exactly the routes the hosts bind.</summary>
public static class ImportApiDescription
{
    /// <summary>The description as JSON. Served without a key: it holds no secret and no batch.</summary>
    public static IResult Serve() => Results.Text(Document().ToJsonString(), "application/json");

    /// <summary>The OpenAPI document.</summary>
    public static JsonObject Document()
    {
        var paths = new JsonObject();
        foreach (var route in ImportApiRoutes.Table)
        {
            var path = "/api/" + route.Route;
            if (paths[path] is not JsonObject item)
            {
                paths[path] = item = [];
            }

            item[route.Method.ToLowerInvariant()] = Operation(route);
        }

        return new JsonObject
        {
            ["openapi"] = "3.1.0",
            ["info"] = new JsonObject { ["title"] = "MailImport import API", ["version"] = "1" },
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["schemas"] = new JsonObject
                {
                    ["ApiError"] = new JsonObject
                    {
                        ["type"] = "object",
                        ["required"] = new JsonArray("error"),
                        ["properties"] = new JsonObject
                        {
                            ["error"] = new JsonObject { ["type"] = "string" },
                            ["problems"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "object" } },
                        },
                    },
                },
                // https://spec.openapis.org/oas/v3.1.0#security-scheme-object
                ["securitySchemes"] = new JsonObject
                {
                    ["apiKeyHeader"] = new JsonObject { ["type"] = "apiKey", ["in"] = "header", ["name"] = "x-functions-key" },
                    ["apiKeyQuery"] = new JsonObject { ["type"] = "apiKey", ["in"] = "query", ["name"] = "code" },
                    ["entraId"] = new JsonObject { ["type"] = "http", ["scheme"] = "bearer", ["bearerFormat"] = "JWT" },
                },
            },
            ["security"] = new JsonArray(Scheme("apiKeyHeader"), Scheme("apiKeyQuery"), Scheme("entraId")),
        };
    }

    private static JsonObject Operation(ApiRoute route)
    {
        var responses = new JsonObject { [route.Success.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject { ["description"] = "Done as asked." } };
        foreach (var (status, description) in Refusals(route))
        {
            responses[status] = new JsonObject
            {
                ["description"] = description,
                ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/ApiError" } } },
            };
        }

        var parameters = route.Route.Contains("{id}", StringComparison.Ordinal)
            ? new JsonArray(new JsonObject { ["name"] = "id", ["in"] = "path", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[0-9a-f]{32}$" } })
            : [];
        foreach (var query in route.Query ?? [])
        {
            parameters.Add(new JsonObject { ["name"] = query.Name, ["in"] = "query", ["required"] = false, ["description"] = query.Description, ["schema"] = new JsonObject { ["type"] = query.Type } });
        }

        var operation = new JsonObject
        {
            ["operationId"] = route.Action.ToString(),
            ["summary"] = route.Summary,
            ["parameters"] = parameters,
            ["responses"] = responses,
        };
        if (route.BodyTypes.Count > 0)
        {
            var content = new JsonObject();
            foreach (var type in route.BodyTypes)
            {
                content[type] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } };
            }

            // A re-run's body is optional: none is retryFailed without corrections.
            operation["requestBody"] = new JsonObject { ["required"] = route.Action != ApiAction.Rerun, ["content"] = content };
        }

        return operation;
    }

    private static IEnumerable<(string Status, string Description)> Refusals(ApiRoute route)
    {
        if (route.BodyTypes.Count > 0)
        {
            yield return ("400", "The body cannot be used: the answer names each field and line.");
            yield return ("413", "The body is too large.");
            yield return ("415", "The body's Content-Type is not one this call takes: the answer names those it takes.");
        }

        if (route.Query is { Count: > 0 })
        {
            yield return ("400", "A query parameter cannot be used: the answer names it.");
        }

        yield return ("401", "No or a bad key or token.");
        yield return ("403", "The token lacks the call's app role.");
        if (route.Action != ApiAction.Start)
        {
            yield return ("404", "There is no import with that id.");
        }

        if (route.Action == ApiAction.Passwords)
        {
            yield return ("410", "The generated passwords were downloaded already, or the batch is closed: the answer says which.");
        }

        if (route.Action is ApiAction.Start or ApiAction.Rerun)
        {
            yield return ("429", "Too many runs from this caller; see Retry-After.");
        }
    }

    private static JsonObject Scheme(string name) => new() { [name] = new JsonArray() };
}
