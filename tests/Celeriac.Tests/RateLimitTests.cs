using System.Text.Json.Nodes;
using Celeriac.Tasks;
using Microsoft.Extensions.Time.Testing;

namespace Celeriac.Tests;

public sealed class RateLimitTests
{
    [Theory]
    [InlineData("10/s", 10.0)]
    [InlineData("10/m", 10.0 / 60)]
    [InlineData("1000/h", 1000.0 / 3600)]
    [InlineData("2.5", 2.5)]
    [InlineData("0", null)]
    [InlineData("", null)]
    public void Celery_rate_strings_parse_to_tasks_per_second(string text, double? expected) =>
        Assert.Equal(expected, RateLimit.Parse(text));

    [Theory]
    [InlineData("10/d")]
    [InlineData("ten/s")]
    [InlineData("-1/s")]
    public void Bad_rate_strings_are_refused(string text) => Assert.Throws<FormatException>(() => RateLimit.Parse(text));

    [Fact]
    public async Task A_limited_task_type_starts_at_its_rate_while_other_types_run_freely()
    {
        var time = new TestClock();
        await using var app = TestApp.Create(time: time);
        var starts = new List<DateTimeOffset>();
        var limited = app.Task<int>("tasks.limited", (int n) =>
        {
            lock (starts)
            {
                starts.Add(time.GetUtcNow());
            }

            return n;
        }, new TaskSettings { RateLimit = "10/m" });
        var free = app.Task<int>("tasks.free", (int n) => n);
        await using var worker = await app.StartWorkerAsync();

        var results = new[] { await limited.DelayAsync(1), await limited.DelayAsync(2), await limited.DelayAsync(3) };
        await TestApp.WaitUntilAsync(() => starts.Count == 1 && worker.State.ReservedIds.Count == 2, "the first to run and two to wait");
        Assert.Equal(7, await (await free.DelayAsync(7)).GetAsync(TestApp.Timeout));

        await time.WaitForTimerAsync("RateLimiter", TimeSpan.FromSeconds(6));
        time.Advance(TimeSpan.FromSeconds(5.9));
        Assert.Single(starts);
        time.Advance(TimeSpan.FromSeconds(0.1));
        await TestApp.WaitUntilAsync(() => starts.Count == 2, "the second start");
        await time.WaitForTimerAsync("RateLimiter", TimeSpan.FromSeconds(6));
        time.Advance(TimeSpan.FromSeconds(6));
        await TestApp.WaitUntilAsync(() => starts.Count == 3, "the third start");
        Assert.Equal([6.0, 6.0], starts.Zip(starts.Skip(1), (a, b) => (b - a).TotalSeconds));
        Assert.Equal(3, await results[2].GetAsync(TestApp.Timeout));
    }

    [Fact]
    public async Task The_rate_limit_command_changes_and_disables_a_limit_at_runtime()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        await using var app = TestApp.Create(time: time);
        var work = app.Task<int>("tasks.work", (int n) => n, new TaskSettings { RateLimit = "1/h" });
        await using var worker = await app.StartWorkerAsync();
        var node = worker.Hostname;

        var first = await work.DelayAsync(1);
        var second = await work.DelayAsync(2);
        Assert.Equal(1, await first.GetAsync(TestApp.Timeout));
        await TestApp.WaitUntilAsync(() => worker.State.ReservedIds.Contains(second.Id), "the second to wait for its token");

        var reply = await app.Control.InspectAsync("rate_limit", new JsonObject { ["task_name"] = "tasks.work", ["rate_limit"] = "0" }, [node], TestApp.Timeout);
        Assert.Equal("rate limit disabled successfully", reply[node]!["ok"]!.GetValue<string>());
        Assert.Equal(2, await second.GetAsync(TestApp.Timeout));

        reply = await app.Control.InspectAsync("rate_limit", new JsonObject { ["task_name"] = "tasks.work", ["rate_limit"] = "5/m" }, [node], TestApp.Timeout);
        Assert.Equal("new rate limit set successfully", reply[node]!["ok"]!.GetValue<string>());
        reply = await app.Control.InspectAsync("rate_limit", new JsonObject { ["task_name"] = "tasks.work", ["rate_limit"] = "fast" }, [node], TestApp.Timeout);
        Assert.StartsWith("Invalid rate limit string", reply[node]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        reply = await app.Control.InspectAsync("rate_limit", new JsonObject { ["task_name"] = "nope", ["rate_limit"] = "1/s" }, [node], TestApp.Timeout);
        Assert.Equal("unknown task", reply[node]!["error"]!.GetValue<string>());
    }

    [Fact]
    public void A_task_with_a_bad_rate_limit_is_refused_at_registration()
    {
        var app = TestApp.Create();
        var ex = Assert.Throws<ArgumentException>(() => app.Task("tasks.x", () => 1, new TaskSettings { RateLimit = "1/week" }));
        Assert.Contains("task 'tasks.x': Invalid rate limit string", ex.Message, StringComparison.Ordinal);
    }
}
