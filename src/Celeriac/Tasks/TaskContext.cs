using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Celeriac.Tasks;

/// <summary>
/// What a running task can see and do: its request, the app, its cancellation token (fires on soft time
/// limit, revoke with terminate, and cold shutdown), and <see cref="Retry"/>. Declare a parameter of this
/// type to receive it (Celery's <c>bind=True</c>).
/// </summary>
public sealed class TaskContext
{
    /// <summary>Creates a context.</summary>
    public TaskContext(CeleriacApp app, TaskRequest request, TaskDefinition task, ILogger logger, CancellationToken cancellationToken)
    {
        App = app ?? throw new ArgumentNullException(nameof(app));
        Request = request ?? throw new ArgumentNullException(nameof(request));
        Task = task ?? throw new ArgumentNullException(nameof(task));
        Logger = logger ?? throw new ArgumentNullException(nameof(logger));
        CancellationToken = cancellationToken;
    }

    /// <summary>The app.</summary>
    public CeleriacApp App { get; }

    /// <summary>The request.</summary>
    public TaskRequest Request { get; }

    /// <summary>The task being run.</summary>
    public TaskDefinition Task { get; }

    /// <summary>A logger named after the task.</summary>
    public ILogger Logger { get; }

    /// <summary>Fires on soft time limit, revoke with terminate, and cold shutdown.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// Asks for a retry: <c>throw context.Retry(ex, countdown: TimeSpan.FromSeconds(5));</c>. The same task id is
    /// sent again with <c>retries + 1</c> after the countdown (default: <c>default_retry_delay</c>), and RETRY is
    /// stored. When <c>max_retries</c> is used up, the task fails with <paramref name="exception"/>
    /// (or <c>MaxRetriesExceededError</c>) instead. Source: celery/app/task.py (Task.retry).
    /// </summary>
#pragma warning disable CA1822 // An instance member on purpose: it reads as Celery's self.retry().
    public TaskRetryException Retry(
        Exception? exception = null,
        TimeSpan? countdown = null,
        DateTimeOffset? eta = null,
        int? maxRetries = null,
        JsonArray? args = null,
        JsonObject? kwargs = null) =>
        new(exception, countdown, eta, maxRetries, args, kwargs);
#pragma warning restore CA1822
}
