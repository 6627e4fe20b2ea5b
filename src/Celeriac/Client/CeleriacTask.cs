using Celeriac.Tasks;

namespace Celeriac.Client;

/// <summary>
/// A callable task handle, returned by <see cref="CeleriacApp.Task(string, Delegate, TaskSettings?)"/>:
/// <c>await add.DelayAsync(2, 3)</c>.
/// </summary>
public class CeleriacTask
{
    internal CeleriacTask(CeleriacApp app, TaskDefinition definition)
    {
        App = app;
        Definition = definition;
    }

    /// <summary>The task name.</summary>
    public string Name => Definition.Name;

    /// <summary>The app.</summary>
    public CeleriacApp App { get; }

    /// <summary>The registered definition.</summary>
    public TaskDefinition Definition { get; }

    /// <summary>Sends the task with positional arguments (Celery's <c>delay</c>).</summary>
    public Task<AsyncResult> DelayAsync(params object?[] args) => ApplyAsync(args);

    /// <summary>Sends the task with arguments and options (Celery's <c>apply_async</c>).</summary>
    public async Task<AsyncResult> ApplyAsync(
        object?[]? args = null,
        IReadOnlyDictionary<string, object?>? kwargs = null,
        ApplyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options = WithTaskDefaults(options);
        var id = await App.Producer.SendAsync(Name, args, kwargs, options, cancellationToken).ConfigureAwait(false);
        return new AsyncResult(id, App);
    }

    /// <summary>Fills queue and priority from the task's settings when the call does not give them.</summary>
    private protected ApplyOptions WithTaskDefaults(ApplyOptions? options)
    {
        options ??= new ApplyOptions();
        var s = Definition.Settings;
        return options with
        {
            Queue = options.Queue ?? s.Queue,
            Priority = options.Priority ?? s.Priority,
            TimeLimit = options.TimeLimit,
            SoftTimeLimit = options.SoftTimeLimit,
        };
    }
}
