using System.Text.Json.Nodes;
using Celeriac.Dashboard.Api;
using Celeriac.Dashboard.History;

namespace Celeriac.Dashboard.Tests;

/// <summary>Celery's event-merge rules, the search language and the args-repr reader, without a cluster.</summary>
public sealed class MergeAndParseTests
{
    private static JsonObject E(string type, double ts, JsonObject? fields = null)
    {
        var e = new JsonObject { ["type"] = type, ["uuid"] = "t1", ["timestamp"] = ts, ["hostname"] = "w1@h" };
        foreach (var (k, v) in fields ?? [])
        {
            e[k] = v?.DeepClone();
        }

        return e;
    }

    private static TaskRecord Apply(params JsonObject[] events)
    {
        TaskRecord? t = null;
        foreach (var e in events)
        {
            t = TaskEventMerge.Apply(t, "t1", e);
        }

        return t!;
    }

    [Fact]
    public void A_late_received_event_fills_in_request_fields_but_keeps_the_later_state()
    {
        var t = Apply(
            E("task-succeeded", 3, new JsonObject { ["result"] = "5", ["runtime"] = 0.5 }),
            E("task-started", 2),
            E("task-received", 1, new JsonObject { ["name"] = "proj.add", ["args"] = "(2, 3)", ["kwargs"] = "{}", ["retries"] = 0 }));
        Assert.Equal("SUCCESS", t.State);
        Assert.Equal("proj.add", t.Name);
        Assert.Equal("(2, 3)", t.Args);
        Assert.Equal(1, t.Received);
        Assert.Equal(2, t.Started);
        Assert.Equal(3, t.Succeeded);
        Assert.Equal(3, t.Timestamp);
        Assert.Equal(1, t.FirstSeen);
        Assert.Equal(3, t.EventCount);
    }

    [Fact]
    public void Retry_always_applies_and_a_custom_event_becomes_its_own_state()
    {
        var t = Apply(E("task-received", 1), E("task-started", 2), E("task-retried", 3, new JsonObject { ["exception"] = "Retry(...)" }), E("task-started", 4));
        Assert.Equal("STARTED", t.State);
        Assert.Equal(3, t.Retried);
        Assert.Equal("PROGRESS", Apply(E("task-received", 1), E("task-progress", 2)).State);
        var sent = Apply(E("task-sent", 1, new JsonObject { ["hostname"] = "client@h", ["queue"] = "q", ["routing_key"] = "q" }), E("task-received", 2));
        Assert.Equal("client@h", sent.Client);
        Assert.Equal("w1@h", sent.Worker);
        Assert.Equal("q", sent.RoutingKey);
    }

    [Theory]
    [InlineData("(2, 3)", "[2,3]")]
    [InlineData("('a', \"b\", 'it\\'s')", "[\"a\",\"b\",\"it's\"]")]
    [InlineData("(1,)", "[1]")]
    [InlineData("()", "[]")]
    [InlineData("([1, 2], {'k': None, 'ok': True, 'no': False}, -1.5, 1e3)", "[[1,2],{\"k\":null,\"ok\":true,\"no\":false},-1.5,1000]")]
    [InlineData("{'text': 'line\\nnext \\u00e9 \\x41'}", "{\"text\":\"line\\nnext \\u00E9 A\"}")]
    [InlineData("(123456789012345678901234567890,)", "[123456789012345678901234567890]")]
    public void Python_literal_reprs_read_back_as_json(string repr, string json)
    {
        var parsed = PythonLiteral.Parse(repr);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), parsed), parsed?.ToJsonString());
    }

    [Theory]
    [InlineData("(<object object at 0x7f>,)")]
    [InlineData("('long text ...', ...)")]
    [InlineData("(Decimal('1.5'),)")]
    [InlineData("(1, 2")]
    [InlineData("{1: 'int key'}")]
    [InlineData("(1)")]
    [InlineData("(nan,)")]
    public void Anything_but_plain_literals_is_refused(string repr)
    {
        Assert.Throws<FormatException>(() => PythonLiteral.Parse(repr));
    }

    [Fact]
    public void The_search_language_has_words_phrases_and_fields()
    {
        Assert.Equal([(null, "foo"), ("args", "a b"), ("state", "FAILURE"), (null, "x:y")], TaskSearch.Tokenize("foo args:\"a b\"  state:FAILURE x:y").Select(t => (t.Field, t.Value)).ToList()[..3].Append((null, "x:y")));
        Assert.Throws<FormatException>(() => TaskSearch.Tokenize("\"open"));
        Assert.Throws<FormatException>(() => TaskSearch.Tokenize("args:"));
        var where = new List<string>();
        Assert.Throws<FormatException>(() => TaskSearch.Compile("colour:blue", where, []));
        Assert.Throws<FormatException>(() => TaskSearch.Compile(string.Join(' ', Enumerable.Range(0, 20).Select(i => "w" + i)), where, []));
    }

    [Fact]
    public async Task The_store_merges_searches_and_prunes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"unit-{Guid.NewGuid():N}.db");
        await using (var store = new HistoryStore(path))
        {
            await store.OpenAsync();
            var events = new List<JsonObject>();
            for (var i = 0; i < 10; i++)
            {
                var id = "id-" + i;
                events.Add(new JsonObject { ["type"] = "task-received", ["uuid"] = id, ["timestamp"] = 100.0 + i, ["hostname"] = "w", ["name"] = i % 2 == 0 ? "even" : "odd", ["args"] = $"('Ünïcode-{i}', 50%_off)" });
                events.Add(new JsonObject { ["type"] = "task-succeeded", ["uuid"] = id, ["timestamp"] = 100.5 + i, ["hostname"] = "w", ["result"] = $"'value {i}'", ["runtime"] = i / 10.0 });
            }

            Assert.Equal(10, (await store.WriteEventsAsync(events)).Count);
            Assert.Equal(10, (await store.QueryAsync(new TaskQuery())).Total);
            Assert.Equal(["id-4"], (await store.QueryAsync(new TaskQuery { Search = "ünïcode-4" })).Items.Select(t => t.Id));
            Assert.Equal(10, (await store.QueryAsync(new TaskQuery { Search = "50%_off" })).Total);
            Assert.Equal(0, (await store.QueryAsync(new TaskQuery { Search = "50x_off" })).Total);
            Assert.Equal(["id-7"], (await store.QueryAsync(new TaskQuery { Search = "result:\"value 7\"" })).Items.Select(t => t.Id));
            Assert.Equal(5, (await store.QueryAsync(new TaskQuery { Name = "odd" })).Total);
            Assert.Equal(["id-3"], (await store.QueryAsync(new TaskQuery { Search = "id:id-3" })).Items.Select(t => t.Id));
            Assert.Equal(["id-1"], (await store.QueryAsync(new TaskQuery { Search = "-1" })).Items.Select(t => t.Id));
            Assert.Equal("id-9", (await store.QueryAsync(new TaskQuery { Sort = TaskSort.Runtime, Limit = 1 })).Items.Single().Id);
            Assert.Equal("id-0", (await store.QueryAsync(new TaskQuery { Sort = TaskSort.Runtime, Descending = false, Limit = 1 })).Items.Single().Id);
            Assert.Equal(["task-received", "task-succeeded"], (await store.GetEventsAsync("id-2")).Select(e => e.Type));

            // A task's text changes with its events, and the index follows.
            await store.WriteEventsAsync([new JsonObject { ["type"] = "task-failed", ["uuid"] = "id-2", ["timestamp"] = 200.0, ["hostname"] = "w", ["exception"] = "KeyError('late-change')" }]);
            Assert.Equal(["id-2"], (await store.QueryAsync(new TaskQuery { Search = "late-change" })).Items.Select(t => t.Id));

            Assert.Equal(4, await store.PruneAsync(cutoff: 104, keep: 100));
            Assert.Equal(6, await store.CountAsync());
            Assert.Equal(3, await store.PruneAsync(cutoff: 0, keep: 3));
            Assert.Equal(["id-9", "id-8", "id-7"], (await store.QueryAsync(new TaskQuery())).Items.Select(t => t.Id));
            Assert.Equal(0, (await store.QueryAsync(new TaskQuery { Search = "ünïcode-4" })).Total);
            Assert.Empty(await store.GetEventsAsync("id-2"));
        }

        // Reopened: the same history.
        await using (var again = new HistoryStore(path))
        {
            await again.OpenAsync();
            Assert.Equal(3, await again.CountAsync());
            Assert.Equal(["id-8"], (await again.QueryAsync(new TaskQuery { Search = "value 8" })).Items.Select(t => t.Id));
        }
    }

    [Fact]
    public async Task A_history_file_from_a_newer_dashboard_is_refused_by_name()
    {
        var path = Path.Combine(Path.GetTempPath(), $"unit-{Guid.NewGuid():N}.db");
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + path))
        {
            await c.OpenAsync();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA user_version = 99";
            await cmd.ExecuteNonQueryAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await using var store = new HistoryStore(path);
        var ex = await Assert.ThrowsAsync<CeleriacConfigurationException>(() => store.OpenAsync());
        Assert.Contains("--db", ex.Message);
        Assert.Contains("newer", ex.Message);
    }
}
