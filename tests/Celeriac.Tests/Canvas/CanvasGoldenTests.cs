using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Celeriac.Protocol;
using static Celeriac.Canvas.Workflow;

namespace Celeriac.Tests.Canvas;

/// <summary>
/// Golden tests: the messages our client publishes for a canvas have the shape of those Python Celery 5.2.6 published for
/// the same canvas (Canvas/Fixtures/celery-5.2.6): every header, the properties, args, kwargs and the embed with its
/// signature dicts, byte for byte once ids are masked. Masking keeps which ids are equal (a chain step's task_id, the
/// group id every member carries, the root id, the reply queue), so the relations between messages are compared too.
/// </summary>
public sealed partial class CanvasGoldenTests
{
    private static readonly string FixtureRoot = Path.Combine(AppContext.BaseDirectory, "Canvas", "Fixtures", "celery-5.2.6");

    public static TheoryData<string> Cases() => ["11-chain", "12-group", "13-chord", "14-link-link-error", "19-group-of-chains"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Our_messages_for_a_canvas_match_what_python_sends_for_it(string fixture)
    {
        var python = PythonMessages(fixture);
        await using var app = TestApp.Create();
        var add = app.Task<long>("interop.add", (long x, long y) => x + y);
        var mul = app.Task<long>("interop.mul", (long x, long y) => x * y);
        var xsum = app.Task<long>("interop.xsum", (long[] v) => v.Sum());
        var echo = app.Task("interop.echo", (JsonNode? v) => v);

        // The snippets of the captures, in C#.
        _ = fixture switch
        {
            "11-chain" => await (add.Signature(1, 2) | mul.Signature(3)).ApplyAsync(),
            "12-group" => await Group(Enumerable.Range(0, 3).Select(i => add.Signature(i, i))).ApplyAsync(),
            "13-chord" => await Chord(Group(Enumerable.Range(0, 3).Select(i => add.Signature(i, i))), xsum.Signature()).ApplyAsync(),
            "14-link-link-error" => await add.Signature(2, 3).Link(mul.Signature(10)).LinkError(echo.Signature("errback")).ApplyAsync(),
            "19-group-of-chains" => await Group(add.Signature(1, 1) | mul.Signature(2), add.Signature(2, 2) | mul.Signature(3)).ApplyAsync(),
            _ => throw new ArgumentOutOfRangeException(nameof(fixture)),
        };
        var ours = await PublishedAsync(app, python.Count);

        Assert.Equal(Masked(python), Masked(ours));
    }

    [Fact]
    public void Masking_keeps_which_ids_are_equal()
    {
        var a = new JsonArray(new JsonObject { ["id"] = "0cbef9f7-3c8c-4c1f-bfac-9f935c95b265", ["root_id"] = "0cbef9f7-3c8c-4c1f-bfac-9f935c95b265" });
        var b = new JsonArray(new JsonObject { ["id"] = "47dbdb89-194f-4b1f-97ae-56eaaa234de3", ["root_id"] = "5844a701-6629-3846-9020-588100ca8cf0" });

        Assert.NotEqual(Masked([a]), Masked([b]));
    }

    /// <summary>Each capture as {headers, properties, body}, ordered by the args (the capture files are numbered in header order).</summary>
    private static List<JsonNode> PythonMessages(string fixture)
    {
        var files = Directory.EnumerateFiles(FixtureRoot, fixture + "*.json").Order(StringComparer.Ordinal);
        var messages = new List<JsonNode>();
        foreach (var file in files)
        {
            var envelope = JsonNode.Parse(File.ReadAllText(file))!["envelope"]!;
            var p = envelope["properties"]!;
            messages.Add(Message(envelope["headers"]!.DeepClone(), p["correlation_id"], p["reply_to"], p["delivery_mode"], p["priority"], envelope["_decoded_body"]!.DeepClone()));
        }

        return [.. messages.OrderBy(m => m["body"]![0]!.ToJsonString(), StringComparer.Ordinal)];
    }

    private static async Task<List<JsonNode>> PublishedAsync(CeleriacApp app, int count)
    {
        await using var consumer = await app.Transport.ConsumeAsync(["celery"], count);
        var messages = new List<JsonNode>();
        using var timeout = new CancellationTokenSource(TestApp.Timeout);
        await foreach (var delivery in consumer.ReadAllAsync(timeout.Token))
        {
            var m = delivery.Message;
            messages.Add(Message(m.Headers.DeepClone(), m.Properties.CorrelationId, m.Properties.ReplyTo, m.Properties.DeliveryMode, m.Properties.Priority, KombuJson.Parse(m.Body.Span)));
            if (messages.Count == count)
            {
                break;
            }
        }

        return [.. messages.OrderBy(m => m["body"]![0]!.ToJsonString(), StringComparer.Ordinal)];
    }

    private static JsonObject Message(JsonNode headers, object? correlationId, object? replyTo, object? deliveryMode, object? priority, JsonNode? body) => new()
    {
        ["headers"] = headers,
        ["properties"] = new JsonObject
        {
            ["correlation_id"] = KombuValues.ToNode(correlationId),
            ["reply_to"] = KombuValues.ToNode(replyTo),
            ["delivery_mode"] = KombuValues.ToNode(deliveryMode),
            ["priority"] = KombuValues.ToNode(priority),
        },
        ["body"] = body,
    };

    /// <summary>The messages as one JSON text, each UUID replaced by its order of first appearance and the origin by a placeholder.</summary>
    private static string Masked(IEnumerable<JsonNode> messages)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var all = new JsonArray([.. messages.Select(m => Mask(m.DeepClone(), ids))]);
        return Encoding.UTF8.GetString(KombuJson.Serialize(all));
    }

    private static JsonNode? Mask(JsonNode? node, Dictionary<string, int> ids)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(kv => kv.Key).ToList())
                {
                    o[key] = key == "origin" ? "<origin>" : Mask(o[key]?.DeepClone(), ids);
                }

                return o;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    a[i] = Mask(a[i]?.DeepClone(), ids);
                }

                return a;
            case JsonValue v when v.TryGetValue<string>(out var s) && Uuid().IsMatch(s):
                if (!ids.TryGetValue(s, out var n))
                {
                    n = ids.Count;
                    ids[s] = n;
                }

                return $"<id {n}>";
            default:
                return node;
        }
    }

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    private static partial Regex Uuid();
}
