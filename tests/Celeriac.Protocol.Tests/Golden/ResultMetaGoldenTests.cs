using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol.Tests.Golden;

/// <summary>
/// Every value Python Celery 5.2.6's Redis result backend stored (fixtures redis/results/{basic,extended}/*.raw):
/// task meta decodes, compares with the capture's view and re-encodes to the same bytes; the other stored
/// values (saved group, chord join members) round-trip through kombu JSON and are refused as task meta.
/// </summary>
public sealed class ResultMetaGoldenTests
{
    private static readonly string[] KnownFields =
    [
        "status", "result", "traceback", "children", "date_done", "group_id", "parent_id",
        "name", "args", "kwargs", "worker", "retries", "queue", "task_id",
    ];

    public static TheoryData<string> TaskMetaFixtures() => [.. AllResultFixtures().Where(IsTaskMeta)];

    public static TheoryData<string> OtherBackendValueFixtures() => [.. OtherBackendValues()];

    [Fact]
    public void Every_result_capture_is_enumerated_in_one_of_the_theories()
    {
        Assert.Equal(AllResultFixtures().Count(), TaskMetaFixtures().Count + OtherBackendValueFixtures().Count);
        Assert.Equal(28, TaskMetaFixtures().Count);
        Assert.Equal(
            ["redis/results/basic/chord-j-zset-member-0.raw", "redis/results/basic/chord-j-zset-member-1.raw", "redis/results/basic/group-saved.raw"],
            OtherBackendValues());
    }

    [Theory]
    [MemberData(nameof(TaskMetaFixtures))]
    public void Decoded_meta_matches_the_captured_view(string fixture)
    {
        var value = Fixtures.ReadView(fixture)["value"]!.AsObject();
        var meta = ResultMetaCodec.Decode(Fixtures.ReadBytes(fixture));

        Assert.Equal((string)value["status"]!, meta.Status);
        Assert.Equal((string)value["task_id"]!, meta.TaskId);
        TestJson.Equal(value["result"], meta.Result);
        Assert.Equal((string?)value["traceback"], meta.Traceback);
        TestJson.Equal(value["children"], meta.Children);
        Assert.Equal(
            value["date_done"] is { } done ? DateTime.Parse((string)done!, CultureInfo.InvariantCulture) : null,
            meta.DateDone);
        Assert.Equal((string?)value["group_id"], meta.GroupId);
        Assert.Equal((string?)value["parent_id"], meta.ParentId);
        Assert.Equal((string?)value["name"], meta.Name);
        TestJson.Equal(value["args"], meta.Args);
        TestJson.Equal(value["kwargs"], meta.Kwargs);
        Assert.Equal((string?)value["worker"], meta.Worker);
        Assert.Equal((int?)value["retries"], meta.Retries);
        Assert.Equal((string?)value["queue"], meta.Queue);
        Assert.Null(meta.Extra);
        Assert.Empty(value.Select(p => p.Key).Except(KnownFields));

        if (meta.Status is TaskStates.Failure or TaskStates.Revoked)
        {
            var exc = Assert.IsType<ExceptionInfo>(meta.Exception);
            Assert.Equal((string)value["result"]!["exc_type"]!, exc.Type);
            Assert.Equal((string)value["result"]!["exc_module"]!, exc.Module);
        }
    }

    [Theory]
    [MemberData(nameof(TaskMetaFixtures))]
    public void Reencoding_reproduces_the_stored_bytes(string fixture)
    {
        // Field order is Celery's: status, result, traceback, children, date_done, then group_id and/or
        // parent_id, then the result_extended fields, and task_id last (it is added after the meta is built).
        var raw = Fixtures.ReadBytes(fixture);
        var encoded = ResultMetaCodec.Encode(ResultMetaCodec.Decode(raw));
        Assert.Equal(Encoding.ASCII.GetString(raw), Encoding.ASCII.GetString(encoded));
    }

    [Theory]
    [MemberData(nameof(TaskMetaFixtures))]
    public void Stored_meta_is_published_unchanged(string fixture)
    {
        // The backend PUBLISHes the very bytes it SETs; our encoding of the decoded meta must equal that payload.
        var view = Fixtures.ReadView(fixture);
        var raw = Encoding.ASCII.GetString(Fixtures.ReadBytes(fixture));
        var identical = view["publishes"]!.AsArray().Where(p => (bool)p!["identical_to_stored_value"]!).ToArray();
        Assert.NotEmpty(identical);
        foreach (var publish in identical)
        {
            var data = (string)publish!["data"]!;
            Assert.Equal(raw, data);
            Assert.Equal(data, Encoding.ASCII.GetString(ResultMetaCodec.Encode(ResultMetaCodec.Decode(Encoding.UTF8.GetBytes(data)))));
        }
    }

    [Theory]
    [MemberData(nameof(OtherBackendValueFixtures))]
    public void Other_backend_values_round_trip_through_kombu_json(string fixture)
    {
        var raw = Fixtures.ReadBytes(fixture);
        Assert.Equal(Encoding.ASCII.GetString(raw), KombuJson.SerializeToString(KombuJson.Parse(raw)));
        Assert.Throws<MessageDecodeException>(() => ResultMetaCodec.Decode(raw));
    }

    private static IEnumerable<string> AllResultFixtures() =>
        Fixtures.RawFiles("redis/results/basic").Concat(Fixtures.RawFiles("redis/results/extended"));

    private static string[] OtherBackendValues() => [.. AllResultFixtures().Where(f => !IsTaskMeta(f))];

    private static bool IsTaskMeta(string fixture) =>
        JsonNode.Parse(Fixtures.ReadBytes(fixture)) is JsonObject obj && obj.ContainsKey("status");
}
