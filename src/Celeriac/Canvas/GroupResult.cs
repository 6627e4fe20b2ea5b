using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Protocol;

namespace Celeriac.Canvas;

/// <summary>
/// The results of a group's members, in order, under the group's id. Nothing is stored for a group unless
/// <see cref="SaveAsync"/> is called (Celery's <c>GroupResult.save()</c>), which Python's <c>GroupResult.restore(id)</c>
/// reads, and the other way round. Source: celery/result.py (GroupResult, ResultSet).
/// </summary>
public sealed class GroupResult : AsyncResult
{
    /// <summary>Creates the handle.</summary>
    public GroupResult(string groupId, IReadOnlyList<AsyncResult> results, CeleriacApp app)
        : base(groupId, app)
    {
        Results = results ?? throw new ArgumentNullException(nameof(results));
    }

    /// <summary>The members' results, in the group's order (a member may be a group result itself).</summary>
    public IReadOnlyList<AsyncResult> Results { get; }

    /// <summary>The number of members.</summary>
    public int Count => Results.Count;

    /// <summary>Reads a group saved with <see cref="SaveAsync"/> (by Celeriac or Python), or null when none is saved.</summary>
    public static async ValueTask<GroupResult?> RestoreAsync(CeleriacApp app, string groupId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        var ids = await app.Backend.RestoreGroupAsync(groupId, cancellationToken).ConfigureAwait(false);
        return ids is null ? null : new GroupResult(groupId, ids.Select(id => new AsyncResult(id, app)).ToList(), app);
    }

    /// <summary>Saves the member ids under <c>celery-taskset-meta-&lt;id&gt;</c>, readable by Python's <c>GroupResult.restore</c>.</summary>
    public ValueTask SaveAsync(CancellationToken cancellationToken = default) =>
        App.Backend.SaveGroupAsync(Id, Leaves(this).Select(r => r.Id).ToList(), cancellationToken);

    /// <summary>Deletes the saved group (the members' results stay; see <see cref="ForgetAsync"/>).</summary>
    public ValueTask DeleteAsync(CancellationToken cancellationToken = default) => App.Backend.DeleteGroupAsync(Id, cancellationToken);

    /// <summary>How many members succeeded (Celery's <c>completed_count()</c>).</summary>
    public ValueTask<int> CompletedCountAsync(CancellationToken cancellationToken = default) => CountAsync(TaskStates.Success, cancellationToken);

    /// <summary>How many members failed.</summary>
    public ValueTask<int> FailedCountAsync(CancellationToken cancellationToken = default) => CountAsync(TaskStates.Failure, cancellationToken);

    /// <summary>Whether every member is ready (Celery's <c>ready()</c>).</summary>
    public async ValueTask<bool> AllReadyAsync(CancellationToken cancellationToken = default)
    {
        foreach (var r in Leaves(this))
        {
            if (!await r.IsReadyAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether every member succeeded (Celery's <c>successful()</c>).</summary>
    public async ValueTask<bool> AllSuccessfulAsync(CancellationToken cancellationToken = default) =>
        await CompletedCountAsync(cancellationToken).ConfigureAwait(false) == Leaves(this).Count();

    /// <summary>Whether any member failed (Celery's <c>failed()</c>).</summary>
    public async ValueTask<bool> AnyFailedAsync(CancellationToken cancellationToken = default) =>
        await FailedCountAsync(cancellationToken).ConfigureAwait(false) > 0;

    /// <summary>Whether any member is not ready yet (Celery's <c>waiting()</c>).</summary>
    public async ValueTask<bool> AnyWaitingAsync(CancellationToken cancellationToken = default) =>
        !await AllReadyAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Waits for every member and returns their results as a list, in order (a member group as a nested list), as
    /// Celery's <c>get()</c>/<c>join()</c>. With <paramref name="propagate"/> the first failed member (in order) throws
    /// <see cref="TaskFailedException"/>; otherwise its exception dict stands in the list.
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

    /// <summary>Forgets every member's result and the saved group.</summary>
    public override async ValueTask ForgetAsync(CancellationToken cancellationToken = default)
    {
        foreach (var r in Results)
        {
            await r.ForgetAsync(cancellationToken).ConfigureAwait(false);
        }

        await App.Backend.DeleteGroupAsync(Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Revokes every member (Celery's <c>GroupResult.revoke()</c>).</summary>
    public async ValueTask RevokeAllAsync(bool terminate = false, CancellationToken cancellationToken = default)
    {
        foreach (var r in Leaves(this))
        {
            await r.RevokeAsync(terminate, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Id} [{string.Join(", ", Results)}]";

    private static IEnumerable<AsyncResult> Leaves(GroupResult g) =>
        g.Results.SelectMany(r => r is GroupResult inner ? Leaves(inner) : [r]);

    private async ValueTask<int> CountAsync(string state, CancellationToken cancellationToken)
    {
        var n = 0;
        foreach (var r in Leaves(this))
        {
            if (await r.GetStateAsync(cancellationToken).ConfigureAwait(false) == state)
            {
                n++;
            }
        }

        return n;
    }
}
