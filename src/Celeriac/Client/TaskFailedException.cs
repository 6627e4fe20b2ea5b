using Celeriac.Protocol;

namespace Celeriac.Client;

/// <summary>
/// A task ended in FAILURE or REVOKED, carrying Celery's exception fields. Task code may also throw it to fail
/// with an exact Python exception: <c>throw TaskFailedException.Python("ValueError", "boom")</c>.
/// </summary>
public sealed class TaskFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TaskFailedException()
        : this(new ExceptionInfo("Exception", "builtins", null))
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public TaskFailedException(string message)
        : this(ExceptionInfo.Builtin("Exception", message))
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public TaskFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Info = ExceptionInfo.Builtin("Exception", message);
    }

    /// <summary>Creates the exception from Celery's exception fields.</summary>
    public TaskFailedException(ExceptionInfo info, string? taskId = null, string state = TaskStates.Failure, string? traceback = null)
        : base((info ?? throw new ArgumentNullException(nameof(info))).ToString())
    {
        Info = info;
        TaskId = taskId;
        State = state;
        RemoteTraceback = traceback;
    }

    /// <summary>An exception that Python rebuilds as the named class, e.g. <c>builtins.ValueError</c>.</summary>
    public static TaskFailedException Python(string excType, string message, string excModule = "builtins") =>
        new(new ExceptionInfo(excType, excModule, new System.Text.Json.Nodes.JsonArray(message)));

    /// <summary>The exception fields.</summary>
    public ExceptionInfo Info { get; }

    /// <summary>The class name (<c>exc_type</c>).</summary>
    public string ExcType => Info.Type;

    /// <summary>The module (<c>exc_module</c>).</summary>
    public string ExcModule => Info.Module;

    /// <summary>The exception message text.</summary>
    public string ExcMessage => Info.MessageText;

    /// <summary>The failed task's id.</summary>
    public string? TaskId { get; }

    /// <summary>FAILURE or REVOKED.</summary>
    public string State { get; } = TaskStates.Failure;

    /// <summary>The traceback the worker stored.</summary>
    public string? RemoteTraceback { get; }
}
