using System.Text;
using System.Text.Json.Nodes;
using Celeriac.Canvas;
using Celeriac.Client;
using Celeriac.Protocol;
using static Celeriac.Canvas.Workflow;

namespace Celeriac.Tests.Canvas;

/// <summary>
/// Signatures and canvas composition, compared byte for byte with the dicts Python Celery 5.2.6 builds for the same
/// canvas (Canvas/Fixtures/python-signatures.json, written by make_signatures.py). No worker runs here.
/// </summary>
public sealed class SignatureTests : IAsyncLifetime
{
    private static readonly JsonObject Python = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Canvas", "Fixtures", "python-signatures.json")))!.AsObject();
    private CeleriacApp _app = null!;
    private CanvasTasks _t = null!;

    public Task InitializeAsync()
    {
        _app = TestApp.Create();
        _t = new CanvasTasks(_app);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    public static TheoryData<string> Cases() => [.. Python.Select(kv => kv.Key)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_signature_dict_is_the_one_python_builds_for_the_same_canvas(string name)
    {
        var built = Build(name);

        Assert.Equal(Python[name]!.GetValue<string>(), Encoding.UTF8.GetString(KombuJson.Serialize(built.ToJson())));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_python_signature_dict_reads_and_writes_back_unchanged(string name)
    {
        var text = Python[name]!.GetValue<string>();

        var read = Signature.FromJson(JsonNode.Parse(text));

        Assert.Equal(text, Encoding.UTF8.GetString(KombuJson.Serialize(read.ToJson())));
    }

    [Fact]
    public void The_fluent_pipe_reads_as_python_and_builds_a_chain()
    {
        var add = _t.Add;
        var mul = _t.Mul;

        var chain = add.Signature(2, 2) | mul.Signature(4);

        Assert.Equal(CanvasNames.ChainType, chain.SubtaskType);
        Assert.Equal(["t.add", "t.mul"], Workflow.Tasks(chain).Select(s => s.Task));
        Assert.Same(_app, chain.App);
        Assert.Equal("t.add(2, 2) | t.mul(4)", chain.ToString());
    }

    [Fact]
    public void Partial_arguments_go_first_and_an_immutable_signature_ignores_them()
    {
        var partial = _t.Add.Signature(2).Apply(1);
        var immutable = _t.Add.ImmutableSignature(5, 5).Apply(1);

        Assert.Equal("[1, 2]", Json(partial.Args));
        Assert.Equal("[5, 5]", Json(immutable.Args));
        Assert.True(immutable.IsImmutable);
    }

    [Fact]
    public void Partial_arguments_of_a_chain_go_to_its_first_task_and_of_a_group_to_every_member()
    {
        var chain = Chain(_t.Add.Signature(1), _t.Mul.Signature(2)).Apply(10);
        var group = Group(_t.Add.Signature(1), _t.Add.ImmutableSignature(2, 2)).Apply(10);

        Assert.Equal("[10, 1]", Json(Workflow.Tasks(chain)[0].Args));
        Assert.Equal("[2]", Json(Workflow.Tasks(chain)[1].Args));
        Assert.Equal("[10, 1]", Json(Workflow.Tasks(group)[0].Args));
        Assert.Equal("[2, 2]", Json(Workflow.Tasks(group)[1].Args));
    }

    [Fact]
    public void Set_and_with_options_change_only_the_copy()
    {
        var original = _t.Add.Signature(1, 1);

        var queued = original.Set("queue", "math").WithOptions(new ApplyOptions { Priority = 3, Countdown = TimeSpan.FromSeconds(2) });

        Assert.Empty(original.Options);
        Assert.Equal("""{"queue": "math", "countdown": 2, "priority": 3}""", Json(queued.Options));
    }

    [Fact]
    public void Celery_keeps_a_group_id_already_set_when_call_options_are_merged()
    {
        var own = new JsonObject { ["group_id"] = "mine", ["queue"] = "a" };

        var merged = CanvasSender.Merge(own, new JsonObject { ["group_id"] = "theirs", ["queue"] = "b", ["priority"] = null });

        Assert.Equal("""{"group_id": "mine", "queue": "b"}""", Json(merged));
    }

    [Fact]
    public void Freezing_assigns_ids_and_the_reply_queue_once_and_keeps_them()
    {
        var frozen = (_t.Add.Signature(1, 1) | _t.Mul.Signature(2)).Freeze();
        var again = frozen.Freeze();

        var steps = Workflow.Tasks(frozen);
        Assert.All(steps, s => Assert.NotNull(s.Id));
        Assert.All(steps, s => Assert.Equal(_app.Oid, s.Options["reply_to"]!.GetValue<string>()));
        Assert.Equal(steps.Select(s => s.Id), Workflow.Tasks(again).Select(s => s.Id));
        Assert.Equal("fixed", (_t.Add.Signature(1, 1) | _t.Mul.Signature(2)).Freeze("fixed") is var f ? Workflow.Tasks(f)[^1].Id : null);
    }

    [Fact]
    public void A_frozen_chord_has_its_header_as_a_group_whose_members_know_their_place_and_body()
    {
        var frozen = Chord([_t.Add.Signature(1, 1), _t.Add.Signature(2, 2)], _t.Xsum.Signature()).Freeze();

        var (header, body) = ChordParts(frozen);
        Assert.Equal(CanvasNames.GroupType, header.SubtaskType);
        Assert.Equal(header.Id, frozen.Id);
        var members = Workflow.Tasks(header);
        Assert.Equal([0, 1], members.Select(m => m.Options["group_index"]!.GetValue<int>()));
        // As in Celery, members learn their group id only when the header is sent (a chord's dict may lose it).
        Assert.All(members, m => Assert.Null(m.Options["group_id"]));
        Assert.All(members, m => Assert.Equal(body.Id, m.Options["chord"]!["options"]!["task_id"]!.GetValue<string>()));
    }

    [Fact]
    public void Chunks_become_a_group_of_starmaps_over_slices()
    {
        var group = ChunksGroup(_t.Add.Chunks([[1, 2], [3, 4], [5, 6]], 2));

        var parts = Workflow.Tasks(group);
        Assert.Equal(2, parts.Count);
        Assert.All(parts, p => Assert.Equal(CanvasNames.StarmapTask, p.Task));
        Assert.Equal("[[1, 2], [3, 4]]", Json(parts[0].Kwargs["it"]!));
        Assert.Equal("[[5, 6]]", Json(parts[1].Kwargs["it"]!));
    }

    [Fact]
    public void Not_a_signature_is_refused_with_a_clear_error()
    {
        var ex = Assert.Throws<MessageDecodeException>(() => Signature.FromJson(JsonNode.Parse("""{"args": [1]}""")));

        Assert.Contains("expected an object with a 'task' name", ex.Message, StringComparison.Ordinal);
        Assert.Throws<MessageDecodeException>(() => Signature.FromJson(JsonNode.Parse("""{"task": "t.add", "args": 3}""")));
    }

    [Fact]
    public async Task A_signature_without_an_app_says_how_to_send_it()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => Signature.Create("py.only", 1).ApplyAsync());

        Assert.Contains("ApplyAsync(app", ex.Message, StringComparison.Ordinal);
    }

    private Signature Build(string name)
    {
        var add = _t.Add;
        var mul = _t.Mul;
        var xsum = _t.Xsum;
        return name switch
        {
            "pipe3" => add.Signature(1, 2) | add.Signature(3) | mul.Signature(4),
            "chain_of_chains" => Chain(add.Signature(1, 2), add.Signature(3)) | Chain(add.Signature(4), add.Signature(5)),
            "group_pipe_task" => Group(add.Signature(1, 1), add.Signature(2, 2)) | xsum.Signature(),
            "task_group_task" => add.Signature(1, 1) | Group(add.Signature(1), add.Signature(2)) | xsum.Signature(),
            "chord_pipe_task" => Chord([add.Signature(1, 1)], xsum.Signature()) | mul.Signature(2),
            "task_group_of_one" => add.Signature(1, 1) | Group(add.Signature(1)),
            "on_error_with_queue" => add.Signature(1, 1).Set("queue", "q").LinkError(mul.Signature(9)),
            "group_link" => Group(add.Signature(1, 1), add.Signature(2, 2)).Link(mul.Signature(3)),
            "group_link_error" => Group(add.Signature(1, 1), add.Signature(2, 2)).LinkError(mul.Signature(3)),
            "chord_links" => Chord([add.Signature(1, 1)], xsum.Signature()).Link(mul.Signature(3)).LinkError(mul.Signature(4)),
            "partial" => add.Signature(2).Apply([1], new JsonObject { ["z"] = 3 }),
            "si" => add.ImmutableSignature(1, 2),
            "group_immutable" => Group(add.Signature(1), add.Signature(2)).Immutable(),
            "map" => add.Map([1, 2]),
            "starmap" => add.Starmap([[1, 2]]),
            "chunks" => add.Chunks([[1, 2], [3, 4]], 1),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no C# canvas for this case"),
        };
    }

    private static string Json(JsonNode node) => Encoding.UTF8.GetString(KombuJson.Serialize(node));
}
