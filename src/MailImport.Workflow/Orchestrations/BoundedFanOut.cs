namespace MailImport.Workflow.Orchestrations;

/// <summary>Starts a task per item, in the items' order, with at most a given number in flight, and hands each task
/// to a collector as it ends: the fan-out/fan-in of Durable Functions' "Fan out/fan in" pattern
/// (https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-overview#fan-in-out) with a bound,
/// so an orchestration never has more activities or sub-orchestrations outstanding than its share of the run's
/// concurrency.</summary>
/// <remarks>Deterministic as an orchestrator needs it: the tasks are the orchestration context's, and which one
/// <see cref="Task.WhenAny(IEnumerable{Task})"/> gives first is decided by the history on replay.</remarks>
internal static class BoundedFanOut
{
    /// <summary>Runs <paramref name="start"/> for every item. Each task gets a slot, 0 to <paramref name="limit"/> - 1,
    /// freed when its task is collected and taken by the next item, so a caller can give a slot a fixed share (a lane).
    /// <paramref name="collect"/> gets the item and its ended task, and awaits it itself, so it decides what a failed
    /// task means.</summary>
    public static async Task RunAsync<TItem, TResult>(IEnumerable<TItem> items, int limit, Func<TItem, int, Task<TResult>> start,
        Func<TItem, Task<TResult>, Task> collect)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(collect);
        var slots = Math.Max(1, limit);
        var free = new Queue<int>(Enumerable.Range(0, slots));
        var running = new List<(Task<TResult> Task, TItem Item, int Slot)>();

        async Task CollectOneAsync()
        {
            var ended = await Task.WhenAny(running.Select(r => r.Task));
            var index = running.FindIndex(r => r.Task == ended);
            var (_, item, slot) = running[index];
            running.RemoveAt(index);
            free.Enqueue(slot);
            await collect(item, ended);
        }

        foreach (var item in items)
        {
            if (running.Count >= slots)
            {
                await CollectOneAsync();
            }

            var slot = free.Dequeue();
            running.Add((start(item, slot), item, slot));
        }

        while (running.Count > 0)
        {
            await CollectOneAsync();
        }
    }
}
