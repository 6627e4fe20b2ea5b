namespace Celeriac.Canvas;

/// <summary>
/// The canvas's wire literals: signature dict keys, <c>subtask_type</c> values, the <c>apply_async</c> option names a
/// signature's <c>options</c> carry, and Celery's builtin task names.
/// Source: celery/canvas.py (Signature, _chain, group, _chord, xmap, xstarmap, chunks), celery/app/builtins.py.
/// </summary>
public static class CanvasNames
{
    /// <summary><c>celery.chain</c>: a chain signature's task name (the task itself raises NotImplementedError).</summary>
    public const string ChainTask = "celery.chain";

    /// <summary><c>celery.group</c>: a group signature's task name (and Celery's old group task).</summary>
    public const string GroupTask = "celery.group";

    /// <summary><c>celery.chord</c>: a chord signature's task name (and Celery's old chord task).</summary>
    public const string ChordTask = "celery.chord";

    /// <summary><c>celery.map</c>: calls a task once per item, in the worker that runs it.</summary>
    public const string MapTask = "celery.map";

    /// <summary><c>celery.starmap</c>: calls a task once per item, the item spread as its arguments.</summary>
    public const string StarmapTask = "celery.starmap";

    /// <summary><c>celery.chunks</c>: sends a group of <c>celery.starmap</c> tasks over slices of the items.</summary>
    public const string ChunksTask = "celery.chunks";

    /// <summary><c>celery.chord_unlock</c>: polls a chord's header and sends the body, for backends that cannot join.</summary>
    public const string ChordUnlockTask = "celery.chord_unlock";

    /// <summary><c>celery.accumulate</c>: returns its arguments (or one of them), used by Python's <c>Task.replace</c>.</summary>
    public const string AccumulateTask = "celery.accumulate";

    /// <summary><c>celery.backend_cleanup</c>: deletes expired results (beat runs it daily for database backends).</summary>
    public const string BackendCleanupTask = "celery.backend_cleanup";

    /// <summary><c>subtask_type</c> of a chain.</summary>
    public const string ChainType = "chain";

    /// <summary><c>subtask_type</c> of a group.</summary>
    public const string GroupType = "group";

    /// <summary><c>subtask_type</c> of a chord.</summary>
    public const string ChordType = "chord";

    /// <summary>Signature dict key: the task name.</summary>
    public const string TaskKey = "task";

    /// <summary>Signature dict key: positional arguments.</summary>
    public const string ArgsKey = "args";

    /// <summary>Signature dict key: keyword arguments.</summary>
    public const string KwargsKey = "kwargs";

    /// <summary>Signature dict key: the <c>apply_async</c> options.</summary>
    public const string OptionsKey = "options";

    /// <summary>Signature dict key: <c>chain</c>, <c>group</c>, <c>chord</c> or null.</summary>
    public const string SubtaskTypeKey = "subtask_type";

    /// <summary>Signature dict key: whether the parent's result is left out.</summary>
    public const string ImmutableKey = "immutable";

    /// <summary>Composite kwargs key: a chain's steps or a group's members.</summary>
    public const string TasksKey = "tasks";

    /// <summary>Chord kwargs key: the header (a list of signatures, or a group dict once frozen).</summary>
    public const string HeaderKey = "header";

    /// <summary>Chord kwargs key: the body.</summary>
    public const string BodyKey = "body";

    /// <summary>Map/starmap/chunks kwargs key: the items.</summary>
    public const string ItKey = "it";

    /// <summary>Chunks kwargs key: the slice size.</summary>
    public const string NKey = "n";

    /// <summary>Option: the task id.</summary>
    public const string TaskId = "task_id";

    /// <summary>Option: the sender's reply queue id (set when a signature is frozen).</summary>
    public const string ReplyTo = "reply_to";

    /// <summary>Option: the group the task belongs to.</summary>
    public const string GroupId = "group_id";

    /// <summary>Option: the task's position in its chord header.</summary>
    public const string GroupIndex = "group_index";

    /// <summary>Option: the chord body a header task reports to.</summary>
    public const string Chord = "chord";

    /// <summary>Option: the rest of a chain, reversed.</summary>
    public const string Chain = "chain";

    /// <summary>Option: success callbacks.</summary>
    public const string Link = "link";

    /// <summary>Option: error callbacks.</summary>
    public const string LinkError = "link_error";

    /// <summary>Option: the workflow's first task id.</summary>
    public const string RootId = "root_id";

    /// <summary>Option: the task that sent this one.</summary>
    public const string ParentId = "parent_id";

    /// <summary>Option: the queue.</summary>
    public const string Queue = "queue";

    /// <summary>Option: the priority.</summary>
    public const string Priority = "priority";

    /// <summary>Option: the countdown in seconds.</summary>
    public const string Countdown = "countdown";
}
