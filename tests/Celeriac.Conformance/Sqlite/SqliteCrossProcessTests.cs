using Celeriac.Backends;
using Celeriac.Protocol;
using Celeriac.Sqlite;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Celeriac.Conformance.TestMessages;

namespace Celeriac.Conformance.Sqlite;

/// <summary>
/// Two real processes on one SQLite file: this one, and this test assembly started again as a child
/// (<see cref="CrossProcessChild"/>).
/// </summary>
public sealed class SqliteCrossProcessTests : IAsyncLifetime
{
    private const string Queue = "cross-process";
    private readonly TempDatabase _database = new();
    private readonly List<IAsyncDisposable> _opened = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = _opened.Count - 1; i >= 0; i--)
        {
            await _opened[i].DisposeAsync();
        }

        _database.Delete();
    }

    [Fact]
    public async Task Message_held_by_a_killed_process_is_redelivered_after_the_visibility_timeout()
    {
        var transport = OpenTransport(TimeProvider.System);
        await transport.PublishAsync(Text("survives-kill"), string.Empty, Queue);

        using var child = ChildProcess.Start(CrossProcessChild.ConsumeAndHang, _database.Url, Queue, "1");
        Assert.Equal("received survives-kill", await child.WaitForLineAsync("received"));
        Assert.Equal(0, await transport.GetQueueLengthAsync(Queue));
        child.Kill();

        var reader = Track(new DeliveryReader(await transport.ConsumeAsync([Queue], 1)));
        var delivery = await reader.ReceiveAsync();

        Assert.Equal("survives-kill", BodyOf(delivery));
        Assert.True(delivery.Redelivered);
        await delivery.AckAsync();
        Assert.Equal(0, await transport.GetQueueLengthAsync(Queue));
    }

    [Fact]
    public async Task Publish_by_another_process_wakes_an_idle_consumer()
    {
        // A clock that never moves: the consumer's poll timer cannot fire, so only the file watch can wake it.
        var transport = OpenTransport(new FakeTimeProvider(TimeProvider.System.GetUtcNow()));
        var reader = Track(new DeliveryReader(await transport.ConsumeAsync([Queue], 0)));
        await transport.PublishAsync(Text("probe"), string.Empty, Queue);
        await (await reader.ReceiveAsync()).AckAsync();

        using var child = ChildProcess.Start(CrossProcessChild.Publish, _database.Url, Queue, "from-child");
        await child.WaitForLineAsync("published");
        var delivery = await reader.ReceiveAsync();

        Assert.Equal("from-child", BodyOf(delivery));
        Assert.False(delivery.Redelivered);
    }

    [Fact]
    public async Task Result_stored_by_another_process_wakes_a_waiter()
    {
        // As above: with a frozen clock the waiter's re-read timer never fires.
        var backend = Track(new SqliteResultBackend(new ResultBackendContext(
            BrokerUrl.Parse(_database.Url), TimeSpan.FromHours(1), new FakeTimeProvider(TimeProvider.System.GetUtcNow()), NullLoggerFactory.Instance)));
        var taskId = Guid.NewGuid().ToString();
        var waiting = backend.WaitForReadyAsync(taskId).AsTask();

        using var child = ChildProcess.Start(CrossProcessChild.StoreSuccess, _database.Url, taskId, "done-elsewhere");
        await child.WaitForLineAsync("stored");
        var meta = await waiting.WaitAsync(TestTimeouts.Arrival);

        Assert.Equal(TaskStates.Success, meta.Status);
        Assert.Equal("done-elsewhere", (string?)meta.Result);
    }

    [Fact]
    public async Task Queue_consumed_by_another_process_outlives_its_expires_and_goes_once_that_process_is_killed()
    {
        const string Exchange = "broadcast";
        var transport = OpenTransport(TimeProvider.System);
        await transport.DeclareExchangeAsync(new ExchangeDeclaration(Exchange, ExchangeType.Fanout));
        using var child = ChildProcess.Start(CrossProcessChild.ReceiveBroadcasts, _database.Url, Exchange, Queue, "2");
        await child.WaitForLineAsync("consuming");

        // Longer than x-expires: only the child's keep-alive touches can have kept the queue. This publish runs the
        // clean-up first, which would delete the queue (and so drop the message) had they not.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await transport.PublishAsync(Text("still-bound"), Exchange, string.Empty);
        Assert.Equal("received still-bound", await child.WaitForLineAsync("received"));

        child.Kill();

        // A process whose clock is past the child's last touch by more than x-expires deletes the queue and its binding.
        var later = OpenTransport(new FakeTimeProvider(TimeProvider.System.GetUtcNow() + TimeSpan.FromSeconds(5)));
        await later.DeclareExchangeAsync(new ExchangeDeclaration(Exchange, ExchangeType.Fanout));
        await later.PublishAsync(Text("nobody-listens"), Exchange, string.Empty);

        Assert.Equal(0, await later.GetQueueLengthAsync(Queue));
        await transport.PublishAsync(Text("nobody-listens-either"), Exchange, string.Empty);
        Assert.Equal(0, await transport.GetQueueLengthAsync(Queue));
    }

    private SqliteTransport OpenTransport(TimeProvider timeProvider) =>
        Track(new SqliteTransport(new TransportContext(
            BrokerUrl.Parse(_database.Url), new Dictionary<string, string> { ["polling_interval"] = "0.1" }, timeProvider, NullLoggerFactory.Instance)));

    private T Track<T>(T disposable)
        where T : IAsyncDisposable
    {
        _opened.Add(disposable);
        return disposable;
    }
}
