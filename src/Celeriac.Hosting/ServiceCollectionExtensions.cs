using Celeriac.Beat;
using Celeriac.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Celeriac.Hosting;

/// <summary>Registers Celeriac in a .NET host.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Adds a singleton <see cref="CeleriacApp"/> built from the <c>Celeriac</c> configuration section (Celery key
    /// names), the host's logging, and <paramref name="configureServices"/> (register transports there, e.g.
    /// <c>s =&gt; s.AddSqlite()</c>); <paramref name="configureApp"/> registers tasks.
    /// </summary>
    public static IServiceCollection AddCeleriac(
        this IServiceCollection services,
        Func<CeleriacServices, CeleriacServices>? configureServices = null,
        Action<CeleriacApp>? configureApp = null,
        Func<CeleriacOptions, CeleriacOptions>? configureOptions = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            var options = CeleriacConfiguration.BindSection(configuration);
            options = configureOptions?.Invoke(options) ?? options;
            var composed = new CeleriacServices
            {
                LoggerFactory = sp.GetRequiredService<ILoggerFactory>(),
                TimeProvider = sp.GetService<TimeProvider>() ?? TimeProvider.System,
            };
            composed = configureServices?.Invoke(composed) ?? composed;
            var app = new CeleriacApp(options, composed);
            configureApp?.Invoke(app);
            return app;
        });
        return services;
    }

    /// <summary>Runs a worker as a hosted service, with warm shutdown when the host stops.</summary>
    public static IServiceCollection AddCeleriacWorker(this IServiceCollection services, Func<WorkerOptions, WorkerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IHostedService>(sp =>
        {
            var app = sp.GetRequiredService<CeleriacApp>();
            var options = configure?.Invoke(app.Options.Worker) ?? app.Options.Worker;
            return new WorkerService(new WorkerHost(app, options));
        });
        return services;
    }

    /// <summary>
    /// Runs beat as a hosted service: it sends <c>app.Beat</c>'s entries (<c>beat_schedule</c> and those added in code)
    /// while it holds the schedule's lease, and gives the lease up when the host stops.
    /// </summary>
    public static IServiceCollection AddCeleriacBeat(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IHostedService>(sp => new BeatHostedService(new BeatService(sp.GetRequiredService<CeleriacApp>())));
        return services;
    }
}
