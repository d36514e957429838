using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace MailImport.Local.Tests;

/// <summary>A batch's status through GET /api/imports/{id}, as an API client follows it, for tests whose hosts come
/// and go.</summary>
internal static class BatchEnd
{
    /// <summary>The status, or null while no host answers.</summary>
    public static async Task<JsonElement?> TryStatusAsync(HttpClient http, string batchId)
    {
        try
        {
            return await http.GetFromJsonAsync<JsonElement>($"/api/imports/{batchId}");
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>The status once the run has ended. The end is what is waited for; <paramref name="limit"/> only stops a
    /// batch that never ends from hanging the suite.</summary>
    public static async Task<JsonElement> WaitAsync(HttpClient http, string batchId, TimeSpan limit)
    {
        var waiting = Stopwatch.StartNew();
        while (true)
        {
            var current = await TryStatusAsync(http, batchId);
            if (current?.GetProperty("status").GetString() is "Completed" or "Failed" or "Terminated")
            {
                return current.Value;
            }

            Assert.True(waiting.Elapsed < limit, $"the batch did not end within {limit.TotalMinutes:0} minutes; its status: {current}");
            await Task.Delay(200);
        }
    }
}
