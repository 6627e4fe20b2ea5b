using Celeriac.Client;
using Celeriac.Protocol;
using Celeriac.Worker;
using static Celeriac.Canvas.Workflow;

namespace Celeriac.Tests.Canvas;

/// <summary>
/// Chords on a backend that cannot join them (<see cref="PollingOnlyBackend"/>): completed as Celery completes them on its
/// filesystem and database backends, by a <c>celery.chord_unlock</c> task that polls the header.
/// </summary>
public sealed class ChordUnlockTests : IAsyncLifetime
{
    private CeleriacApp _app = null!;
    private CanvasTasks _t = null!;
    private WorkerHost _worker = null!;

    public async Task InitializeAsync()
    {
        _app = CreateApp();
        _t = new CanvasTasks(_app);
        _worker = await _app.StartWorkerAsync(concurrency: 4);
    }

    private static CeleriacApp CreateApp()
    {
        var name = "u" + Guid.NewGuid().ToString("N");
        return new CeleriacApp(
            new CeleriacOptions
            {
                BrokerUrl = "memory://" + name,
                ResultBackend = PollingOnlyBackend.Scheme + "://" + name,
                Worker = new WorkerOptions { Concurrency = 4, ShutdownTimeout = TimeSpan.FromSeconds(5) },
            },
            PollingOnlyBackend.Register(new CeleriacServices()));
    }

    public async Task DisposeAsync()
    {
        await _worker.DisposeAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task A_chord_completes_through_chord_unlock_once_the_header_is_ready()
    {
        var result = await Chord(Enumerable.Range(1, 20).Select(i => _t.Add.Signature(i, 0)), _t.Xsum.Signature()).ApplyAsync();

        Assert.Equal(210, await result.GetAsync<long>(TestApp.Timeout));
        Assert.Equal(1, _t.XsumRuns);
    }

    [Fact]
    public async Task Chord_unlock_fails_the_body_with_chord_error_naming_the_failed_header_task()
    {
        var bad = _t.Fail.Signature("unlock-boom").Freeze();

        var result = await Chord([_t.Add.Signature(1, 1), bad], _t.Xsum.Signature()).ApplyAsync();

        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal("ChordError", error.ExcType);
        Assert.Equal($"Dependency {bad.Id} raised ValueError('unlock-boom')", error.ExcMessage);
        Assert.Equal(0, _t.XsumRuns);
    }

    [Fact]
    public async Task Chord_unlock_retries_while_a_header_task_runs()
    {
        using var release = new SemaphoreSlim(0);
        var slow = _app.Task<long>("t.slow", async (CancellationToken ct) =>
        {
            await release.WaitAsync(ct);
            return 5L;
        });

        var result = await Chord([slow.Signature(), _t.Add.Signature(1, 1)], _t.Xsum.Signature()).ApplyAsync();
        await TestApp.WaitUntilAsync(() => _worker.State.Processed >= 3, "chord_unlock to have polled at least once");
        Assert.Equal(TaskStates.Pending, await result.GetStateAsync());
        release.Release();

        Assert.Equal(7, await result.GetAsync<long>(TestApp.Timeout));
    }
}
