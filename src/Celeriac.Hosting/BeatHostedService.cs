using Celeriac.Beat;
using Microsoft.Extensions.Hosting;

namespace Celeriac.Hosting;

/// <summary>A <see cref="BeatService"/> as a hosted service: runs from host start to host stop, then gives its lease up.</summary>
public sealed class BeatHostedService : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _run;

    /// <summary>Wraps <paramref name="beat"/>.</summary>
    public BeatHostedService(BeatService beat)
    {
        Beat = beat ?? throw new ArgumentNullException(nameof(beat));
    }

    /// <summary>The beat.</summary>
    public BeatService Beat { get; }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _run = Task.Run(() => Beat.RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_run is not null)
        {
            await _run.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _stopping.Dispose();
        await Beat.DisposeAsync().ConfigureAwait(false);
    }
}
