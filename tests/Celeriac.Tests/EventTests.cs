using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Events;
using Microsoft.Extensions.Time.Testing;

namespace Celeriac.Tests;

public sealed class EventTests
{
    [Fact]
    public async Task A_worker_announces_itself_beats_every_two_seconds_and_says_goodbye()
    {
        var time = new TestClock();
        await using var app = TestApp.Create(time: time);
        await using var receiver = new EventReceiver(app, "worker.#");
        await receiver.StartAsync();
        var events = Collect(receiver);

        var worker = await app.StartWorkerAsync();
        var online = await events.NextAsync();
        Assert.Equal("worker-online", online["type"]!.GetValue<string>());
        Assert.Equal(["hostname", "utcoffset", "pid", "clock", "freq", "active", "processed", "loadavg", "sw_ident", "sw_ver", "sw_sys", "timestamp", "type", "local_received"], online.Select(p => p.Key));
        Assert.Equal(worker.Hostname, online["hostname"]!.GetValue<string>());
        Assert.Equal(2.0, online["freq"]!.GetValue<double>());
        Assert.Equal(WireTimeOf(time), online["timestamp"]!.GetValue<double>());

        await time.WaitForTimerAsync("WorkerEvents", TimeSpan.FromSeconds(2));
        time.Advance(TimeSpan.FromSeconds(2));
        var beat = await events.NextAsync();
        Assert.Equal("worker-heartbeat", beat["type"]!.GetValue<string>());
        Assert.True(beat["clock"]!.GetValue<long>() > online["clock"]!.GetValue<long>());

        await worker.StopAsync();
        Assert.Equal("worker-offline", (await events.NextAsync())["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task With_task_events_a_task_reports_received_started_and_succeeded_with_celerys_fields()
    {
        await using var app = TestApp.Create(o => o with { Worker = o.Worker with { SendTaskEvents = true } });
        var add = app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var receiver = new EventReceiver(app, "task.#");
        await receiver.StartAsync();
        var events = Collect(receiver);
        await using var worker = await app.StartWorkerAsync();

        var result = await add.DelayAsync(2, 3);
        await result.GetAsync(TestApp.Timeout);
        var received = await events.NextAsync();
        var started = await events.NextAsync();
        var succeeded = await events.NextAsync();

        Assert.Equal(("task-received", result.Id, "tasks.add", "(2, 3)", "{}"), (Type(received), Uuid(received), received["name"]!.GetValue<string>(), received["args"]!.GetValue<string>(), received["kwargs"]!.GetValue<string>()));
        Assert.Equal(["hostname", "utcoffset", "pid", "clock", "uuid", "name", "args", "kwargs", "root_id", "parent_id", "retries", "eta", "expires", "timestamp", "type", "local_received"], received.Select(p => p.Key));
        Assert.Equal(("task-started", result.Id), (Type(started), Uuid(started)));
        Assert.Equal(("task-succeeded", result.Id, "5"), (Type(succeeded), Uuid(succeeded), succeeded["result"]!.GetValue<string>()));
        Assert.True(succeeded["runtime"]!.GetValue<double>() >= 0);
    }

    [Fact]
    public async Task Failures_and_revokes_are_reported_and_without_task_events_nothing_is()
    {
        await using var app = TestApp.Create(o => o with { Worker = o.Worker with { SendTaskEvents = true } });
        var fail = app.Task("tasks.fail", int (string m) => throw TaskFailedException.Python("ValueError", m));
        await using var receiver = new EventReceiver(app, "task.#");
        await receiver.StartAsync();
        var events = Collect(receiver);
        await using (var worker = await app.StartWorkerAsync())
        {
            var failed = await fail.DelayAsync("boom");
            await Assert.ThrowsAsync<TaskFailedException>(async () => await failed.GetAsync(TestApp.Timeout));
            var expired = await fail.ApplyAsync(["x"], options: new ApplyOptions { ExpiresIn = TimeSpan.FromSeconds(-1) });
            await Assert.ThrowsAsync<TaskFailedException>(async () => await expired.GetAsync(TestApp.Timeout));

            var seen = new List<JsonObject>();
            while (seen.Count < 5)
            {
                seen.Add(await events.NextAsync());
            }

            var failedEvent = seen.Single(e => Type(e) == "task-failed");
            Assert.Equal("ValueError('boom')", failedEvent["exception"]!.GetValue<string>());
            var revoked = seen.Single(e => Type(e) == "task-revoked");
            Assert.Equal((expired.Id, false, true), (Uuid(revoked), revoked["terminated"]!.GetValue<bool>(), revoked["expired"]!.GetValue<bool>()));
        }

        await using var quiet = TestApp.Create(time: new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero)));
        var add = quiet.Task<int>("tasks.add", (int x, int y) => x + y);
        // A queue bound like a receiver's but never consumed: whatever is sent stays there to be counted.
        await quiet.Transport.DeclareExchangeAsync(new Transport.ExchangeDeclaration(EventNames.Exchange, Transport.ExchangeType.Topic));
        await quiet.Transport.BindQueueAsync("watch", EventNames.Exchange, "#");
        await using var quietWorker = await quiet.StartWorkerAsync();
        await (await add.DelayAsync(1, 1)).GetAsync(TestApp.Timeout);
        Assert.Equal(1, await quiet.Transport.GetQueueLengthAsync("watch"));   // worker-online only
    }

    [Fact]
    public async Task Task_events_go_out_as_task_multi_lists_in_clock_order_and_worker_events_one_by_one()
    {
        await using var app = TestApp.Create(o => o with { Worker = o.Worker with { SendTaskEvents = true } });
        var add = app.Task<int>("tasks.add", (int x, int y) => x + y);
        await app.Transport.DeclareExchangeAsync(new Transport.ExchangeDeclaration(EventNames.Exchange, Transport.ExchangeType.Topic));
        await app.Transport.DeclareQueueAsync(new Transport.QueueDeclaration("raw-events"));
        await app.Transport.BindQueueAsync("raw-events", EventNames.Exchange, "#");
        var results = new List<AsyncResult>();
        string node;
        await using (var worker = await app.StartWorkerAsync())
        {
            node = worker.Hostname;
            for (var i = 0; i < 30; i++)
            {
                results.Add(await add.DelayAsync(i, i));
            }

            foreach (var r in results)
            {
                await r.GetAsync(TestApp.Timeout);
            }
        }

        // Stopped: every buffered task event was flushed before worker-offline.
        await using var consumer = await app.Transport.ConsumeAsync(["raw-events"], 0);
        var taskEvents = new List<JsonObject>();
        var workerTypes = new List<string>();
        await foreach (var delivery in consumer.ReadAllAsync(new CancellationTokenSource(TestApp.Timeout).Token))
        {
            await delivery.AckAsync();
            var body = Protocol.KombuJson.Parse(delivery.Message.Body.Span);
            Assert.Equal(node, delivery.Message.Headers["hostname"]!.GetValue<string>());
            if (delivery.RoutingKey == "task.multi")
            {
                var batch = Assert.IsType<JsonArray>(body);
                Assert.NotEmpty(batch);
                taskEvents.AddRange(batch.Select(e => e!.AsObject()));
            }
            else
            {
                var single = Assert.IsType<JsonObject>(body);
                Assert.Equal(delivery.RoutingKey, Type(single).Replace('-', '.'));
                workerTypes.Add(Type(single));
                if (Type(single) == "worker-offline")
                {
                    break;
                }
            }
        }

        Assert.Equal("worker-online", workerTypes[0]);
        Assert.Equal(90, taskEvents.Count);
        Assert.All(results, r => Assert.Equal(["task-received", "task-started", "task-succeeded"], taskEvents.Where(e => Uuid(e) == r.Id).Select(Type)));
        var clocks = taskEvents.Select(e => e["clock"]!.GetValue<long>()).ToList();
        Assert.Equal(clocks.Order(), clocks);
    }

    [Fact]
    public async Task A_client_with_task_send_sent_event_reports_task_sent_with_celerys_fields()
    {
        await using var app = TestApp.Create(o => o with { Task = o.Task with { SendSentEvent = true } });
        var add = app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var receiver = new EventReceiver(app, "task.#");
        await receiver.StartAsync();
        var events = Collect(receiver);

        var result = await add.DelayAsync(2, 3);
        var sent = await events.NextAsync();

        // Celery 5.2.6's own task-sent, field for field (fixture redis/events/03-task.sent), then the receiver's local_received.
        Assert.Equal(["hostname", "utcoffset", "pid", "clock", "uuid", "root_id", "parent_id", "name", "args", "kwargs", "retries", "eta", "expires", "queue", "exchange", "routing_key", "timestamp", "type", "local_received"], sent.Select(p => p.Key));
        Assert.Equal(("task-sent", result.Id, app.NodeName, "tasks.add", "(2, 3)", "celery"), (Type(sent), Uuid(sent), sent["hostname"]!.GetValue<string>(), sent["name"]!.GetValue<string>(), sent["args"]!.GetValue<string>(), sent["queue"]!.GetValue<string>()));
        Assert.StartsWith("gen", app.NodeName, StringComparison.Ordinal);
        var state = new ClusterState(TimeProvider.System);
        state.Apply(sent);
        Assert.Equal(("PENDING", "tasks.add"), (state.Task(result.Id)!.State, state.Task(result.Id)!.Name));
    }

    private static string Type(JsonObject e) => e["type"]!.GetValue<string>();

    private static string Uuid(JsonObject e) => e["uuid"]!.GetValue<string>();

    private static double WireTimeOf(TimeProvider time) => Protocol.WireTime.ToUnixSeconds(time.GetUtcNow());

    private static EventStream Collect(EventReceiver receiver) => new(receiver);

    private sealed class EventStream(EventReceiver receiver)
    {
        private readonly IAsyncEnumerator<JsonObject> _events = receiver.ReadAllAsync().GetAsyncEnumerator();

        public async Task<JsonObject> NextAsync()
        {
            var next = _events.MoveNextAsync().AsTask();
            Assert.True(await next.WaitAsync(TestApp.Timeout), "the event stream ended");
            return _events.Current;
        }
    }
}
