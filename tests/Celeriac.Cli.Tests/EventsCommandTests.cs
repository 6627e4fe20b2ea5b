namespace Celeriac.Cli.Tests;

public sealed class EventsCommandTests
{
    [Fact]
    public async Task Events_prints_a_readable_line_per_event_and_dump_prints_json()
    {
        var m = Cli.Memory(out _);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var readable = Cli.RunAsync([.. m, "events", "--routing-key", "task.#", "--count", "9"], cancellationToken: stop.Token);
        var dumped = Cli.RunAsync([.. m, "events", "--dump", "--routing-key", "task.#", "--count", "6"], cancellationToken: stop.Token);
        using var workerStop = new CancellationTokenSource();
        var worker = Cli.RunAsync([.. m, "worker", "-E", "-n", "w1@%h"], Cli.RegisterTasks, workerStop.Token);

        // Send until both monitors have seen the three events of one task; they may start after the first send.
        while (!readable.IsCompleted || !dumped.IsCompleted)
        {
            await Cli.RunAsync([.. m, "call", "tasks.add", "--args", "[2, 3]"]);
            await Task.WhenAny(Task.WhenAll(readable, dumped), Task.Delay(500));
        }

        await workerStop.CancelAsync();
        await worker;
        // A monitor may start in the middle of a task: look at the first task it saw from the start.
        var lines = (await readable).Out.Replace("\r", string.Empty, StringComparison.Ordinal).Trim().Split('\n');
        var first = Array.FindIndex(lines, l => l.Contains("task received", StringComparison.Ordinal));
        Assert.InRange(first, 0, lines.Length - 1);
        Assert.Matches(@"^w1@\S+ \[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\] task received: tasks\.add\([0-9a-f-]{36}\) args=\(2, 3\) kwargs=\{\}", lines[first]);
        // Two tasks' events may interleave (the worker has two slots): follow this task by its id.
        var id = System.Text.RegularExpressions.Regex.Match(lines[first], @"tasks\.add\(([0-9a-f-]{36})\)").Groups[1].Value;
        var later = lines.Skip(first + 1).Where(l => l.Contains(id, StringComparison.Ordinal)).ToList();
        // Celery's dumper: the task as named by its received event, then every other field sorted, as Python's str().
        Assert.Contains(later, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"task started: tasks\.add\(" + id + @"\) args=\(2, 3\) kwargs=\{\} clock=\d+, local_received=[0-9.]+, pid=\d+, utcoffset=-?\d+$"));
        Assert.Contains(later, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"task succeeded: tasks\.add\(" + id + @"\) args=\(2, 3\) kwargs=\{\} clock=\d+, local_received=[0-9.]+, pid=\d+, result=5, runtime=[0-9.e-]+, utcoffset=-?\d+$"));
        Assert.Equal("-> evdump: starting capture...", lines[0].TrimEnd());

        var json = (await dumped).Out.Trim().Split('\n');
        Assert.Equal(6, json.Length);
        Assert.All(json, j => Assert.StartsWith("{\"hostname\":\"w1@", j, StringComparison.Ordinal));
        Assert.Contains(json, j => j.Contains("\"type\":\"task-received\"", StringComparison.Ordinal));
    }
}
