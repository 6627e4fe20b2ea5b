using System.Collections.Concurrent;
using Celeriac.Backends;
using Celeriac.Client;
using Celeriac.Memory;
using Celeriac.Protocol;
using Celeriac.Worker;

namespace Celeriac.Tests;

/// <summary>
/// The execution pool holds a slot for a body, not for its result write's round trip: with the SUCCESS writes held
/// back, a pool of 2 runs 4 bodies (2 whose writes are in flight, 2 more waiting for theirs), never more than 2 at
/// once, and starts nothing else until a write comes back; a warm shutdown waits for the writes in flight.
/// </summary>
public sealed class ExecutionPoolTests
{
    [Fact]
    public async Task A_slot_takes_the_next_body_once_its_result_write_is_issued_never_more_than_concurrency_at_once()
    {
        var name = "t" + Guid.NewGuid().ToString("N");
        var held = new HeldWrites();
        var services = new CeleriacServices();
        services.Backends.Register("held", context => new HeldBackend(MemoryResultBackend.Get(context), held));
        await using var app = new CeleriacApp(
            new CeleriacOptions
            {
                BrokerUrl = "memory://" + name,
                ResultBackend = "held://" + name,
                Worker = new WorkerOptions { Concurrency = 2, ShutdownTimeout = TimeSpan.FromSeconds(20) },
            },
            services);
        var running = 0;
        var most = 0;
        var started = new ConcurrentQueue<int>();
        var task = app.Task<int>("tasks.count", (int i) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            started.Enqueue(i);
            Interlocked.Decrement(ref running);
            return i;
        });

        var results = new List<AsyncResult<int>>();
        for (var i = 0; i < 6; i++)
        {
            results.Add(await task.DelayAsync(i));
        }

        var worker = await app.StartWorkerAsync(app.Options.Worker);

        // Two slots, two more runs allowed to finish outside them: four writes issued, then everything waits.
        await held.WaitForAsync(4, TestApp.Timeout);
        Assert.Equal(4, started.Count);
        Assert.Equal(4, worker.State.ActiveIds.Count);
        Assert.True(most <= 2, $"{most} bodies ran at once with a concurrency of 2");

        // A warm shutdown now: the four runs finish (their writes come back), the two prefetched go back to the queue.
        var stopping = worker.StopAsync();
        held.Release();
        await stopping.WaitAsync(TestApp.Timeout);

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(i, await results[i].GetAsync<int>(TestApp.Timeout));
        }

        Assert.Equal(4, worker.State.Processed);
        Assert.Equal(2, await app.Transport.GetQueueLengthAsync("celery"));
        Assert.True(most <= 2, $"{most} bodies ran at once with a concurrency of 2");
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    /// <summary>SUCCESS writes that wait for <see cref="Release"/>.</summary>
    private sealed class HeldWrites
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _waiting;

        public Task Released => _released.Task;

        public void Arrived() => Interlocked.Increment(ref _waiting);

        public void Release() => _released.TrySetResult();

        public Task WaitForAsync(int count, TimeSpan timeout) =>
            TestApp.WaitUntilAsync(() => Volatile.Read(ref _waiting) >= count, $"{count} result writes in flight").WaitAsync(timeout);
    }

    /// <summary>The in-memory backend, with SUCCESS writes held until the test lets them through.</summary>
    private sealed class HeldBackend(MemoryResultBackend inner, HeldWrites held) : IResultBackend
    {
        public ResultBackendCapabilities Capabilities => inner.Capabilities;

        public async ValueTask StoreAsync(ResultMeta meta, CancellationToken cancellationToken = default)
        {
            if (meta.Status == TaskStates.Success)
            {
                held.Arrived();
                await held.Released.ConfigureAwait(false);
            }

            await inner.StoreAsync(meta, cancellationToken).ConfigureAwait(false);
        }

        public ValueTask<ResultMeta?> GetAsync(string taskId, CancellationToken cancellationToken = default) => inner.GetAsync(taskId, cancellationToken);

        public ValueTask<ResultMeta> WaitForReadyAsync(string taskId, CancellationToken cancellationToken = default) => inner.WaitForReadyAsync(taskId, cancellationToken);

        public ValueTask ForgetAsync(string taskId, CancellationToken cancellationToken = default) => inner.ForgetAsync(taskId, cancellationToken);

        public ValueTask SaveGroupAsync(string groupId, IReadOnlyList<string> memberIds, CancellationToken cancellationToken = default) => inner.SaveGroupAsync(groupId, memberIds, cancellationToken);

        public ValueTask<IReadOnlyList<string>?> RestoreGroupAsync(string groupId, CancellationToken cancellationToken = default) => inner.RestoreGroupAsync(groupId, cancellationToken);

        public ValueTask DeleteGroupAsync(string groupId, CancellationToken cancellationToken = default) => inner.DeleteGroupAsync(groupId, cancellationToken);

        public ValueTask PrepareChordAsync(string groupId, IReadOnlyList<string> headerIds, CancellationToken cancellationToken = default) => inner.PrepareChordAsync(groupId, headerIds, cancellationToken);

        public ValueTask<IReadOnlyList<ChordMember>?> ChordPartReturnAsync(string groupId, int? groupIndex, ResultMeta meta, CancellationToken cancellationToken = default) => inner.ChordPartReturnAsync(groupId, groupIndex, meta, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
