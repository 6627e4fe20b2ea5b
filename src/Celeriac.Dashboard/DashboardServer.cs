using System.Net;
using Celeriac.Dashboard.Beat;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Celeriac.Dashboard;

/// <summary>
/// The dashboard as its own web server (what <c>celeriac dashboard</c> runs): Kestrel on
/// <see cref="DashboardOptions.Address"/>:<see cref="DashboardOptions.Port"/>, watching an app's broker.
/// It refuses to start on a non-loopback address without accounts unless <see cref="DashboardOptions.Insecure"/> is set.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    private readonly WebApplication _web;

    private DashboardServer(WebApplication web, IReadOnlyList<Uri> urls)
    {
        _web = web;
        Urls = urls;
    }

    /// <summary>Where it listens (the real port when 0 was asked for).</summary>
    public IReadOnlyList<Uri> Urls { get; }

    /// <summary>The first URL, with the URL prefix: open this in a browser.</summary>
    public Uri Url => Urls[0];

    internal DashboardContext Context => _web.Services.GetRequiredService<DashboardContext>();

    /// <summary>Starts the server; it runs until disposed.</summary>
    /// <param name="app">The app whose broker, backend and beat store the dashboard watches.</param>
    /// <param name="options">The dashboard's settings.</param>
    /// <param name="beat">What the Beat page shows; the app's own beat store (<see cref="AppBeatScheduleSource"/>) when null.</param>
    /// <param name="cancellationToken">Stops the start.</param>
    /// <exception cref="CeleriacConfigurationException">A setting is invalid or unsafe, the port is taken, or the history file cannot be opened.</exception>
    public static async Task<DashboardServer> StartAsync(CeleriacApp app, DashboardOptions options, IBeatScheduleSource? beat = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var address = ParseAddress(options.Address);
        if (!IPAddress.IsLoopback(address) && options.Accounts.Count == 0 && !options.Insecure)
        {
            throw new CeleriacConfigurationException(
                "--address",
                $"{options.Address} is not a loopback address and the dashboard has no accounts, so anyone who reaches it could read task " +
                "arguments and shut down workers. Add --basic-auth user:password or --auth-token TOKEN, or pass --insecure to serve it open anyway.");
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(DashboardServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(app.LoggerFactory);
        builder.Services.AddSingleton(app);
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, options.Port));
        builder.Services.AddCeleriacDashboard(_ => options, _ => beat);
        var web = builder.Build();
        web.MapCeleriacDashboard(options.UrlPrefix);
        try
        {
            await web.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await web.DisposeAsync().ConfigureAwait(false);
            throw new CeleriacConfigurationException("--port", $"cannot listen on {options.Address}:{options.Port}: {ex.Message}", ex);
        }
        catch
        {
            await web.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var addresses = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var urls = addresses.Select(a => new Uri(a.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal).TrimEnd('/') + options.UrlPrefix + "/")).ToList();
        return new DashboardServer(web, urls);
    }

    /// <summary>Stops serving (live pages are closed) and closes the history.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default) => await _web.StopAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Completes when the server stops.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => ((IHost)_web).WaitForShutdownAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _web.StopAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await _web.DisposeAsync().ConfigureAwait(false);
    }

    /// <exception cref="CeleriacConfigurationException">Not an IP address or <c>localhost</c>.</exception>
    internal static IPAddress ParseAddress(string address)
    {
        if (string.Equals(address, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }

        if (IPAddress.TryParse(address.Trim('[', ']'), out var ip))
        {
            return ip;
        }

        throw new CeleriacConfigurationException("--address", $"'{address}' is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1) or localhost");
    }
}
