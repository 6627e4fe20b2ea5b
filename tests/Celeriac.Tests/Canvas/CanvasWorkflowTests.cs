using System.Text.Json.Nodes;
using Celeriac.Canvas;
using Celeriac.Client;
using Celeriac.Protocol;
using Celeriac.Worker;
using static Celeriac.Canvas.Workflow;

namespace Celeriac.Tests.Canvas;

/// <summary>Chains, groups, chords and their nesting, sent by a Celeriac client and run by a Celeriac worker on memory://.</summary>
public sealed class CanvasWorkflowTests : IAsyncLifetime
{
    private CeleriacApp _app = null!;
    private CanvasTasks _t = null!;
    private WorkerHost _worker = null!;

    public async Task InitializeAsync()
    {
        _app = TestApp.Create();
        _t = new CanvasTasks(_app);
        _worker = await _app.StartWorkerAsync(concurrency: 4);
    }

    public async Task DisposeAsync()
    {
        await _worker.DisposeAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task A_chain_passes_each_result_to_the_next_task_and_its_result_has_the_steps_as_parents()
    {
        var add = _t.Add;
        var mul = _t.Mul;

        var result = await (add.Signature(2, 2) | mul.Signature(4)).ApplyAsync();

        Assert.Equal(16, await result.GetAsync<long>(TestApp.Timeout));
        Assert.NotNull(result.Parent);
        Assert.Equal(4, await result.Parent.GetAsync<long>(TestApp.Timeout));
        Assert.Null(result.Parent.Parent);
    }

    [Fact]
    public async Task An_immutable_step_ignores_the_result_before_it()
    {
        var result = await Chain(_t.Add.Signature(1, 1), _t.Add.ImmutableSignature(10, 10), _t.Mul.Signature(3)).ApplyAsync();

        Assert.Equal(60, await result.GetAsync<long>(TestApp.Timeout));
    }

    [Fact]
    public async Task Partial_arguments_given_when_sending_go_to_the_first_task()
    {
        var result = await Chain(_t.Add.Signature(1), _t.Mul.Signature(2)).ApplyAsync(_app, [5]);

        Assert.Equal(12, await result.GetAsync<long>(TestApp.Timeout));
    }

    [Fact]
    public async Task A_failing_step_stops_the_chain_and_fails_every_later_step()
    {
        var chain = Chain(_t.Add.Signature(1, 1), _t.Fail.Signature(), _t.Add.Signature(1), _t.Mul.Signature(2));

        var result = await chain.ApplyAsync();

        var failure = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal("ValueError", failure.ExcType);
        Assert.Equal("2", failure.ExcMessage);
        Assert.Equal(TaskStates.Failure, await result.Parent!.GetStateAsync());
        Assert.Equal(TaskStates.Success, await result.Parent.Parent!.Parent!.GetStateAsync());
    }

    [Fact]
    public async Task A_group_returns_its_results_in_order_with_completed_and_failed_counts()
    {
        var members = Enumerable.Range(0, 10).Select(i => i == 7 ? _t.Fail.Signature("seven") : _t.Add.Signature(i, i));

        var result = Assert.IsType<GroupResult>(await Group(members).ApplyAsync());

        var values = (JsonArray)(await result.GetAsync(TestApp.Timeout, propagate: false))!;
        Assert.Equal(10, values.Count);
        Assert.Equal(18, (long)values[9]!);
        Assert.Equal("ValueError", values[7]!["exc_type"]!.GetValue<string>());
        Assert.Equal(9, await result.CompletedCountAsync());
        Assert.Equal(1, await result.FailedCountAsync());
        Assert.True(await result.AllReadyAsync());
        Assert.True(await result.AnyFailedAsync());
        Assert.False(await result.AllSuccessfulAsync());
        await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
    }

    [Fact]
    public async Task Group_members_carry_the_group_id_and_a_saved_group_restores()
    {
        var result = Assert.IsType<GroupResult>(await Group(_t.Add.Signature(1, 1), _t.Add.Signature(2, 2)).ApplyAsync());
        await result.GetAsync(TestApp.Timeout);
        await result.SaveAsync();

        var restored = await GroupResult.RestoreAsync(_app, result.Id);

        Assert.NotNull(restored);
        Assert.Equal(result.Results.Select(r => r.Id), restored.Results.Select(r => r.Id));
        Assert.Equal("[2, 4]", (await restored.GetAsync(TestApp.Timeout))!.ToJsonString().Replace(",", ", ", StringComparison.Ordinal));
        foreach (var r in result.Results)
        {
            Assert.Equal(result.Id, (await _app.Backend.GetAsync(r.Id))!.GroupId);
        }

        await result.ForgetAsync();
        Assert.Null(await GroupResult.RestoreAsync(_app, result.Id));
    }

    [Fact]
    public async Task A_chord_passes_the_header_results_in_header_order_to_the_body_once()
    {
        var header = Enumerable.Range(0, 50).Select(i => _t.Add.Signature(i, 0));

        var result = await Chord(header, _t.Identity.Signature()).ApplyAsync();

        var values = (JsonArray)(await result.GetAsync(TestApp.Timeout))!;
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), values.Select(v => (long)v!));
        var parent = Assert.IsType<GroupResult>(result.Parent);
        Assert.Equal(50, parent.Count);
    }

    [Fact]
    public async Task A_group_piped_into_a_task_is_a_chord()
    {
        var result = await (Group(_t.Add.Signature(1, 1), _t.Add.Signature(2, 2)) | _t.Xsum.Signature()).ApplyAsync();

        Assert.Equal(6, await result.GetAsync<long>(TestApp.Timeout));
    }

    [Fact]
    public async Task A_chord_with_a_failing_header_task_fails_its_body_with_chord_error_as_celery_does()
    {
        var bad = _t.Fail.Signature("header-boom").Freeze();
        var result = await Chord([_t.Add.Signature(1, 1), bad, _t.Add.Signature(2, 2)], _t.Xsum.Signature()).ApplyAsync();

        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));

        Assert.Equal("ChordError", error.ExcType);
        Assert.Equal("celery.exceptions", error.ExcModule);
        Assert.Equal($"Dependency {bad.Id} raised ValueError('header-boom')", error.ExcMessage);
        Assert.Equal(0, _t.XsumRuns);
    }

    [Fact]
    public async Task An_empty_chord_header_sends_the_body_at_once_with_an_empty_list()
    {
        var result = await Chord([], _t.Identity.Signature()).ApplyAsync();

        Assert.Equal("[]", (await result.GetAsync(TestApp.Timeout))!.ToJsonString());
    }

    [Fact]
    public async Task A_chain_of_groups_runs_each_group_on_the_results_of_the_one_before()
    {
        // add(1,1)=2 -> group(add(2,1), add(2,2)) -> [3, 4] -> xsum -> 7 -> group(mul(7,2), mul(7,3)) -> [14, 21]
        var canvas = Chain(
            _t.Add.Signature(1, 1),
            Group(_t.Add.Signature(1), _t.Add.Signature(2)),
            _t.Xsum.Signature(),
            Group(_t.Mul.Signature(2), _t.Mul.Signature(3)));

        var result = Assert.IsType<GroupResult>(await canvas.ApplyAsync());

        var values = await result.GetAsync<long[]>(TestApp.Timeout);
        Assert.Equal(new long[] { 14, 21 }, values);
    }

    [Fact]
    public async Task Two_groups_in_a_row_nest_as_chords()
    {
        // group(1+1, 2+2) -> [2, 4] is prepended to each member of the next group: identity([2, 4]) twice.
        var canvas = Chain(Group(_t.Add.Signature(1, 1), _t.Add.Signature(2, 2)), Group(_t.Identity.Signature(), _t.Identity.Signature()), _t.Identity.Signature());

        var result = await canvas.ApplyAsync();

        Assert.Equal("[[2,4],[2,4]]", (await result.GetAsync(TestApp.Timeout))!.ToJsonString());
    }

    [Fact]
    public async Task A_group_of_chains_returns_the_last_result_of_each_chain()
    {
        var canvas = Group(Enumerable.Range(0, 4).Select(i => _t.Add.Signature(i, i) | _t.Mul.Signature(10)));

        var result = Assert.IsType<GroupResult>(await canvas.ApplyAsync());

        var values = await result.GetAsync<long[]>(TestApp.Timeout);
        Assert.Equal(new long[] { 0, 20, 40, 60 }, values);
    }

    [Fact]
    public async Task A_chord_inside_a_chain_gets_the_previous_result_and_passes_its_own_on()
    {
        var canvas = Chain(_t.Add.Signature(1, 1), Chord([_t.Add.Signature(1), _t.Add.Signature(2)], _t.Xsum.Signature()), _t.Mul.Signature(10));

        var result = await canvas.ApplyAsync();

        Assert.Equal(70, await result.GetAsync<long>(TestApp.Timeout));
    }

    [Fact]
    public async Task A_chord_whose_body_is_a_chain_and_whose_header_has_chains()
    {
        var header = new[] { _t.Add.Signature(1, 1) | _t.Mul.Signature(10), _t.Add.Signature(2, 2) | _t.Mul.Signature(10) };

        var result = await Chord(header, _t.Xsum.Signature() | _t.Add.Signature(1)).ApplyAsync();

        Assert.Equal(61, await result.GetAsync<long>(TestApp.Timeout));
    }

    [Fact]
    public async Task A_chord_in_a_chord_header_reports_through_its_body()
    {
        var inner = Chord([_t.Add.Signature(1, 1), _t.Add.Signature(2, 2)], _t.Xsum.Signature());

        var result = await Chord([inner, _t.Add.Signature(10, 10), Group(_t.Add.Signature(3, 3), _t.Add.Signature(4, 4))], _t.Identity.Signature()).ApplyAsync();

        Assert.Equal("[6,20,6,8]", (await result.GetAsync(TestApp.Timeout))!.ToJsonString());
    }

    [Fact]
    public async Task A_chain_inside_a_chord_header_that_fails_early_still_completes_the_chord()
    {
        var header = new[] { _t.Fail.Signature("first") | _t.Mul.Signature(10), _t.Add.Signature(2, 2) };

        var result = await Chord(header, _t.Xsum.Signature()).ApplyAsync();

        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal("ChordError", error.ExcType);
        Assert.Contains("ValueError('first')", error.ExcMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_link_on_a_task_runs_with_its_result_and_shows_in_its_children()
    {
        var result = await _t.Add.Signature(2, 3).Link(_t.Mul.Signature(10)).ApplyAsync();

        Assert.Equal(5, await result.GetAsync<long>(TestApp.Timeout));
        var child = Assert.Single(result.Children);
        Assert.Equal(50, await child.GetAsync<long>(TestApp.Timeout));
    }

    [Fact]
    public async Task Link_and_link_error_are_call_options_of_any_task_too()
    {
        var errback = _t.Identity.Signature().Freeze();

        var ok = await _t.Add.ApplyAsync([2, 3], options: new ApplyOptions { Link = [_t.Mul.Signature(10)] });
        var bad = await _app.SendTaskAsync("t.fail", ["by name"], options: new ApplyOptions { LinkError = [errback] });

        Assert.Equal(5, await ok.GetAsync(TestApp.Timeout));
        Assert.Equal(50, await Assert.Single(ok.Children).GetAsync<long>(TestApp.Timeout));
        await Assert.ThrowsAsync<TaskFailedException>(async () => await bad.GetAsync(TestApp.Timeout));
        Assert.Equal(bad.Id, await _app.AsyncResult(errback.Id!).GetAsync<string>(TestApp.Timeout));
    }

    [Fact]
    public async Task A_chord_without_a_result_backend_is_refused_as_in_celery()
    {
        await using var app = TestApp.Create(o => o with { ResultBackend = null });
        var t = new CanvasTasks(app);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => Chord([t.Add.Signature(1, 1)], t.Xsum.Signature()).ApplyAsync());

        Assert.StartsWith("Starting chords requires a result backend to be configured", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_links_are_sent_as_one_group_as_celery_does()
    {
        var result = await _t.Add.Signature(2, 3).Link(_t.Mul.Signature(10)).Link(_t.Mul.Signature(100)).ApplyAsync();

        await result.GetAsync(TestApp.Timeout);
        var child = Assert.IsType<GroupResult>(Assert.Single(result.Children));
        var values = await child.GetAsync<long[]>(TestApp.Timeout);
        Assert.Equal(new long[] { 50, 500 }, values);
    }

    [Fact]
    public async Task A_one_argument_errback_is_sent_with_the_failed_task_id()
    {
        var errback = _t.Identity.Signature().Freeze();

        var result = await _t.Fail.Signature("boom").LinkError(errback).ApplyAsync();

        await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal(result.Id, await _app.AsyncResult(errback.Id!).GetAsync<string>(TestApp.Timeout));
        var meta = await _app.Backend.GetAsync(errback.Id!);
        Assert.Equal(result.Id, meta!.ParentId);
        Assert.NotNull(meta.GroupId);
    }

    [Fact]
    public async Task A_new_style_errback_is_called_in_the_worker_with_request_exception_and_traceback()
    {
        var result = await _t.Fail.Signature("new-style").LinkError(_t.OnError.Signature("tag-1")).ApplyAsync();

        await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        await TestApp.WaitUntilAsync(() => !_t.Errors.IsEmpty, "the errback to be called");
        var (id, exception, traceback, tag) = Assert.Single(_t.Errors);
        Assert.Equal(result.Id, id);
        Assert.Equal("ValueError('new-style')", exception.ToString());
        Assert.Contains("ValueError", traceback, StringComparison.Ordinal);
        Assert.Equal("tag-1", tag);
    }

    [Fact]
    public async Task A_chain_errback_fires_once_for_the_failing_step()
    {
        var errback = _t.Collect.Signature().Freeze();
        var chain = Chain(_t.Add.Signature(1, 1), _t.Fail.Signature(), _t.Mul.Signature(2)).LinkError(errback);

        var result = await chain.ApplyAsync();

        await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        await _app.AsyncResult(errback.Id!).GetAsync(TestApp.Timeout);
        Assert.Equal(result.Parent!.Id, Assert.Single(_t.Collected).Trim('"'));
    }

    [Fact]
    public async Task A_chord_body_errback_gets_the_body_id_when_the_header_fails()
    {
        var errback = _t.Identity.Signature().Freeze();
        var body = _t.Xsum.Signature().Freeze();

        var result = await Chord([_t.Fail.Signature("x")], body).LinkError(errback).ApplyAsync();

        await Assert.ThrowsAsync<TaskFailedException>(async () => await result.GetAsync(TestApp.Timeout));
        Assert.Equal(body.Id, await _app.AsyncResult(errback.Id!).GetAsync<string>(TestApp.Timeout));
    }

    [Fact]
    public async Task Linking_a_group_links_its_first_member_with_an_immutable_callback()
    {
        var callback = _t.Identity.Signature("fixed").Freeze();

        var result = await Group(_t.Add.Signature(1, 1), _t.Add.Signature(2, 2)).Link(callback).ApplyAsync();

        await result.GetAsync(TestApp.Timeout);
        Assert.Equal("fixed", await _app.AsyncResult(callback.Id!).GetAsync<string>(TestApp.Timeout));
    }

    [Fact]
    public async Task A_group_given_link_as_an_option_is_refused_as_in_celery()
    {
        var group = Group(_t.Add.Signature(1, 1)).Set("link", _t.Mul.Signature(2).ToJson());

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => group.ApplyAsync());

        Assert.Contains("use a chord", ex.Message, StringComparison.Ordinal);
    }
}
