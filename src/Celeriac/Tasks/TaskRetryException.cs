using System.Text.Json.Nodes;

namespace Celeriac.Tasks;

/// <summary>
/// Thrown by a task to be retried (Celery's <c>Retry</c>); made by <see cref="TaskContext.Retry"/>.
/// </summary>
public sealed class TaskRetryException : Exception
{
    /// <summary>Creates a retry request with default settings.</summary>
    public TaskRetryException()
        : this(null, null, null, null, null, null)
    {
    }

    /// <summary>Creates a retry request with a reason.</summary>
    public TaskRetryException(string message)
        : base(message)
    {
    }

    /// <summary>Creates a retry request with a reason and its cause.</summary>
    public TaskRetryException(string message, Exception innerException)
        : base(message, innerException)
    {
        Cause = innerException;
    }

    internal TaskRetryException(Exception? cause, TimeSpan? countdown, DateTimeOffset? eta, int? maxRetries, JsonArray? args, JsonObject? kwargs)
        : base(cause is null ? "Retry requested" : $"Retry requested: {cause.Message}", cause)
    {
        Cause = cause;
        Countdown = countdown;
        Eta = eta;
        MaxRetries = maxRetries;
        Args = args;
        Kwargs = kwargs;
    }

    /// <summary>The exception that caused the retry, stored with the RETRY state.</summary>
    public Exception? Cause { get; }

    /// <summary>Delay before the retry.</summary>
    public TimeSpan? Countdown { get; }

    /// <summary>Absolute time of the retry.</summary>
    public DateTimeOffset? Eta { get; }

    /// <summary>Overrides the task's <c>max_retries</c> for this retry.</summary>
    public int? MaxRetries { get; }

    /// <summary>New positional arguments; the same ones when null.</summary>
    public JsonArray? Args { get; }

    /// <summary>New keyword arguments; the same ones when null.</summary>
    public JsonObject? Kwargs { get; }
}
