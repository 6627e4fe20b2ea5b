using Celeriac.Client;
using Celeriac.Protocol;
using Celeriac.RabbitMQ;
using Celeriac.Worker;

namespace Celeriac.RabbitMQTests;

/// <summary>
/// rpc:// between Celeriac processes: a worker sends each state to the reply queue of the client that sent the task,
/// the client reads them (and only it: another client's AsyncResult sees nothing); a state whose client is gone is
/// dropped with a warning while the worker goes on; it works on any transport; chords and saved groups are refused
/// with Celery's message.
/// </summary>
public sealed class RpcResultBackendTests : IClassFixture<AmqpVhost>
{
    private readonly AmqpVhost _vhost;

    public RpcResultBackendTests(AmqpVhost vhost)
    {
        _vhost = vhost;
    }

    [Fact]
    public async Task The_sending_client_reads_started_success_and_failure_states_and_no_other_client_sees_them()
    {
        const string Queue = "rpc";
        await using var workerApp = App(_vhost.Url, trackStarted: true);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        workerApp.Task<int>("tasks.slow_add", async (int x, int y, CancellationToken ct) =>
        {
            await release.Task.WaitAsync(ct);
            return x + y;
        });
        workerApp.Task("tasks.fail", new Func<string, int>(m => throw TaskFailedException.Python("ValueError", m)));
        await using var worker = await workerApp.StartWorkerAsync(workerApp.Options.Worker with { Concurrency = 2, Queues = [Queue] });
        await using var client = App(_vhost.Url);
        await using var stranger = App(_vhost.Url);

        var slow = await client.SendTaskAsync("tasks.slow_add", [2, 3], options: new ApplyOptions { Queue = Queue });
        var fail = await client.SendTaskAsync("tasks.fail", ["rpc-boom"], options: new ApplyOptions { Queue = Queue });

        Assert.True(await EventuallyAsync(async () => await slow.GetStateAsync() == TaskStates.Started), "STARTED reached the client");
        release.SetResult();
        Assert.Equal(5, await slow.GetAsync<int>(TimeSpan.FromSeconds(30)));
        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await fail.GetAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(("ValueError", "rpc-boom"), (error.ExcType, error.ExcMessage));
        Assert.Equal(TaskStates.Pending, await stranger.AsyncResult(slow.Id).GetStateAsync());
    }

    [Fact]
    public async Task A_state_for_a_client_whose_reply_queue_is_gone_is_dropped_and_the_worker_goes_on()
    {
        const string Queue = "rpc-gone";
        await using var workerApp = App(_vhost.Url);
        workerApp.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await workerApp.StartWorkerAsync(workerApp.Options.Worker with { Concurrency = 1, Queues = [Queue] });
        await using var client = App(_vhost.Url);
        var orphan = await client.SendTaskAsync("tasks.add", [1, 1], options: new ApplyOptions { Queue = Queue, Countdown = TimeSpan.FromSeconds(1) });
        await client.Transport.DeleteQueueAsync(client.Oid);

        // The worker's publish of that state is returned unroutable: logged, not thrown; the next client is served.
        await using var next = App(_vhost.Url);
        var served = await next.SendTaskAsync("tasks.add", [2, 2], options: new ApplyOptions { Queue = Queue, Countdown = TimeSpan.FromSeconds(2) });
        Assert.Equal(4, await served.GetAsync<int>(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, worker.State.Processed);
        Assert.NotNull(orphan.Id);
    }

    [Fact]
    public async Task Rpc_sits_on_the_transport_seam_only_and_works_on_the_memory_broker_too()
    {
        var url = "memory://rpc-" + Guid.NewGuid().ToString("N");
        await using var app = App(url);
        app.Task<int>("tasks.mul", (int x, int y) => x * y);
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1 });

        var result = await app.SendTaskAsync("tasks.mul", [6, 7]);

        Assert.Equal(42, await result.GetAsync<int>(TimeSpan.FromSeconds(30)));
        Assert.Equal("rpc", app.Backend.Capabilities.Name);
    }

    [Fact]
    public async Task Chords_and_saved_groups_are_refused_with_celerys_message()
    {
        await using var app = App(_vhost.Url);

        var chord = await Assert.ThrowsAsync<NotSupportedException>(() => app.Backend.PrepareChordAsync("g", ["a"]).AsTask());
        Assert.StartsWith("The \"rpc\" result backend does not support chords!", chord.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<NotSupportedException>(() => app.Backend.SaveGroupAsync("g", ["a"]).AsTask());
    }

    private static CeleriacApp App(string broker, bool trackStarted = false) => new(
        new CeleriacOptions { BrokerUrl = broker, ResultBackend = "rpc://", Task = new TaskOptions { TrackStarted = trackStarted } },
        new CeleriacServices().AddRabbitMQ());

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }
}
