using Celeriac.Dashboard.Beat;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Celeriac.Dashboard;

/// <summary>Registers the dashboard in an ASP.NET Core app that already has a <see cref="CeleriacApp"/> (e.g. from <c>AddCeleriac</c>).</summary>
public static class DashboardServiceCollectionExtensions
{
    /// <summary>
    /// Adds the dashboard: its history, event collector and background loops start and stop with the host.
    /// <paramref name="configure"/> changes the defaults (history file, accounts, retention); <paramref name="beat"/>
    /// feeds the Beat page (by default <see cref="AppBeatScheduleSource"/>: the app's own beat store).
    /// </summary>
    public static IServiceCollection AddCeleriacDashboard(this IServiceCollection services, Func<DashboardOptions, DashboardOptions>? configure = null, Func<IServiceProvider, IBeatScheduleSource?>? beat = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(sp =>
        {
            var options = configure?.Invoke(new DashboardOptions()) ?? new DashboardOptions();
            return new DashboardContext(sp.GetRequiredService<CeleriacApp>(), options, beat?.Invoke(sp) ?? sp.GetService<IBeatScheduleSource>());
        });
        services.AddSingleton<IHostedService>(sp => new DashboardRuntime(sp.GetRequiredService<DashboardContext>()));
        return services;
    }
}
