using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Protocol;
using Celeriac.Tasks;

namespace Celeriac.Worker;

/// <summary>
/// .NET exceptions as Celery's exception dicts, and the Celery/billiard exceptions the worker itself raises.
/// Python rebuilds unknown modules (e.g. <c>System</c>) as synthetic exception classes with the same name.
/// Source: celery/exceptions.py, billiard/exceptions.py, celery/backends/base.py (prepare_exception).
/// </summary>
internal static class CeleryExceptions
{
    public static ExceptionInfo NotRegistered(string name) => ExceptionInfo.Celery("NotRegistered", name);

    public static ExceptionInfo Revoked(string reason) => ExceptionInfo.Celery("TaskRevokedError", reason);

    public static ExceptionInfo InvalidTask(string reason) => ExceptionInfo.Celery("InvalidTaskError", reason);

    public static ExceptionInfo ContentDisallowed(string reason) => new("ContentDisallowed", "kombu.exceptions", new JsonArray(reason));

    public static ExceptionInfo MaxRetriesExceeded(string message) => ExceptionInfo.Celery("MaxRetriesExceededError", message);

    public static ExceptionInfo TimeLimitExceeded(double seconds) => new("TimeLimitExceeded", "billiard.exceptions", new JsonArray(seconds));

    public static ExceptionInfo WorkerLost(string message) => new("WorkerLostError", "billiard.exceptions", new JsonArray(message));

    public static ExceptionInfo SoftTimeLimitExceeded() => new("SoftTimeLimitExceeded", "billiard.exceptions", new JsonArray("SoftTimeLimitExceeded()"));

    /// <summary>Maps any exception a task threw to Celery's dict.</summary>
    public static ExceptionInfo From(Exception exception) => exception switch
    {
        TaskFailedException tf => tf.Info,
        TaskArgumentException arg => ExceptionInfo.Builtin("TypeError", arg.Message),
        _ => new ExceptionInfo(exception.GetType().Name, exception.GetType().Namespace ?? "builtins", new JsonArray(exception.Message)),
    };

    /// <summary>A traceback text in Python's shape, from the .NET exception.</summary>
    public static string Traceback(Exception exception) =>
        "Traceback (most recent call last):\n" + exception.StackTrace + "\n" + From(exception).Type + ": " + exception.Message + "\n";
}
