using System.Text.Json.Nodes;
using Celeriac.Control;

namespace Celeriac.Dashboard.Monitoring;

/// <summary>
/// The dashboard's remote-control requests, one at a time: many open pages and the inspector's rounds then queue here
/// instead of piling broadcasts (each answered by every worker) onto the broker and the workers at once.
/// </summary>
internal sealed class ControlGate : IDisposable
{
    private readonly ControlClient _control;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public ControlGate(CeleriacApp app)
    {
        ArgumentNullException.ThrowIfNull(app);
        _control = app.Control;
    }

    /// <summary>Broadcasts and collects the replies (see <see cref="ControlClient.BroadcastAsync"/>).</summary>
    public async Task<IReadOnlyList<JsonObject>> BroadcastAsync(string method, JsonObject? arguments, IReadOnlyList<string>? destination, TimeSpan timeout, int? limit = null, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await _control.BroadcastAsync(method, arguments, destination, timeout, limit, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>An inspect command's replies merged by node name.</summary>
    public async Task<IReadOnlyDictionary<string, JsonNode?>> InspectAsync(string method, IReadOnlyList<string>? destination, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var replies = await BroadcastAsync(method, null, destination, timeout, destination?.Count, cancellationToken).ConfigureAwait(false);
        var merged = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var reply in replies)
        {
            foreach (var (node, value) in reply)
            {
                merged[node] = value?.DeepClone();
            }
        }

        return merged;
    }

    /// <summary>Sends a command without waiting for replies.</summary>
    public Task CastAsync(string method, JsonObject? arguments = null, IReadOnlyList<string>? destination = null, CancellationToken cancellationToken = default) =>
        _control.CastAsync(method, arguments, destination, cancellationToken);

    public void Dispose() => _gate.Dispose();
}
