using System.Text;
using System.Text.Json.Nodes;

namespace Celeriac.Protocol.Tests;

public sealed class TaskMessageCodecTests
{
    private const string Id = "04182c62-0000-4000-8000-000000000001";

    [Fact]
    public void V1_body_is_read_into_v2_fields()
    {
        // Celery §2.4: protocol v1 keeps everything in the body; headers are empty.
        var message = Json(new JsonObject(), """
            {"task": "tasks.add", "id": "04182c62-0000-4000-8000-000000000001", "args": [2, 3], "kwargs": {"z": 1},
             "retries": 1, "eta": "2030-01-01T12:00:00", "expires": null, "utc": true,
             "callbacks": [{"task": "tasks.mul", "args": [10], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}],
             "errbacks": null, "timelimit": [30, 20], "taskset": "gid-1",
             "chord": {"task": "tasks.xsum", "args": [], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}}
            """);

        var decoded = TaskMessageCodec.Decode(message);

        Assert.Equal(1, decoded.ProtocolVersion);
        var h = decoded.Headers;
        Assert.Equal("tasks.add", h.Task);
        Assert.Equal(Id, h.Id);
        Assert.Equal(1, h.Retries);
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero), h.Eta);
        Assert.Null(h.Expires);
        Assert.Equal("gid-1", h.Group);
        Assert.Equal(new TimeLimit(30, 20), h.TimeLimit);
        Assert.Equal("(2, 3)", h.ArgsRepr);
        Assert.Equal("{'z': 1}", h.KwargsRepr);
        Assert.Empty(h.Extra);
        TestJson.Equal(new JsonArray(2, 3), decoded.Args);
        TestJson.Equal(new JsonObject { ["z"] = 1 }, decoded.Kwargs);
        Assert.Equal("tasks.mul", (string?)decoded.Embed.Callbacks![0]!["task"]);
        Assert.Null(decoded.Embed.Errbacks);
        Assert.Null(decoded.Embed.Chain);
        Assert.Equal("tasks.xsum", (string?)decoded.Embed.Chord!["task"]);
    }

    [Fact]
    public void V1_group_wins_over_taskset()
    {
        var decoded = TaskMessageCodec.Decode(Json(new JsonObject(), """{"task": "t", "id": "i", "args": [], "kwargs": {}, "taskset": "old", "group": "new"}"""));
        Assert.Equal("new", decoded.Headers.Group);
    }

    [Fact]
    public void V1_naive_eta_reads_as_UTC_even_with_utc_false()
    {
        // utc=false meant the sender's local zone, which the message does not name; UTC is the only reading.
        var decoded = TaskMessageCodec.Decode(Json(new JsonObject(), """{"task": "t", "id": "i", "args": [], "kwargs": {}, "eta": "2030-01-01T12:00:00", "utc": false}"""));
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero), decoded.Headers.Eta);
    }

    [Fact]
    public void V1_minimal_body_gets_defaults()
    {
        var decoded = TaskMessageCodec.Decode(Json(new JsonObject(), """{"task": "t", "id": "i"}"""));
        Assert.Empty(decoded.Args);
        Assert.Empty(decoded.Kwargs);
        Assert.Equal("()", decoded.Headers.ArgsRepr);
        Assert.Equal("{}", decoded.Headers.KwargsRepr);
        Assert.Equal(TimeLimit.None, decoded.Headers.TimeLimit);
    }

    [Fact]
    public void Hybrid_reads_the_body_then_lets_headers_override()
    {
        var headers = new JsonObject { ["task"] = "tasks.add", ["id"] = Id, ["retries"] = 3, ["x-custom"] = "v" };
        var decoded = TaskMessageCodec.Decode(Json(headers, """{"task": "other", "id": "body-id", "args": [1], "kwargs": {"a": 1}, "retries": 0, "group": "g"}"""));

        Assert.Equal("tasks.add", decoded.Headers.Task);
        Assert.Equal(Id, decoded.Headers.Id);
        Assert.Equal(3, decoded.Headers.Retries);
        Assert.Equal("g", decoded.Headers.Group);
        Assert.Equal("v", (string?)decoded.Headers.Extra["x-custom"]);
        TestJson.Equal(new JsonArray(1), decoded.Args);
        TestJson.Equal(new JsonObject { ["a"] = 1 }, decoded.Kwargs);
    }

    [Theory]
    [InlineData(ContentTypes.Pickle, "pickle")]
    [InlineData(ContentTypes.Yaml, "yaml")]
    [InlineData(ContentTypes.MsgPack, "application/x-msgpack")]
    [InlineData("text/plain", "text/plain")]
    [InlineData("", "no content type")]
    public void Non_json_content_is_refused_with_the_reason(string contentType, string reasonMentions)
    {
        var message = new TransportMessage
        {
            Body = "\u0080\u0004garbage"u8.ToArray(),
            ContentType = contentType,
            ContentEncoding = ContentTypes.BinaryEncoding,
            Headers = new JsonObject { ["task"] = "tasks.add", ["id"] = Id },
        };

        var ex = Assert.Throws<ContentRefusedException>(() => TaskMessageCodec.Decode(message));
        Assert.Contains(reasonMentions, ex.Message, StringComparison.Ordinal);
        Assert.Contains("application/json", ex.Message, StringComparison.Ordinal);
        Assert.Equal(contentType, ex.ContentType);
        Assert.Equal(Id, ex.TaskId);
    }

    [Fact]
    public void Pickle_refusal_says_why()
    {
        var message = new TransportMessage { Body = Array.Empty<byte>(), ContentType = ContentTypes.Pickle, Headers = new JsonObject { ["id"] = Id } };
        var ex = Assert.Throws<ContentRefusedException>(() => TaskMessageCodec.Decode(message));
        Assert.Contains("arbitrary code", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_content_type_is_matched_case_insensitively()
    {
        var message = V2("[[], {}, {}]");
        var upper = new TransportMessage { Body = message.Body, ContentType = "Application/JSON", Headers = message.Headers };
        Assert.Equal("tasks.add", TaskMessageCodec.Decode(upper).Headers.Task);
    }

    [Theory]
    [InlineData("not json at all", "not valid JSON")]
    [InlineData("[]", "[args, kwargs, embed]")]
    [InlineData("[[2, 3]]", "[args, kwargs, embed]")]
    [InlineData("[[], {}, {}, 4]", "[args, kwargs, embed]")]
    [InlineData("{\"a\": 1}", "[args, kwargs, embed]")]
    [InlineData("7", "[args, kwargs, embed]")]
    [InlineData("[[], [], {}]", "kwargs")]
    [InlineData("[[], \"x\", {}]", "kwargs")]
    [InlineData("[{}, {}, {}]", "args")]
    [InlineData("[null, {}, {}]", "args")]
    [InlineData("[[], {}, []]", "embed")]
    [InlineData("[[], {}, {\"__type__\": \"nope\", \"__value__\": 1}]", "nope")]
    [InlineData("[[], {}, {\"__type__\": 1, \"__value__\": 1}]", "__type__")]
    public void Malformed_v2_body_is_a_decode_error_carrying_the_task_id(string body, string reasonMentions)
    {
        var ex = Assert.Throws<MessageDecodeException>(() => TaskMessageCodec.Decode(V2(body)));
        Assert.IsNotType<ContentRefusedException>(ex);
        Assert.Contains(reasonMentions, ex.Message, StringComparison.Ordinal);
        Assert.Equal(Id, ex.TaskId);
        Assert.Equal("tasks.add", ex.TaskName);
    }

    [Fact]
    public void Missing_id_is_a_decode_error_naming_the_task()
    {
        var message = new TransportMessage { Body = "[[], {}, {}]"u8.ToArray(), Headers = new JsonObject { ["task"] = "tasks.add" } };
        var ex = Assert.Throws<MessageDecodeException>(() => TaskMessageCodec.Decode(message));
        Assert.Contains("'id'", ex.Message, StringComparison.Ordinal);
        Assert.Null(ex.TaskId);
        Assert.Equal("tasks.add", ex.TaskName);
    }

    [Fact]
    public void Missing_task_name_is_a_decode_error_carrying_the_id()
    {
        var message = new TransportMessage { Body = "[[], {}, {}]"u8.ToArray(), Headers = new JsonObject { ["id"] = Id } };
        var ex = Assert.Throws<MessageDecodeException>(() => TaskMessageCodec.Decode(message));
        Assert.Contains("task", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Id, ex.TaskId);
    }

    [Fact]
    public void V1_body_without_task_name_is_a_decode_error_carrying_its_id()
    {
        var ex = Assert.Throws<MessageDecodeException>(() => TaskMessageCodec.Decode(Json(new JsonObject(), """{"id": "v1-id", "args": []}""")));
        Assert.Contains("'task'", ex.Message, StringComparison.Ordinal);
        Assert.Equal("v1-id", ex.TaskId);
    }

    [Theory]
    [InlineData("eta", "\"tomorrow\"")]
    [InlineData("eta", "12345")]
    [InlineData("expires", "\"2024-99-99T00:00:00\"")]
    [InlineData("expires", "true")]
    public void Bad_eta_or_expires_is_a_decode_error_carrying_the_task_id(string header, string json)
    {
        var message = V2("[[], {}, {}]");
        message.Headers[header] = JsonNode.Parse(json);
        var ex = Assert.Throws<MessageDecodeException>(() => TaskMessageCodec.Decode(message));
        Assert.Contains(header, ex.Message, StringComparison.Ordinal);
        Assert.Equal(Id, ex.TaskId);
    }

    [Theory]
    [InlineData("[[], {\"x\": 1}, {}]", "1")]
    [InlineData("[[1, 2], {}]", null)]
    [InlineData("[[1, 2], null, null]", null)]
    public void Lenient_v2_shapes_are_accepted(string body, string? x)
    {
        // Celery §2.3: an empty embed {} is accepted by Python workers; a missing embed or null kwargs read as empty.
        var decoded = TaskMessageCodec.Decode(V2(body));
        Assert.Null(decoded.Embed.Callbacks);
        Assert.Null(decoded.Embed.Chain);
        Assert.Equal(x, decoded.Kwargs["x"]?.ToJsonString());
    }

    [Fact]
    public void Timelimit_header_is_hard_then_soft()
    {
        var message = V2("[[], {}, {}]");
        message.Headers["timelimit"] = new JsonArray(30, 20);
        Assert.Equal(new TimeLimit(Hard: 30, Soft: 20), TaskMessageCodec.Decode(message).Headers.TimeLimit);

        var encoded = TaskMessageCodec.Encode(new TaskMessage { Headers = new TaskHeaders { Task = "t", Id = "i", TimeLimit = new TimeLimit(Hard: 10, Soft: 5.5) } });
        Assert.Equal("[10, 5.5]", KombuJson.SerializeToString(encoded.Headers["timelimit"]));

        var softOnly = TaskMessageCodec.Encode(new TaskMessage { Headers = new TaskHeaders { Task = "t", Id = "i", TimeLimit = new TimeLimit(null, 20) } });
        Assert.Equal("[null, 20]", KombuJson.SerializeToString(softOnly.Headers["timelimit"]));
    }

    [Fact]
    public void Encode_writes_every_header_with_Python_defaults()
    {
        var message = new TaskMessage
        {
            Headers = new TaskHeaders { Task = "tasks.add", Id = Id, Origin = "gen1@host" },
            Args = [2, 3],
        };

        var encoded = TaskMessageCodec.Encode(message);

        Assert.Equal(
            "{\"lang\": \"py\", \"task\": \"tasks.add\", \"id\": \"" + Id + "\", \"shadow\": null, \"eta\": null, \"expires\": null, " +
            "\"group\": null, \"group_index\": null, \"retries\": 0, \"timelimit\": [null, null], \"root_id\": \"" + Id + "\", " +
            "\"parent_id\": null, \"argsrepr\": \"(2, 3)\", \"kwargsrepr\": \"{}\", \"origin\": \"gen1@host\", \"ignore_result\": false}",
            KombuJson.SerializeToString(encoded.Headers));
        Assert.Equal("[[2, 3], {}, {\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}]", Encoding.ASCII.GetString(encoded.Body.Span));
        Assert.Equal(ContentTypes.Json, encoded.ContentType);
        Assert.Equal(ContentTypes.Utf8Encoding, encoded.ContentEncoding);
        Assert.Equal(Id, encoded.Properties.CorrelationId);
        Assert.Equal(2, encoded.Properties.DeliveryMode);
        Assert.Equal(0, encoded.Properties.Priority);
    }

    [Fact]
    public void Encode_writes_eta_with_offset_and_optional_headers_after_the_standard_ones()
    {
        var headers = new TaskHeaders
        {
            Task = "t",
            Id = "i",
            Eta = new DateTimeOffset(2026, 11, 24, 6, 16, 51, TimeSpan.Zero).AddTicks(33670),
            Expires = new DateTimeOffset(2026, 11, 24, 7, 0, 0, TimeSpan.FromHours(1)),
            ReplacedTaskNesting = 1,
            Extra = new JsonObject { ["x-custom"] = "v1", ["stamps"] = new JsonObject() },
        };

        var encoded = TaskMessageCodec.Encode(new TaskMessage { Headers = headers });

        Assert.Equal("2026-11-24T06:16:51.003367+00:00", (string?)encoded.Headers["eta"]);
        Assert.Equal("2026-11-24T07:00:00+01:00", (string?)encoded.Headers["expires"]);
        Assert.Equal(["ignore_result", "replaced_task_nesting", "x-custom", "stamps"], encoded.Headers.Select(p => p.Key).Skip(15).ToArray());
        // The encoded headers hold copies: the message's own Extra stays as it was.
        Assert.NotSame(headers.Extra["stamps"], encoded.Headers["stamps"]);
        Assert.Equal(2, headers.Extra.Count);
    }

    [Fact]
    public void Encode_then_decode_round_trips_every_field()
    {
        var original = new TaskMessage
        {
            Headers = new TaskHeaders
            {
                Task = "tasks.add",
                Id = Id,
                Shadow = "renamed",
                Eta = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)),
                Group = "g",
                GroupIndex = 2,
                Retries = 4,
                TimeLimit = new TimeLimit(30, 20),
                RootId = "root",
                ParentId = "parent",
                Origin = "gen1@host",
                IgnoreResult = true,
                ReplacedTaskNesting = 2,
                Extra = new JsonObject { ["x"] = new JsonArray(1, "é") },
            },
            Args = [1, "two", 3.5],
            Kwargs = new JsonObject { ["k"] = "v" },
            Embed = new TaskEmbed { Chain = [new JsonObject { ["task"] = "next" }], Chord = new JsonObject { ["task"] = "body" } },
            Properties = new MessageProperties { ReplyTo = "oid", Priority = 5, Expiration = "60000" },
        };

        var decoded = TaskMessageCodec.Decode(TaskMessageCodec.Encode(original));

        var expected = TestJson.Describe(original with
        {
            Headers = original.Headers with { ArgsRepr = "(1, 'two', 3.5)", KwargsRepr = "{'k': 'v'}" },
            Properties = original.Properties with { CorrelationId = Id, DeliveryMode = 2 },
        });
        TestJson.Equal(expected, TestJson.Describe(decoded));
    }

    [Fact]
    public void Decode_does_not_change_the_transport_message()
    {
        var message = V2("[[1], {\"a\": {\"b\": 2}}, {\"callbacks\": [{\"task\": \"x\"}], \"errbacks\": null, \"chain\": null, \"chord\": null}]");
        message.Headers["x-custom"] = new JsonObject { ["deep"] = 1 };
        var headersBefore = message.Headers.ToJsonString();

        var first = TaskMessageCodec.Decode(message);
        first.Headers.Extra["x-custom"]!["deep"] = 99;
        first.Args.Add(5);
        var second = TaskMessageCodec.Decode(message);

        Assert.Equal(headersBefore, message.Headers.ToJsonString());
        TestJson.Equal(new JsonArray(1), second.Args);
        Assert.Equal(1, (int)second.Headers.Extra["x-custom"]!["deep"]!);
    }

    [Fact]
    public void Decoded_properties_do_not_share_extra_with_the_transport_message()
    {
        var message = V2("[[], {}, {}]");
        var withExtra = new TransportMessage
        {
            Body = message.Body,
            Headers = message.Headers,
            Properties = new MessageProperties { Extra = new JsonObject { ["replaced_task_nesting"] = 1 } },
        };

        var decoded = TaskMessageCodec.Decode(withExtra);
        decoded.Properties.Extra!["replaced_task_nesting"] = 2;

        Assert.Equal(1, (int)withExtra.Properties.Extra!["replaced_task_nesting"]!);
    }

    [Fact]
    public void Kombu_53_typed_values_in_the_body_read_as_52_text()
    {
        var decoded = TaskMessageCodec.Decode(V2("[[{\"__type__\": \"datetime\", \"__value__\": \"2024-01-02T03:04:05+00:00\"}], {\"d\": {\"__type__\": \"decimal\", \"__value__\": \"1.50\"}}, {}]"));
        Assert.Equal("2024-01-02T03:04:05Z", (string?)decoded.Args[0]);
        Assert.Equal("1.50", (string?)decoded.Kwargs["d"]);
    }

    [Fact]
    public void Non_integer_numbers_in_int_headers_do_not_break_decoding()
    {
        var message = V2("[[], {}, {}]");
        message.Headers["retries"] = 2.0;
        message.Headers["group_index"] = 1e30;
        var decoded = TaskMessageCodec.Decode(message);
        Assert.Equal(2, decoded.Headers.Retries);
        Assert.Null(decoded.Headers.GroupIndex);
    }

    private static TransportMessage V2(string body) => new()
    {
        Body = Encoding.UTF8.GetBytes(body),
        Headers = new JsonObject { ["lang"] = "py", ["task"] = "tasks.add", ["id"] = Id },
    };

    private static TransportMessage Json(JsonObject headers, string body) => new() { Body = Encoding.UTF8.GetBytes(body), Headers = headers };
}
