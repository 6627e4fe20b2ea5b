using System.Text;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol.Tests;

public sealed class ResultMetaCodecTests
{
    private static readonly DateTime Done = new DateTime(2026, 11, 24, 6, 9, 46, DateTimeKind.Utc).AddTicks(1989910);

    [Fact]
    public void Encode_uses_Celerys_field_order_with_task_id_last()
    {
        var meta = new ResultMeta
        {
            TaskId = "t",
            Status = TaskStates.Success,
            Result = 5,
            DateDone = Done,
            GroupId = "g",
            ParentId = "p",
            Name = "tasks.add",
            Args = [2, 3],
            Kwargs = [],
            Worker = "celery@host",
            Retries = 0,
            Queue = "celery",
        };

        Assert.Equal(
            "{\"status\": \"SUCCESS\", \"result\": 5, \"traceback\": null, \"children\": [], \"date_done\": \"2026-11-24T06:09:46.198991\", " +
            "\"group_id\": \"g\", \"parent_id\": \"p\", \"name\": \"tasks.add\", \"args\": [2, 3], \"kwargs\": {}, \"worker\": \"celery@host\", " +
            "\"retries\": 0, \"queue\": \"celery\", \"task_id\": \"t\"}",
            Encoding.ASCII.GetString(ResultMetaCodec.Encode(meta)));
    }

    [Fact]
    public void Pending_states_have_null_date_done_and_extra_fields_stay_before_task_id()
    {
        var meta = new ResultMeta
        {
            TaskId = "t",
            Status = TaskStates.Started,
            Result = new JsonObject { ["pid"] = 1, ["hostname"] = "w@h" },
            Extra = new JsonObject { ["stamps"] = new JsonObject() },
        };

        Assert.Equal(
            "{\"status\": \"STARTED\", \"result\": {\"pid\": 1, \"hostname\": \"w@h\"}, \"traceback\": null, \"children\": [], \"date_done\": null, \"stamps\": {}, \"task_id\": \"t\"}",
            Encoding.ASCII.GetString(ResultMetaCodec.Encode(meta)));
        Assert.Equal("{\"status\": \"STARTED\", \"result\": {\"pid\": 1, \"hostname\": \"w@h\"}, \"traceback\": null, \"children\": [], \"stamps\": {}, \"task_id\": \"t\"}",
            KombuJson.SerializeToString(ResultMetaCodec.ToJson(meta, includeDateDone: false)));
    }

    [Fact]
    public void Rpc_body_has_task_id_first_and_no_date_done()
    {
        var meta = new ResultMeta { TaskId = "t", Status = TaskStates.Success, Result = 5, DateDone = Done, ParentId = "p" };
        Assert.Equal(
            "{\"task_id\": \"t\", \"status\": \"SUCCESS\", \"result\": 5, \"traceback\": null, \"children\": []}",
            Encoding.ASCII.GetString(ResultMetaCodec.EncodeRpc(meta)));

        var decoded = ResultMetaCodec.Decode(ResultMetaCodec.EncodeRpc(meta));
        Assert.Equal("t", decoded.TaskId);
        Assert.Null(decoded.DateDone);
    }

    [Fact]
    public void Date_done_with_an_offset_reads_as_UTC_and_is_written_naive()
    {
        // Celery 5.4 writes date_done with +00:00; 5.2 readers and writers use naive UTC.
        var meta = ResultMetaCodec.Decode("{\"status\": \"SUCCESS\", \"result\": 1, \"date_done\": \"2026-11-24T07:09:46.198991+01:00\", \"task_id\": \"t\"}"u8);
        Assert.Equal(Done, meta.DateDone);
        Assert.Equal(DateTimeKind.Utc, meta.DateDone!.Value.Kind);
        Assert.Equal("2026-11-24T06:09:46.198991", (string?)ResultMetaCodec.ToJson(meta)["date_done"]);
    }

    [Fact]
    public void Missing_task_id_falls_back_to_the_expected_id()
    {
        Assert.Equal("from-key", ResultMetaCodec.Decode("{\"status\": \"PENDING\"}"u8, "from-key").TaskId);
        Assert.Throws<MessageDecodeException>(() => ResultMetaCodec.Decode("{\"status\": \"PENDING\"}"u8));
    }

    [Theory]
    [InlineData("{\"result\": 1, \"task_id\": \"t\"}", "status")]
    [InlineData("[1, \"t\", \"SUCCESS\", 2]", "object")]
    [InlineData("nope", "JSON")]
    public void Malformed_meta_is_a_decode_error(string json, string reasonMentions)
    {
        var ex = Assert.Throws<MessageDecodeException>(() => ResultMetaCodec.Decode(Encoding.UTF8.GetBytes(json)));
        Assert.Contains(reasonMentions, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_fields_are_kept_in_Extra()
    {
        var meta = ResultMetaCodec.Decode("{\"status\": \"SUCCESS\", \"result\": null, \"stamped_headers\": [\"s\"], \"s\": 1, \"task_id\": \"t\"}"u8);
        Assert.Equal(["stamped_headers", "s"], meta.Extra!.Select(p => p.Key).ToArray());
    }

    [Fact]
    public void Odd_types_in_optional_fields_do_not_break_decoding()
    {
        var meta = ResultMetaCodec.Decode("{\"status\": \"SUCCESS\", \"result\": 1, \"retries\": 1.5, \"date_done\": \"yesterday\", \"children\": null, \"args\": {}, \"task_id\": \"t\"}"u8);
        Assert.Null(meta.Retries);
        Assert.Null(meta.DateDone);
        Assert.Null(meta.Children);
        Assert.Null(meta.Args);
    }

    [Fact]
    public void FromJson_leaves_the_node_unchanged()
    {
        var node = JsonNode.Parse("{\"status\": \"SUCCESS\", \"result\": {\"a\": [1]}, \"children\": [], \"args\": [1], \"kwargs\": {}, \"task_id\": \"t\"}")!;
        var before = node.ToJsonString();
        var meta = ResultMetaCodec.FromJson(node);
        Assert.Equal(before, node.ToJsonString());
        Assert.NotSame(node["result"], meta.Result);
    }

    [Fact]
    public void Failure_exposes_the_exception_with_list_or_string_message()
    {
        var list = ResultMetaCodec.Decode("{\"status\": \"FAILURE\", \"result\": {\"exc_type\": \"ValueError\", \"exc_message\": [\"boom\"], \"exc_module\": \"builtins\"}, \"task_id\": \"t\"}"u8);
        Assert.Equal("ValueError", list.Exception!.Type);
        Assert.Equal("builtins", list.Exception.Module);
        Assert.Equal("boom", list.Exception.MessageText);
        Assert.Equal("ValueError('boom')", list.Exception.ToString());

        var text = ResultMetaCodec.Decode("{\"status\": \"REVOKED\", \"result\": {\"exc_type\": \"TaskRevokedError\", \"exc_message\": \"revoked\", \"exc_module\": \"celery.exceptions\"}, \"task_id\": \"t\"}"u8);
        Assert.Equal("revoked", text.Exception!.MessageText);
        Assert.Equal("TaskRevokedError('revoked')", text.Exception.ToString());

        var success = ResultMetaCodec.Decode("{\"status\": \"SUCCESS\", \"result\": {\"exc_type\": \"x\"}, \"task_id\": \"t\"}"u8);
        Assert.Null(success.Exception);
    }
}
