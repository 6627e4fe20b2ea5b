using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Tasks;

namespace Celeriac.Tests;

/// <summary><c>add_consumer</c>, <c>cancel_consumer</c>, <c>active_queues</c>, <c>registered</c> and mingle's <c>hello</c>, through the pidbox.</summary>
public sealed class ConsumerControlTests
{
    [Fact]
    public async Task Add_consumer_and_cancel_consumer_change_what_a_running_worker_consumes()
    {
        await using var app = TestApp.Create();
        var add = app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync(concurrency: 2);
        var node = worker.Hostname;
        var early = await add.ApplyAsync([1, 1], options: new ApplyOptions { Queue = "extra" });
        Assert.Equal(3, await (await add.DelayAsync(1, 2)).GetAsync(TestApp.Timeout));
        Assert.Equal(1, await app.Transport.GetQueueLengthAsync("extra"));

        var added = await app.Control.AddConsumerAsync("extra", destination: [node], timeout: TestApp.Timeout);

        Assert.Equal("add consumer extra", added[node]!["ok"]!.GetValue<string>());
        Assert.Equal(2, await early.GetAsync(TestApp.Timeout));
        Assert.Equal(["celery", "extra"], worker.Queues);
        var queues = (await app.Control.InspectAsync("active_queues", destination: [node], timeout: TestApp.Timeout))[node]!.AsArray();
        Assert.Equal(["celery", "extra"], queues.Select(q => q!["name"]!.GetValue<string>()));
        Assert.Equal(("extra", "direct", "extra"), (queues[1]!["exchange"]!["name"]!.GetValue<string>(), queues[1]!["exchange"]!["type"]!.GetValue<string>(), queues[1]!["routing_key"]!.GetValue<string>()));

        var cancelled = await app.Control.CancelConsumerAsync("extra", destination: [node], timeout: TestApp.Timeout);

        Assert.Equal("no longer consuming from extra", cancelled[node]!["ok"]!.GetValue<string>());
        Assert.Equal(["celery"], worker.Queues);
        var late = await add.ApplyAsync([2, 2], options: new ApplyOptions { Queue = "extra" });
        Assert.Equal(5, await (await add.DelayAsync(2, 3)).GetAsync(TestApp.Timeout));
        Assert.Equal(1, await app.Transport.GetQueueLengthAsync("extra"));
        Assert.Equal("PENDING", await late.GetStateAsync());
        Assert.Equal(["celery"], (await app.Control.InspectAsync("active_queues", destination: [node], timeout: TestApp.Timeout))[node]!.AsArray().Select(q => q!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Add_consumer_binds_a_named_exchange_and_key_and_a_bad_exchange_type_is_an_error_reply()
    {
        await using var app = TestApp.Create();
        var add = app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync();
        var node = worker.Hostname;

        var reply = await app.Control.AddConsumerAsync("images", exchange: "media", exchangeType: "topic", routingKey: "media.#", destination: [node], timeout: TestApp.Timeout);
        Assert.Equal("add consumer images", reply[node]!["ok"]!.GetValue<string>());
        var result = await add.ApplyAsync([20, 22], options: new ApplyOptions { Exchange = "media", RoutingKey = "media.png" });
        Assert.Equal(42, await result.GetAsync(TestApp.Timeout));
        var images = (await app.Control.InspectAsync("active_queues", destination: [node], timeout: TestApp.Timeout))[node]!.AsArray().Single(q => q!["name"]!.GetValue<string>() == "images")!;
        Assert.Equal(("media", "topic", "media.#"), (images["exchange"]!["name"]!.GetValue<string>(), images["exchange"]!["type"]!.GetValue<string>(), images["routing_key"]!.GetValue<string>()));

        var bad = await app.Control.AddConsumerAsync("odd", exchangeType: "headers", destination: [node], timeout: TestApp.Timeout);
        Assert.Contains("unknown exchange type 'headers'", bad[node]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("odd", worker.Queues);
    }

    [Fact]
    public async Task Registered_shows_rate_limits_as_celery_does_including_one_set_at_runtime()
    {
        await using var app = TestApp.Create();
        app.Task<int>("tasks.add", (int x, int y) => x + y);
        app.Task<int>("tasks.limited", (int x) => x, new TaskSettings { RateLimit = "10/m" });
        await using var worker = await app.StartWorkerAsync();
        var node = worker.Hostname;

        Assert.Equal(["tasks.add", "tasks.limited [rate_limit=10/m]"], Names(await app.Control.InspectAsync("registered", destination: [node], timeout: TestApp.Timeout), node));
        await app.Control.InspectAsync("rate_limit", new JsonObject { ["task_name"] = "tasks.add", ["rate_limit"] = "5/s" }, [node], TestApp.Timeout);
        Assert.Equal(["tasks.add [rate_limit=5/s]", "tasks.limited [rate_limit=10/m]"], Names(await app.Control.InspectAsync("registered", destination: [node], timeout: TestApp.Timeout), node));
    }

    [Fact]
    public async Task Hello_takes_a_neighbours_revoked_ids_in_celerys_form_and_answers_with_its_own()
    {
        await using var app = TestApp.Create();
        await using var worker = await app.StartWorkerAsync();
        var node = worker.Hostname;
        app.Revocations.Revoke(["mine"], terminate: false);
        var monotonic = TimeProvider.System.GetTimestamp() / (double)TimeProvider.System.TimestampFrequency;

        // What a Python worker's mingle sends: its LimitedSet data, {id: [time.monotonic(), id]}.
        var hello = new JsonObject { ["from_node"] = "py@elsewhere", ["revoked"] = new JsonObject { ["theirs"] = new JsonArray(monotonic - 60, "theirs") } };
        var reply = (await app.Control.InspectAsync("hello", hello, [node], TestApp.Timeout))[node]!.AsObject();

        Assert.True(app.Revocations.Contains("theirs"));
        var revokedAt = app.Revocations.Snapshot()["theirs"];
        Assert.InRange(TimeProvider.System.GetUtcNow() - revokedAt, TimeSpan.FromSeconds(55), TimeSpan.FromSeconds(65));
        var mine = reply["revoked"]!["mine"]!.AsArray();
        Assert.Equal("mine", mine[1]!.GetValue<string>());
        Assert.InRange(mine[0]!.GetValue<double>(), monotonic - 5, monotonic + 5);
        Assert.True(reply["clock"]!.GetValue<long>() > 0);

        var own = await app.Control.InspectAsync("hello", new JsonObject { ["from_node"] = node, ["revoked"] = new JsonObject() }, [node], TestApp.Timeout);
        Assert.Null(own[node]);
    }

    private static string[] Names(IReadOnlyDictionary<string, JsonNode?> reply, string node) => [.. reply[node]!.AsArray().Select(n => n!.GetValue<string>())];
}
