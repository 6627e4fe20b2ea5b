// An ASP.NET Core app with Celeriac inside: a worker as a hosted service, an endpoint that sends tasks, and the
// dashboard at /dashboard — on the embedded SQLite broker, so it runs with no server at all:
//
//   dotnet run --project samples/AspNetCore            # then open http://localhost:5000/dashboard/
//   curl -X POST 'http://localhost:5000/add?x=4&y=5'   # {"id": "..."}: watch it on the Tasks page
using Celeriac;
using Celeriac.Dashboard;
using Celeriac.Hosting;
using Celeriac.Sqlite;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddCeleriac(
    s => s.AddSqlite(),
    app =>
    {
        app.Task("sample.add", (int x, int y) => x + y);
        app.Task("sample.slow", async (double seconds, CancellationToken ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
            return seconds;
        });
    },
    o => o with { BrokerUrl = "sqlite:///aspnetcore-sample.db", ResultBackend = "sqlite:///aspnetcore-sample.db" });

// Task events on: the dashboard sees tasks through them, as Flower does.
builder.Services.AddCeleriacWorker(w => w with { Concurrency = 2, SendTaskEvents = true, Hostname = "sample@%h" });

// The dashboard's own accounts apply to its pages and API; without any, it answers on loopback only.
builder.Services.AddCeleriacDashboard(o => o with { HistoryPath = "aspnetcore-dashboard.db" });

var web = builder.Build();
web.MapGet("/", () => Results.Redirect("dashboard/"));
web.MapPost("/add", async (CeleriacApp celeriac, int x, int y) =>
{
    var result = await celeriac.GetTask("sample.add").DelayAsync(x, y);
    return Results.Ok(new { id = result.Id });
});
web.MapCeleriacDashboard("/dashboard");
web.Run();
