using System.Text.Json.Nodes;
using Celeriac.Events;
using Celeriac.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace Celeriac.Tests;

public sealed class ClusterStateTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_worker_is_alive_for_two_heartbeat_intervals_and_offline_at_once_after_goodbye()
    {
        var state = new ClusterState(_time);
        state.Apply(Event("worker-heartbeat", "w1", new JsonObject { ["freq"] = 2.0, ["active"] = 1, ["processed"] = 5 }));
        Assert.Single(state.AliveWorkers);
        Assert.Equal(5, state.Worker("w1")!.Processed);

        _time.Advance(TimeSpan.FromSeconds(3.9));
        Assert.Single(state.AliveWorkers);
        _time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.Empty(state.AliveWorkers);

        state.Apply(Event("worker-heartbeat", "w1", new JsonObject { ["freq"] = 2.0 }));
        Assert.Single(state.AliveWorkers);
        state.Apply(Event("worker-offline", "w1", []));
        Assert.Empty(state.AliveWorkers);
    }

    [Fact]
    public void Task_state_follows_celerys_precedence_and_out_of_order_received_only_fills_fields()
    {
        var state = new ClusterState(_time);
        state.Apply(Event("task-started", "w1", new JsonObject { ["uuid"] = "t1" }));
        state.Apply(Event("task-succeeded", "w1", new JsonObject { ["uuid"] = "t1", ["result"] = "5", ["runtime"] = 0.5 }));
        state.Apply(Event("task-received", "w1", new JsonObject { ["uuid"] = "t1", ["name"] = "tasks.add", ["args"] = "(2, 3)", ["kwargs"] = "{}" }));

        var t = state.Task("t1")!;
        Assert.Equal((TaskStates.Success, "tasks.add", "(2, 3)", "5", 0.5, "w1"), (t.State, t.Name, t.Args, t.Result, t.Runtime, t.Worker));
        Assert.Equal(3, t.Timeline.Count);

        state.Apply(Event("task-failed", "w1", new JsonObject { ["uuid"] = "t2", ["exception"] = "ValueError('x')" }));
        state.Apply(Event("task-retried", "w1", new JsonObject { ["uuid"] = "t2", ["exception"] = "Retry()" }));
        Assert.Equal(TaskStates.Retry, state.Task("t2")!.State);
    }

    [Fact]
    public void A_custom_task_event_is_a_custom_state_ranked_as_celery_ranks_it()
    {
        // Celery's State: task-progress is the state PROGRESS, which outranks STARTED and yields to SUCCESS.
        var state = new ClusterState(_time);
        state.Apply(Event("task-started", "w1", new JsonObject { ["uuid"] = "t1" }));
        state.Apply(Event("task-progress", "w1", new JsonObject { ["uuid"] = "t1" }));
        Assert.Equal("PROGRESS", state.Task("t1")!.State);
        state.Apply(Event("task-succeeded", "w1", new JsonObject { ["uuid"] = "t1" }));
        state.Apply(Event("task-progress", "w1", new JsonObject { ["uuid"] = "t1" }));
        Assert.Equal(TaskStates.Success, state.Task("t1")!.State);
    }

    [Fact]
    public void The_oldest_tasks_are_forgotten_beyond_the_limit()
    {
        var state = new ClusterState(_time, maxTasks: 2);
        foreach (var id in new[] { "a", "b", "c" })
        {
            state.Apply(Event("task-received", "w1", new JsonObject { ["uuid"] = id }));
        }

        Assert.Null(state.Task("a"));
        Assert.NotNull(state.Task("c"));
    }

    private JsonObject Event(string type, string host, JsonObject fields)
    {
        fields["type"] = type;
        fields["hostname"] = host;
        fields["timestamp"] = WireTime.ToUnixSeconds(_time.GetUtcNow());
        return fields;
    }
}
