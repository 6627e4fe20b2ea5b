using Celeriac.Cli;
using Celeriac.Worker;

// Celery's first example, in one process: define a task, start a worker, call the task, read the state and the
// result. Broker and results live in one SQLite file (quickstart.db), so no server is needed.
var app = CeleriacCli.CreateApp(args, o => o with
{
    BrokerUrl = "sqlite:///quickstart.db",
    ResultBackend = "sqlite:///quickstart.db",
});
var add = app.Task<int>("tasks.add", (int x, int y) => x + y);

await using (app)
{
    await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 2 });

    var result = await add.DelayAsync(4, 5);
    Console.WriteLine($"Task id: {result.Id}");
    Console.WriteLine($"State:   {await result.GetStateAsync()}");

    var value = await result.GetAsync(TimeSpan.FromSeconds(30));
    Console.WriteLine($"State:   {result.State}");
    Console.WriteLine($"Result:  {value}");
}
