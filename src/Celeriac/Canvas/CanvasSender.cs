using System.Globalization;
using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Protocol;

namespace Celeriac.Canvas;

/// <summary>
/// Sends signatures as Celery does: a task with its <c>link</c>/<c>link_error</c>/<c>chain</c>/<c>chord</c> options moved
/// into the message's embed; a chain as its first step with the rest reversed in <c>embed.chain</c>; a group as its
/// members with the group id; a chord as its header with the body in <c>embed.chord</c>, after the backend has been
/// told the header's size. Used by clients and by workers (callbacks, next chain step, chord body).
/// Source: celery/canvas.py (Signature.apply_async, _chain.run/prepare_steps, group._apply_tasks, _chord.run).
/// </summary>
internal sealed class CanvasSender
{
    private readonly CeleriacApp _app;

    public CanvasSender(CeleriacApp app) => _app = app;

    /// <summary>Sends <paramref name="signature"/>; <paramref name="extra"/> options win over its own (except a set <c>group_id</c>).</summary>
    public Task<AsyncResult> ApplyAsync(Signature signature, JsonObject? extra, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signature);
        return SendAsync(Freeze(signature), extra, cancellationToken);
    }

    /// <summary>Assigns every task id the workflow needs up front, so results can be followed before anything runs.</summary>
    public static Signature Freeze(Signature s)
    {
        switch (s.SubtaskType)
        {
            case "chain":
                var steps = Upgrade(Workflow.Tasks(s)).Select(Freeze).ToList();
                return Keep(Workflow.Chain(steps).WithOptions(s.Options), s);
            case "group":
                var members = Workflow.Tasks(s).Select(Freeze).ToList();
                return Keep(Workflow.Group(members).WithOptions(s.Options).Freeze(), s);
            case "chord":
                var (header, body) = Workflow.ChordParts(s);
                var frozenHeader = Workflow.Group(Workflow.Tasks(header).Select(Freeze)).WithOptions(header.Options).Freeze();
                return Keep(Workflow.Chord(frozenHeader, Freeze(body)).WithOptions(s.Options), s);
            default:
                return s.Freeze();
        }
    }

    /// <summary>The id whose result is the workflow's result: the task, the chain's last step, the group, the chord's body.</summary>
    public static string ResultId(Signature frozen) => frozen.SubtaskType switch
    {
        "chain" => ResultId(Workflow.Tasks(frozen)[^1]),
        "chord" => ResultId(Workflow.ChordParts(frozen).Body),
        _ => frozen.Id ?? throw new InvalidOperationException("the signature is not frozen"),
    };

    private static Signature Keep(Signature built, Signature original) =>
        new(built.Task, original.Args, built.Kwargs, built.Options, built.SubtaskType, original.IsImmutable) { App = original.App ?? built.App };

    /// <summary>Celery's prepare_steps: a group followed by another step becomes a chord with that step as body.</summary>
    private static List<Signature> Upgrade(IReadOnlyList<Signature> steps)
    {
        var result = new List<Signature>();
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i].SubtaskType == "group" && i + 1 < steps.Count)
            {
                result.Add(Workflow.Chord(steps[i], steps[i + 1]));
                i++;
            }
            else
            {
                result.Add(steps[i]);
            }
        }

        return result.Count < steps.Count && result.Any(r => r.SubtaskType == "chord") ? Upgrade(result) : result;
    }

    private async Task<AsyncResult> SendAsync(Signature s, JsonObject? extra, CancellationToken cancellationToken)
    {
        var options = Merge(s.Options, extra);
        switch (s.SubtaskType)
        {
            case "chain":
                return await SendChainAsync(s, options, cancellationToken).ConfigureAwait(false);
            case "group":
                return await SendGroupAsync(s, options, null, cancellationToken).ConfigureAwait(false);
            case "chord":
                return await SendChordAsync(s, options, cancellationToken).ConfigureAwait(false);
            case null:
                break;
            default:
                throw new NotSupportedException($"canvas type '{s.SubtaskType}' ({s.Task}) is not supported");
        }

        var embed = new TaskEmbed
        {
            Callbacks = List(options["link"]),
            Errbacks = List(options["link_error"]),
            Chain = options["chain"] is JsonArray { Count: > 0 } chain ? (JsonArray)chain.DeepClone() : null,
            Chord = options["chord"] is JsonObject chord ? (JsonObject)chord.DeepClone() : null,
        };
        if (options["queue"] is null && _app.Tasks.TryGet(s.Task, out var definition) && definition.Settings.Queue is { } queue)
        {
            options["queue"] = queue;
        }

        var id = await _app.Producer.SendAsync(s.Task, (JsonArray)s.Args.DeepClone(), (JsonObject)s.Kwargs.DeepClone(), embed, ToApplyOptions(options), cancellationToken).ConfigureAwait(false);
        return new AsyncResult(id, _app);
    }

    private async Task<AsyncResult> SendChainAsync(Signature chain, JsonObject options, CancellationToken cancellationToken)
    {
        var steps = Workflow.Tasks(chain).ToList();
        if (chain.Args.Count > 0 || chain.Kwargs.Count > 1)
        {
            steps[0] = steps[0].Apply(chain.Args, null);
        }

        // Celery: link and the group/chord membership belong to the last step, link_error to every step, the rest to the first.
        var last = new JsonObject();
        foreach (var key in new[] { "link", "group_id", "group_index", "chord" })
        {
            if (options[key] is { } value)
            {
                last[key] = value.DeepClone();
                options.Remove(key);
            }
        }

        if (last.Count > 0)
        {
            steps[^1] = steps[^1].WithOptions(last);
        }

        if (options["link_error"] is JsonArray errbacks)
        {
            for (var i = 0; i < steps.Count; i++)
            {
                foreach (var e in errbacks)
                {
                    steps[i] = steps[i].LinkError(Signature.FromJson(e));
                }
            }

            options.Remove("link_error");
        }

        var rest = new JsonArray();
        for (var i = steps.Count - 1; i >= 1; i--)
        {
            rest.Add(steps[i].ToJson());
        }

        options.Remove("task_id");
        options["chain"] = rest;
        await SendAsync(steps[0], options, cancellationToken).ConfigureAwait(false);
        return ResultFor(steps[^1]);
    }

    private async Task<AsyncResult> SendGroupAsync(Signature group, JsonObject options, JsonObject? chord, CancellationToken cancellationToken)
    {
        var groupId = group.Id ?? Guid.NewGuid().ToString();
        var members = Workflow.Tasks(group).Select(m => group.Args.Count > 0 ? m.Apply(group.Args, null) : m).ToList();
        options.Remove("task_id");
        options.Remove("chain");
        if (chord is not null)
        {
            await _app.Backend.PrepareChordAsync(groupId, members.Select(ResultId).ToList(), cancellationToken).ConfigureAwait(false);
        }

        var results = new List<AsyncResult>(members.Count);
        for (var i = 0; i < members.Count; i++)
        {
            var memberOptions = (JsonObject)options.DeepClone();
            memberOptions["group_id"] = groupId;
            if (chord is not null)
            {
                // Celery 5.2 numbers only chord header members (the ordered join needs it); plain groups send null.
                memberOptions["group_index"] = i;
                memberOptions["chord"] = chord.DeepClone();
            }

            await SendAsync(members[i], memberOptions, cancellationToken).ConfigureAwait(false);
            results.Add(ResultFor(members[i]));
        }

        return new GroupResult(groupId, results, _app);
    }

    private async Task<AsyncResult> SendChordAsync(Signature chord, JsonObject options, CancellationToken cancellationToken)
    {
        var (header, body) = Workflow.ChordParts(chord);
        // Options given to the chord as a whole (link, the rest of an enclosing chain, group membership) go to the body.
        var bodyOptions = new JsonObject();
        foreach (var (key, value) in options)
        {
            if (key is not ("task_id" or "parent_id" or "root_id" or "queue" or "priority"))
            {
                bodyOptions[key] = value?.DeepClone();
            }
        }

        body = bodyOptions.Count > 0 ? body.WithOptions(bodyOptions) : body;
        if (chord.Args.Count > 0)
        {
            header = new Signature(header.Task, chord.Args, header.Kwargs, header.Options, header.SubtaskType) { App = header.App };
        }

        if (Workflow.Tasks(header).Count == 0)
        {
            // An empty header completes at once: the body gets an empty list, as in Celery.
            return await SendAsync(body.Apply([new JsonArray()], null), ParentOptions(options), cancellationToken).ConfigureAwait(false);
        }

        await SendGroupAsync(header, ParentOptions(options), body.ToJson(), cancellationToken).ConfigureAwait(false);
        return ResultFor(body);
    }

    private static JsonObject ParentOptions(JsonObject options)
    {
        var kept = new JsonObject();
        foreach (var key in new[] { "parent_id", "root_id" })
        {
            if (options[key] is { } value)
            {
                kept[key] = value.DeepClone();
            }
        }

        return kept;
    }

    private AsyncResult ResultFor(Signature frozen) => frozen.SubtaskType switch
    {
        "group" => new GroupResult(frozen.Id!, Workflow.Tasks(frozen).Select(ResultFor).ToList(), _app),
        _ => new AsyncResult(ResultId(frozen), _app),
    };

    private static JsonObject Merge(JsonObject own, JsonObject? extra)
    {
        var merged = (JsonObject)own.DeepClone();
        foreach (var (key, value) in extra ?? [])
        {
            if (key == "group_id" && merged["group_id"] is not null)
            {
                continue;
            }

            merged[key] = value?.DeepClone();
        }

        return merged;
    }

    private static JsonArray? List(JsonNode? node) => node switch
    {
        JsonArray { Count: > 0 } a => (JsonArray)a.DeepClone(),
        JsonObject o => [o.DeepClone()],
        _ => null,
    };

    /// <summary>Celery's <c>apply_async</c> options as <see cref="ApplyOptions"/>; unknown ones are ignored as Celery does.</summary>
    internal static ApplyOptions ToApplyOptions(JsonObject o)
    {
        Dictionary<string, object?>? headers = null;
        if (o["headers"] is JsonObject h)
        {
            headers = h.ToDictionary(kv => kv.Key, kv => (object?)kv.Value?.DeepClone());
        }

        return new ApplyOptions
        {
            TaskId = Text(o["task_id"]),
            Countdown = Number(o["countdown"]) is { } countdown ? TimeSpan.FromSeconds(countdown) : null,
            Eta = Time(o["eta"]),
            Expires = Time(o["expires"]),
            ExpiresIn = Number(o["expires"]) is { } expiresIn ? TimeSpan.FromSeconds(expiresIn) : null,
            Queue = o["queue"] is JsonObject q ? Text(q["name"]) : Text(o["queue"]),
            Exchange = Text(o["exchange"]),
            RoutingKey = Text(o["routing_key"]),
            Priority = Number(o["priority"]) is { } p ? (int)p : null,
            Headers = headers,
            IgnoreResult = o["ignore_result"] is JsonValue ir && ir.TryGetValue<bool>(out var ignore) ? ignore : null,
            TimeLimit = Number(o["time_limit"]) is { } tl ? TimeSpan.FromSeconds(tl) : null,
            SoftTimeLimit = Number(o["soft_time_limit"]) is { } stl ? TimeSpan.FromSeconds(stl) : null,
            Retries = Number(o["retries"]) is { } r ? (int)r : null,
            Shadow = Text(o["shadow"]),
            ParentId = Text(o["parent_id"]),
            RootId = Text(o["root_id"]),
            GroupId = Text(o["group_id"]),
            GroupIndex = Number(o["group_index"]) is { } gi ? (int)gi : null,
        };
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number ? double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture) : null;

    private static DateTimeOffset? Time(JsonNode? node) => Text(node) is { } text && WireTime.TryParse(text, out var t) ? t : null;
}
