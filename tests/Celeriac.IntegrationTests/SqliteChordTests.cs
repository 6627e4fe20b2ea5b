using System.Text.RegularExpressions;
using Celeriac.Canvas;
using Celeriac.Cli;
using Celeriac.Client;
using Microsoft.Data.Sqlite;
using static Celeriac.Canvas.Workflow;

namespace Celeriac.IntegrationTests;

/// <summary>
/// Chords on the embedded SQLite broker and backend with four worker processes (samples/Proj) sharing the file: the
/// join is a transaction per header task (decisions/0006), so the body runs exactly once, a failing header task fails
/// the body with ChordError, and no chord state is left in the file, nor any without an expiry meanwhile.
/// </summary>
public sealed partial class SqliteChordTests : IAsyncLifetime
{
    private const int Workers = 4;
    private readonly string _dir = Directory.CreateTempSubdirectory("celeriac-chord-").FullName;
    private readonly List<SampleProcess> _workers = [];

    private string DbPath => Path.Combine(_dir, "broker.db");

    private string Db => "sqlite:///" + DbPath;

    public async Task InitializeAsync()
    {
        var env = new Dictionary<string, string> { ["CELERIAC_BROKER_URL"] = Db, ["CELERIAC_RESULT_BACKEND"] = Db };
        for (var i = 0; i < Workers; i++)
        {
            _workers.Add(SampleProcess.Start("Proj", _dir, env, "worker", "-l", "info", "-c", "2", "-n", $"w{i}@%h"));
        }

        foreach (var w in _workers)
        {
            Assert.True(await w.WaitForOutputAsync("ready.", TimeSpan.FromSeconds(60)), w.Err);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var w in _workers)
        {
            await w.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_chord_of_1000_header_tasks_on_four_worker_processes_completes_once()
    {
        await using var app = CreateApp();
        var header = Enumerable.Range(0, 1000).Select(i => Signature.Create("proj.tasks.add", i, 1));
        var body = Signature.Create("proj.tasks.xsum").Freeze();

        var result = await Chord(header, body).ApplyAsync(app);
        var parent = Assert.IsType<GroupResult>(result.Parent);
        await AssertChordStateHasExpiriesAsync(parent.Id);

        Assert.Equal(Enumerable.Range(0, 1000).Sum(i => i + 1), await result.GetAsync<long>(TimeSpan.FromSeconds(240)));
        Assert.Equal(1000, await parent.CompletedCountAsync());
        // Each worker logs the body's run; a second run (a join gone wrong) would be logged by some worker.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(1, _workers.Sum(w => BodyRuns(w, body.Id!)));
        Assert.True(_workers.Count(w => HeaderRuns(w) > 0) >= 2, "the header ran on several worker processes");
        Assert.Equal(0, Count("SELECT COUNT(*) FROM celeriac_chord_parts"));
        Assert.Equal(0, Count($"SELECT COUNT(*) FROM celeriac_results WHERE key = 'celery-taskset-meta-{parent.Id}'"));
    }

    [Fact]
    public async Task A_chord_with_one_failing_header_task_fails_its_body_with_chord_error()
    {
        await using var app = CreateApp();
        var bad = Signature.Create("proj.tasks.add", "not a number", 1).Freeze();

        var result = await Chord([Signature.Create("proj.tasks.add", 1, 1), bad, Signature.Create("proj.tasks.add", 2, 2)], Signature.Create("proj.tasks.xsum")).ApplyAsync(app);

        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("ChordError", error.ExcType);
        Assert.StartsWith($"Dependency {bad.Id} raised TypeError(", error.ExcMessage, StringComparison.Ordinal);
        Assert.Equal(0, Count("SELECT COUNT(*) FROM celeriac_chord_parts"));
    }

    private CeleriacApp CreateApp() => new(new CeleriacOptions { BrokerUrl = Db, ResultBackend = Db }, Transports.Register(new CeleriacServices()));

    /// <summary>While the chord runs, its saved group and every join part carry an expiry (result_expires).</summary>
    private async Task AssertChordStateHasExpiriesAsync(string groupId)
    {
        for (var i = 0; i < 200 && Count($"SELECT COUNT(*) FROM celeriac_chord_parts WHERE group_id = '{groupId}'") == 0; i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, Count("SELECT COUNT(*) FROM celeriac_chord_parts WHERE expires_at IS NULL"));
        Assert.Equal(0, Count("SELECT COUNT(*) FROM celeriac_results WHERE key LIKE 'celery-taskset-meta-%' AND expires_at IS NULL"));
    }

    private long Count(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DbPath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    private static int BodyRuns(SampleProcess worker, string bodyId) =>
        Regex.Count(worker.Err + worker.Out, $@"Task proj\.tasks\.xsum\[{Regex.Escape(bodyId)}\] succeeded");

    private static int HeaderRuns(SampleProcess worker) => SucceededAdd().Count(worker.Err + worker.Out);

    [GeneratedRegex(@"Task proj\.tasks\.add\[[^\]]+\] succeeded")]
    private static partial Regex SucceededAdd();
}
