using System.Collections.Concurrent;
using MailImport.Workflow.Orchestrations;
using Xunit;

namespace MailImport.Workflow.Tests.Orchestrations;

public sealed class BoundedFanOutTests
{
    [Fact]
    public async Task Run_NeverHasMoreThanTheLimitInFlight_AndAFreedSlotGoesToTheNextItem()
    {
        // The fan-out's continuations run on xunit's context, not inline with the test's loop: shared state is concurrent.
        var pending = new ConcurrentDictionary<int, TaskCompletionSource<int>>();
        var slots = new ConcurrentDictionary<int, int>();
        var inFlight = 0;
        var most = 0;
        var collected = new ConcurrentQueue<int>();
        var run = BoundedFanOut.RunAsync(Enumerable.Range(0, 7), 3, (item, slot) =>
        {
            slots[item] = slot;
            most = Math.Max(most, Interlocked.Increment(ref inFlight));
            var source = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            pending[item] = source;
            return source.Task;
        }, async (item, task) =>
        {
            Interlocked.Decrement(ref inFlight);
            collected.Enqueue(await task);
        });

        // Ends out of order: item 1 first, so item 3 takes its slot; then 0, so item 4 takes slot 0.
        foreach (var item in new[] { 1, 0, 2, 3, 4, 5, 6 })
        {
            await WaitUntilAsync(() => pending.ContainsKey(item));
            pending[item].SetResult(item * 10);
            await WaitUntilAsync(() => collected.Contains(item * 10));
        }

        await run;
        Assert.Equal(3, most);
        Assert.Equal([10, 0, 20, 30, 40, 50, 60], collected);
        Assert.Equal([0, 1, 2], new[] { slots[0], slots[1], slots[2] });
        Assert.Equal(1, slots[3]);
        Assert.Equal(0, slots[4]);
    }

    [Fact]
    public async Task Run_HandsAFailedTaskToTheCollector_AndGoesOn()
    {
        var seen = new List<string>();
        await BoundedFanOut.RunAsync(["a", "b", "c"], 1,
            (item, _) => item == "b" ? Task.FromException<string>(new InvalidOperationException("b broke")) : Task.FromResult(item),
            async (item, task) =>
            {
                try
                {
                    seen.Add(await task);
                }
                catch (InvalidOperationException e)
                {
                    seen.Add(e.Message);
                }
            });

        Assert.Equal(["a", "b broke", "c"], seen);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        // The next item starts on a continuation of the previous collect; a minute without it is a hang, not a slow machine.
        var limit = DateTime.UtcNow.AddMinutes(1);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < limit, "The fan-out did not move on.");
            await Task.Delay(1);
        }
    }
}
