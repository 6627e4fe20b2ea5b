using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Protocol;

namespace Celeriac.Canvas;

/// <summary>
/// The results of a group's members, in order, under the group's id. Nothing is stored for a group unless
/// <see cref="SaveAsync"/> is called (Celery's <c>GroupResult.save()</c>). Source: celery/result.py (GroupResult, ResultSet).
/// </summary>
public sealed class GroupResult : AsyncResult
{
    /// <summary>Creates the handle.</summary>
    public GroupResult(string groupId, IReadOnlyList<AsyncResult> results, CeleriacApp app)
        : base(groupId, app)
    {
        Results = results ?? throw new ArgumentNullException(nameof(results));
    }

    /// <summary>The members' results, in the group's order.</summary>
    public IReadOnlyList<AsyncResult> Results { get; }

    /// <summary>Reads a group saved with <see cref="SaveAsync"/> (by Celeriac or Python), or null when none is saved.</summary>
    public static async ValueTask<GroupResult?> RestoreAsync(CeleriacApp app, string groupId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        var ids = await app.Backend.RestoreGroupAsync(groupId, cancellationToken).ConfigureAwait(false);
        return ids is null ? null : new GroupResult(groupId, ids.Select(id => new AsyncResult(id, app)).ToList(), app);
    }

    /// <summary>Saves the member ids under <c>celery-taskset-meta-&lt;id&gt;</c>, readable by Python's <c>GroupResult.restore</c>.</summary>
    public ValueTask SaveAsync(CancellationToken cancellationToken = default) =>
        App.Backend.SaveGroupAsync(Id, Results.Select(r => r.Id).ToList(), cancellationToken);

    /// <summary>How many members succeeded.</summary>
    public async ValueTask<int> CompletedCountAsync(CancellationToken cancellationToken = default) =>
        await CountAsync(TaskStates.Success, cancellationToken).ConfigureAwait(false);

    /// <summary>How many members failed.</summary>
    public async ValueTask<int> FailedCountAsync(CancellationToken cancellationToken = default) =>
        await CountAsync(TaskStates.Failure, cancellationToken).ConfigureAwait(false);

    /// <summary>Whether every member is ready.</summary>
    public async ValueTask<bool> AllReadyAsync(CancellationToken cancellationToken = default)
    {
        foreach (var r in Results)
        {
            if (!await r.IsReadyAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Waits for every member and returns their results as a list, in order. With <paramref name="propagate"/> the
    /// first failed member (in order) throws <see cref="TaskFailedException"/>.
    /// </summary>
    /// <exception cref="TimeoutException">Not all ready within <paramref name="timeout"/>.</exception>
    public override async ValueTask<JsonNode?> GetAsync(TimeSpan? timeout = null, bool propagate = true, CancellationToken cancellationToken = default)
    {
        var deadline = timeout is { } t ? App.TimeProvider.GetUtcNow() + t : (DateTimeOffset?)null;
        var values = new JsonArray();
        foreach (var r in Results)
        {
            var left = deadline is { } d ? d - App.TimeProvider.GetUtcNow() : (TimeSpan?)null;
            values.Add(await r.GetAsync(left is { } l && l < TimeSpan.Zero ? TimeSpan.Zero : left, propagate, cancellationToken).ConfigureAwait(false));
        }

        return values;
    }

    /// <summary>Forgets every member and the saved group.</summary>
    public override async ValueTask ForgetAsync(CancellationToken cancellationToken = default)
    {
        foreach (var r in Results)
        {
            await r.ForgetAsync(cancellationToken).ConfigureAwait(false);
        }

        await App.Backend.DeleteGroupAsync(Id, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<int> CountAsync(string state, CancellationToken cancellationToken)
    {
        var n = 0;
        foreach (var r in Results)
        {
            if (await r.GetStateAsync(cancellationToken).ConfigureAwait(false) == state)
            {
                n++;
            }
        }

        return n;
    }
}
