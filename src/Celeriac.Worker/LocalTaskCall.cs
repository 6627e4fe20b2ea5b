using System.Text.Json.Nodes;
using Celeriac.Tasks;

namespace Celeriac.Worker;

/// <summary>
/// Calls a registered task's body in this process, as Python calls <c>task(*args)</c>: no message, no stored state.
/// Used by <c>celery.map</c>/<c>celery.starmap</c> and new-style errbacks.
/// </summary>
internal static class LocalTaskCall
{
    /// <summary>Binds the arguments (Python's TypeError wording on a mismatch) and runs the body to its end.</summary>
    /// <exception cref="TaskArgumentException">The arguments do not fit the task.</exception>
    public static async Task<object?> InvokeAsync(TaskDefinition definition, TaskContext context, JsonArray args, JsonObject kwargs, IReadOnlyList<LeadingArgument>? leading = null)
    {
        var values = definition.Invoker.Bind(args, kwargs, context, leading ?? []);
        if (definition.IsAsync)
        {
            return await definition.Invoker.InvokeAsync(values).ConfigureAwait(false);
        }

        // A blocking body must not hold the caller's (asynchronous) thread: it runs on the thread pool, as the caller's
        // own slot is already taken for it.
        return await Task.Run(() => definition.Invoker.InvokeBlocking(values), context.CancellationToken).ConfigureAwait(false);
    }
}
