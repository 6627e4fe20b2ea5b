using System.Text.Json.Nodes;
using Celeriac.Backends;
using Celeriac.Protocol;

namespace Celeriac.Conformance;

/// <summary>
/// What every result backend must do for groups and chords, driven only through <see cref="IResultBackend"/>: saved
/// groups (Celery's <c>GroupResult.save/restore</c>), and the chord join — exactly one header task's report completes
/// it, with every member's end state in header order, however many report at once from however many backend
/// instances, a task reporting twice counts once, and the join's state expires like results do.
/// </summary>
public abstract class GroupAndChordConformanceTests : ResultBackendConformanceTests
{
    [Fact]
    public async Task A_saved_group_restores_its_member_ids_in_order()
    {
        var backend = Open();
        var groupId = NewId();
        var ids = Enumerable.Range(0, 5).Select(_ => NewId()).ToList();

        await backend.SaveGroupAsync(groupId, ids);

        Assert.Equal(ids, await Open().RestoreGroupAsync(groupId));
        Assert.Null(await backend.RestoreGroupAsync(NewId()));
    }

    [Fact]
    public async Task A_deleted_group_is_gone_and_its_members_results_stay()
    {
        var backend = Open();
        var groupId = NewId();
        var member = NewId();
        await backend.StoreAsync(Success(member, 1));
        await backend.SaveGroupAsync(groupId, [member]);

        await backend.DeleteGroupAsync(groupId);

        Assert.Null(await backend.RestoreGroupAsync(groupId));
        Assert.NotNull(await backend.GetAsync(member));
    }

    [Fact]
    public async Task A_saved_group_expires_after_result_expires()
    {
        var backend = Open();
        var groupId = NewId();
        await backend.SaveGroupAsync(groupId, [NewId()]);

        await AdvanceAsync(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));

        Assert.Null(await backend.RestoreGroupAsync(groupId));
    }

    [Fact]
    public async Task The_last_header_task_to_report_gets_every_members_end_in_header_order()
    {
        var backend = Open();
        var groupId = NewId();
        var ids = Enumerable.Range(0, 3).Select(_ => NewId()).ToList();
        await backend.PrepareChordAsync(groupId, ids);

        Assert.Null(await backend.ChordPartReturnAsync(groupId, 2, Success(ids[2], 20)));
        Assert.Null(await Open().ChordPartReturnAsync(groupId, 0, Failure(ids[0])));
        var members = await backend.ChordPartReturnAsync(groupId, 1, Success(ids[1], 10));

        Assert.NotNull(members);
        Assert.Equal(ids, members.Select(m => m.TaskId));
        Assert.Equal([TaskStates.Failure, TaskStates.Success, TaskStates.Success], members.Select(m => m.Status));
        Assert.Equal("ValueError", members[0].Result?["exc_type"]?.GetValue<string>());
        Assert.Equal([10, 20], members.Skip(1).Select(m => (int)m.Result!));
    }

    [Fact]
    public async Task The_join_uses_the_reported_results_not_the_tasks_stored_ones()
    {
        // An ignore_result header task stores nothing; its result still reaches the body.
        var backend = Open();
        var groupId = NewId();
        var ids = new[] { NewId(), NewId() };
        await backend.PrepareChordAsync(groupId, ids);

        await backend.ChordPartReturnAsync(groupId, 0, Success(ids[0], 1));
        var members = await backend.ChordPartReturnAsync(groupId, 1, Success(ids[1], 2));

        Assert.Equal([1, 2], members!.Select(m => (int)m.Result!));
        Assert.Null(await backend.GetAsync(ids[0]));
    }

    [Fact]
    public async Task Exactly_one_of_many_concurrent_reports_completes_the_join()
    {
        const int Size = 200;
        var backends = Enumerable.Range(0, 4).Select(_ => Open()).ToList();
        var groupId = NewId();
        var ids = Enumerable.Range(0, Size).Select(_ => NewId()).ToList();
        await backends[0].PrepareChordAsync(groupId, ids);

        var reports = await Task.WhenAll(ids.Select((id, i) => Task.Run(async () =>
            await backends[i % backends.Count].ChordPartReturnAsync(groupId, i, Success(id, i)))));

        var completed = Assert.Single(reports, r => r is not null);
        Assert.Equal(Enumerable.Range(0, Size), completed!.Select(m => (int)m.Result!));
    }

    [Fact]
    public async Task A_task_that_reports_twice_counts_once()
    {
        var backend = Open();
        var groupId = NewId();
        var ids = new[] { NewId(), NewId() };
        await backend.PrepareChordAsync(groupId, ids);

        Assert.Null(await backend.ChordPartReturnAsync(groupId, 0, Success(ids[0], 1)));
        Assert.Null(await backend.ChordPartReturnAsync(groupId, 0, Success(ids[0], 1)));
        Assert.NotNull(await backend.ChordPartReturnAsync(groupId, 1, Success(ids[1], 2)));
    }

    [Fact]
    public async Task A_report_after_the_join_completed_gets_nothing()
    {
        var backend = Open();
        var groupId = NewId();
        var id = NewId();
        await backend.PrepareChordAsync(groupId, [id]);
        Assert.NotNull(await backend.ChordPartReturnAsync(groupId, 0, Success(id, 1)));

        Assert.Null(await backend.ChordPartReturnAsync(groupId, 0, Success(id, 1)));
    }

    [Fact]
    public async Task A_join_left_unfinished_longer_than_result_expires_is_forgotten()
    {
        var backend = Open();
        var groupId = NewId();
        var ids = new[] { NewId(), NewId() };
        await backend.PrepareChordAsync(groupId, ids);
        await backend.ChordPartReturnAsync(groupId, 0, Success(ids[0], 1));

        await AdvanceAsync(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));

        Assert.Null(await backend.ChordPartReturnAsync(groupId, 1, Success(ids[1], 2)));
    }

    [Fact]
    public async Task Each_report_keeps_an_unfinished_join_alive_for_result_expires()
    {
        var backend = Open();
        var groupId = NewId();
        var ids = new[] { NewId(), NewId(), NewId() };
        await backend.PrepareChordAsync(groupId, ids);
        await backend.ChordPartReturnAsync(groupId, 0, Success(ids[0], 1));
        await AdvanceAsync(TimeSpan.FromMinutes(50));

        await backend.ChordPartReturnAsync(groupId, 1, Success(ids[1], 2));
        await AdvanceAsync(TimeSpan.FromMinutes(50));

        Assert.NotNull(await backend.ChordPartReturnAsync(groupId, 2, Success(ids[2], 3)));
    }

    [Fact]
    public async Task Two_chords_at_once_keep_their_joins_apart()
    {
        var backend = Open();
        var (g1, g2) = (NewId(), NewId());
        var (a, b) = (NewId(), NewId());
        await backend.PrepareChordAsync(g1, [a]);
        await backend.PrepareChordAsync(g2, [b, NewId()]);

        Assert.Null(await backend.ChordPartReturnAsync(g2, 0, Success(b, 2)));
        var first = await backend.ChordPartReturnAsync(g1, 0, Success(a, 1));

        Assert.Equal([a], first!.Select(m => m.TaskId));
    }

    [Fact]
    public async Task Cleanup_keeps_what_has_not_expired()
    {
        var backend = Open();
        var id = NewId();
        var groupId = NewId();
        await backend.StoreAsync(Success(id, 1));
        await backend.SaveGroupAsync(groupId, [id]);

        await backend.CleanupAsync();

        Assert.NotNull(await backend.GetAsync(id));
        Assert.NotNull(await backend.RestoreGroupAsync(groupId));
    }

    [Fact]
    public async Task A_failed_member_keeps_its_exception_dict_for_chord_error()
    {
        var backend = Open();
        var groupId = NewId();
        var id = NewId();
        await backend.PrepareChordAsync(groupId, [id]);

        var members = await backend.ChordPartReturnAsync(groupId, 0, Failure(id));

        var info = ExceptionInfo.FromJson(Assert.Single(members!).Result);
        Assert.Equal("ValueError('boom')", info?.ToString());
        Assert.IsType<JsonObject>(members![0].Result);
    }
}
