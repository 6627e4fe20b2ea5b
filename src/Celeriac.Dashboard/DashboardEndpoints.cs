using System.Text;
using Celeriac.Dashboard.Api;
using Celeriac.Dashboard.Security;
using Celeriac.Dashboard.Ui;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Celeriac.Dashboard;

/// <summary>Maps the dashboard into an ASP.NET Core app: <c>app.MapCeleriacDashboard("/dashboard")</c>.</summary>
public static class DashboardEndpoints
{
    private static readonly string[] Pages = ["/", "/workers", "/worker/{name}", "/tasks", "/task/{id}", "/queues", "/beat", "/overview"];

    /// <summary>
    /// Maps the pages, Flower's REST API (<c>/api/...</c>), the live stream, <c>/metrics</c> and <c>/healthcheck</c> under
    /// <paramref name="prefix"/> (empty: at the root). Needs <see cref="DashboardServiceCollectionExtensions.AddCeleriacDashboard"/>.
    /// Returns the group, for your own conventions (e.g. <c>RequireAuthorization</c> on top of the dashboard's own accounts).
    /// </summary>
    public static RouteGroupBuilder MapCeleriacDashboard(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        var dashboard = endpoints.ServiceProvider.GetService<DashboardContext>()
            ?? throw new InvalidOperationException("call services.AddCeleriacDashboard() before app.MapCeleriacDashboard()");
        prefix = prefix.TrimEnd('/');
        var group = endpoints.MapGroup(prefix);
        group.AddEndpointFilter(new DashboardGuard(dashboard));
        var assets = new StaticAssets();

        foreach (var page in Pages)
        {
            group.MapGet(page, (HttpContext http) =>
            {
                var baseHref = http.Request.PathBase.Value + prefix + "/";
                return Results.Content(assets.Index(baseHref), "text/html; charset=utf-8");
            }).ExcludeFromDescription();
        }

        group.MapGet("/static/{*path}", (HttpContext http, string path) => assets.Serve(http, path)).ExcludeFromDescription();
        group.MapGet("/healthcheck", () => Results.Text("OK")).WithMetadata(PublicEndpoint.Instance);
        group.MapGet("/metrics", async (CancellationToken ct) =>
        {
            var sb = new StringBuilder();
            await Monitoring.MetricsPage.WriteAsync(dashboard, sb, ct).ConfigureAwait(false);
            return Results.Text(sb.ToString(), Monitoring.PrometheusWriter.ContentType);
        });
        FlowerApi.Map(group, dashboard);
        UiApi.Map(group, dashboard);
        return group;
    }
}
