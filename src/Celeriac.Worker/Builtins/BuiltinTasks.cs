using System.Text.Json.Nodes;
using Celeriac.Canvas;
using Celeriac.Client;
using Celeriac.Protocol;
using Celeriac.Tasks;
using static Celeriac.Canvas.CanvasNames;

namespace Celeriac.Worker.Builtins;

/// <summary>
/// The builtin tasks a Python Celery 5.2 client (or worker) may send to any worker, run as Python's worker runs them:
/// <c>celery.map</c>, <c>celery.starmap</c>, <c>celery.chunks</c> (from <c>task.map/starmap/chunks</c>),
/// <c>celery.chord_unlock</c> (chords on backends without a native join), <c>celery.accumulate</c> (Python's
/// <c>Task.replace</c> with a group), <c>celery.backend_cleanup</c> (beat, daily), and the old
/// <c>celery.group</c>/<c>celery.chord</c>/<c>celery.chain</c> tasks kept for compatibility.
/// Source: celery/app/builtins.py.
/// </summary>
internal sealed class BuiltinTasks
{
    private readonly CeleriacApp _app;
    private readonly CanvasSteps _canvas;
    private readonly CanvasSender _sender;

    private BuiltinTasks(CeleriacApp app, CanvasSteps canvas)
    {
        _app = app;
        _canvas = canvas;
        _sender = new CanvasSender(app);
    }

    /// <summary>Registers the builtins on <paramref name="app"/> (once; later calls keep the first registration).</summary>
    public static void Register(CeleriacApp app, CanvasSteps canvas)
    {
        var b = new BuiltinTasks(app, canvas);
        Add(app, MapTask, new Func<JsonObject, JsonArray, TaskContext, Task<JsonArray>>(b.MapAsync));
        Add(app, StarmapTask, new Func<JsonObject, JsonArray, TaskContext, Task<JsonArray>>(b.StarmapAsync));
        Add(app, ChunksTask, new Func<JsonObject, JsonArray, int, TaskContext, Task<JsonArray>>(b.ChunksAsync));
        // Celery: max_retries=None, default_retry_delay=result_chord_retry_interval, ignore_result=True.
        Add(app, ChordUnlockTask, new Func<TaskContext, JsonObject, string, JsonObject, double?, int?, JsonArray?, Task<JsonNode?>>(b.ChordUnlockAsync), new TaskSettings
        {
            RetryForever = true,
            IgnoreResult = true,
            DefaultRetryDelay = CanvasSender.ChordUnlockInterval,
        });
        Add(app, AccumulateTask, new Func<JsonObject, JsonNode?[], JsonNode?>(Accumulate));
        Add(app, BackendCleanupTask, new Func<Task>(b.BackendCleanupAsync));
        Add(app, GroupTask, new Func<TaskContext, JsonArray, JsonNode?, string, JsonArray?, bool, Task<JsonNode?>>(b.GroupAsync));
        Add(app, ChordTask, new Func<TaskContext, JsonObject, JsonNode, JsonObject, JsonArray?, double?, double, int?, bool, Task<JsonNode?>>(b.ChordAsync));
        Add(app, ChainTask, new Func<JsonObject, JsonNode?[], JsonNode?>(Chain));
    }

    /// <summary><c>celery.map(task, it)</c>: <c>[task(item) for item in it]</c>, in this worker; the signature's own arguments are not used.</summary>
    private Task<JsonArray> MapAsync(JsonObject task, JsonArray it, TaskContext context) =>
        MapLikeAsync(task, it, context, item => [item?.DeepClone()]);

    /// <summary><c>celery.starmap(task, it)</c>: <c>[task(*item) for item in it]</c>, in this worker.</summary>
    private Task<JsonArray> StarmapAsync(JsonObject task, JsonArray it, TaskContext context) =>
        MapLikeAsync(task, it, context, item => item is JsonArray args
            ? (JsonArray)args.DeepClone()
            : throw TaskFailedException.Python("TypeError", $"{Signature.Text(task[TaskKey])}() argument after * must be an iterable, not {PythonType(item)}"));

    /// <summary><c>celery.chunks(task, it, n)</c>: sends a group of <c>celery.starmap</c> over slices of <c>n</c> items; returns the group's tuple.</summary>
    private async Task<JsonArray> ChunksAsync(JsonObject task, JsonArray it, int n, TaskContext context)
    {
        var chunks = Workflow.Chunks(Signature.FromJson(task), it.Select(i => i is JsonArray a ? a.Select(x => (object?)x) : new object?[] { i }), n);
        var sent = await _sender.ApplyAsync(chunks, ChildOptions(context.Request), fromClient: true, context.CancellationToken).ConfigureAwait(false);
        return ResultTuples.ToTuple(sent);
    }

    /// <summary>
    /// <c>celery.chord_unlock(group_id, callback, interval=None, max_retries=None, result=None)</c>: retries every
    /// <c>interval</c> seconds until every header result is ready, then sends the callback with their results in order,
    /// or fails it with <c>ChordError</c> naming the first failed one.
    /// </summary>
    private async Task<JsonNode?> ChordUnlockAsync(TaskContext context, [TaskKwargs] JsonObject kwargs, string groupId, JsonObject callback, double? interval = null, int? maxRetries = null, JsonArray? result = null)
    {
        _ = kwargs;
        var countdown = interval is { } s ? TimeSpan.FromSeconds(s) : CanvasSender.ChordUnlockInterval;
        var deps = new GroupResult(groupId, [.. (result ?? []).Select(t => ResultTuples.FromTuple(t, _app)).OfType<AsyncResult>()], _app);
        bool ready;
        try
        {
            ready = await deps.AllReadyAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or OutOfMemoryException))
        {
            throw context.Retry(ex, countdown, maxRetries: maxRetries);
        }

        if (!ready)
        {
            throw context.Retry(countdown: countdown, maxRetries: maxRetries);
        }

        var values = await deps.GetAsync(TimeSpan.Zero, propagate: false, context.CancellationToken).ConfigureAwait(false) as JsonArray ?? [];
        if (await FirstFailedAsync(deps, context.CancellationToken).ConfigureAwait(false) is { } culprit)
        {
            var cause = ExceptionInfo.FromJson(culprit.Info)?.ToString() ?? culprit.State;
            await _canvas.FailChordBodyAsync(context.Request, callback, $"Dependency {culprit.Id} raised {cause}").ConfigureAwait(false);
            return null;
        }

        try
        {
            await _sender.ApplyAsync(Signature.FromJson(callback).Apply(values), ChildOptions(context.Request), fromClient: false, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or OutOfMemoryException))
        {
            await _canvas.FailChordBodyAsync(context.Request, callback, $"Callback error: {ex.GetType().Name}({PythonRepr.Of(ex.Message)})").ConfigureAwait(false);
        }

        return null;
    }

    /// <summary><c>celery.accumulate(*args, index=None)</c>: <c>args[index]</c>, or all of <c>args</c>.</summary>
    private static JsonNode? Accumulate([TaskKwargs] JsonObject kwargs, params JsonNode?[] args)
    {
        if (kwargs["index"] is JsonValue v && v.TryGetValue<int>(out var index))
        {
            var i = index < 0 ? args.Length + index : index;
            return i >= 0 && i < args.Length
                ? args[i]?.DeepClone()
                : throw TaskFailedException.Python("IndexError", "tuple index out of range");
        }

        return new JsonArray([.. args.Select(a => a?.DeepClone())]);
    }

    /// <summary><c>celery.backend_cleanup()</c>: deletes expired results where the backend does not expire them itself.</summary>
    private async Task BackendCleanupAsync() => await _app.Backend.CleanupAsync().ConfigureAwait(false);

    /// <summary>Celery's old <c>celery.group(tasks, result, group_id, partial_args)</c>: sends each task with the group id.</summary>
    private async Task<JsonNode?> GroupAsync(TaskContext context, JsonArray tasks, JsonNode? result, string groupId, JsonArray? partialArgs, bool addToParent = true)
    {
        _ = addToParent;
        foreach (var t in tasks)
        {
            var sig = Signature.FromJson(t).Apply(partialArgs, null);
            var options = ChildOptions(context.Request);
            options[GroupId] = groupId;
            await _sender.ApplyAsync(sig, options, fromClient: false, context.CancellationToken).ConfigureAwait(false);
        }

        return result?.DeepClone();
    }

    /// <summary>Celery's old <c>celery.chord(header, body, partial_args=(), ...)</c>: sends the chord; returns the body's result tuple.</summary>
    private async Task<JsonNode?> ChordAsync(TaskContext context, [TaskKwargs] JsonObject kwargs, JsonNode header, JsonObject body, JsonArray? partialArgs = null, double? interval = null, double countdown = 1, int? maxRetries = null, bool eager = false)
    {
        _ = (interval, countdown, maxRetries, eager, kwargs);
        var members = header switch
        {
            JsonArray list => list.Select(Signature.FromJson).ToList(),
            JsonObject group => [.. Workflow.Tasks(Signature.FromJson(group))],
            _ => throw TaskFailedException.Python("TypeError", "celery.chord() header must be a list of signatures or a group"),
        };
        var chord = Workflow.Chord(members, Signature.FromJson(body)).Apply(partialArgs, null);
        var sent = await _sender.ApplyAsync(chord, ChildOptions(context.Request), fromClient: false, context.CancellationToken).ConfigureAwait(false);
        return ResultTuples.ToTuple(sent);
    }

    /// <summary>Celery's <c>celery.chain</c> task, which is not a real task.</summary>
    private static JsonNode? Chain([TaskKwargs] JsonObject kwargs, params JsonNode?[] args)
    {
        _ = (kwargs, args);
        throw TaskFailedException.Python("NotImplementedError", "chain is not a real task");
    }

    private static void Add(CeleriacApp app, string name, Delegate body, TaskSettings? settings = null)
    {
        if (!app.Tasks.TryGet(name, out _))
        {
            app.Tasks.Add(new TaskDefinition(name, body.Method, body.Target, settings ?? new TaskSettings()));
        }
    }

    private static JsonObject ChildOptions(TaskRequest request) => new() { [ParentId] = request.Id, [RootId] = request.RootId };

    private static async Task<AsyncResult?> FirstFailedAsync(GroupResult deps, CancellationToken cancellationToken)
    {
        foreach (var r in deps.Results)
        {
            if (r is GroupResult inner)
            {
                if (await FirstFailedAsync(inner, cancellationToken).ConfigureAwait(false) is { } failed)
                {
                    return failed;
                }
            }
            else if (TaskStates.Propagates(await r.GetStateAsync(cancellationToken).ConfigureAwait(false)))
            {
                return r;
            }
        }

        return null;
    }

    private static string PythonType(JsonNode? node) => node switch
    {
        null => "NoneType",
        JsonObject => "dict",
        JsonValue v => v.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.String => "str",
            System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "bool",
            _ => v.ToJsonString().Contains('.', StringComparison.Ordinal) ? "float" : "int",
        },
        _ => "object",
    };

    private async Task<JsonArray> MapLikeAsync(JsonObject task, JsonArray it, TaskContext context, Func<JsonNode?, JsonArray> argsOf)
    {
        var name = Signature.Text(task[TaskKey]) ?? throw TaskFailedException.Python("TypeError", "celery.map() task must be a signature");
        if (!_app.Tasks.TryGet(name, out var definition))
        {
            throw new TaskFailedException(CeleryExceptions.NotRegistered(name));
        }

        var inner = new TaskContext(_app, context.Request, definition, _app.LoggerFactory.CreateLogger(definition.Name), context.CancellationToken);
        var results = new JsonArray();
        foreach (var item in it)
        {
            results.Add(KombuValues.ToNode(await LocalTaskCall.InvokeAsync(definition, inner, argsOf(item), []).ConfigureAwait(false)));
        }

        return results;
    }
}
