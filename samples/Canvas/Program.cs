using Celeriac.Canvas;
using Celeriac.Cli;
using Celeriac.Worker;
using static Celeriac.Canvas.Workflow;

// Celery's canvas in one process on the embedded SQLite broker (canvas.db): a chain, a group, a chord, a chord in a
// chain, map/starmap/chunks, a callback and an errback. The same code sends Python-readable messages over Redis:
//   dotnet run --project samples/Canvas -- -b redis://127.0.0.1:6379/0 --result-backend redis://127.0.0.1:6379/1
var app = CeleriacCli.CreateApp(args, o => o with { BrokerUrl = "sqlite:///canvas.db", ResultBackend = "sqlite:///canvas.db" });
var add = app.Task<long>("canvas.add", (long x, long y) => x + y);
var mul = app.Task<long>("canvas.mul", (long x, long y) => x * y);
var xsum = app.Task<long>("canvas.xsum", (long[] numbers) => numbers.Sum());
var square = app.Task<long>("canvas.square", (long x) => x * x);
var fail = app.Task("canvas.fail", new Func<string, long>(why => throw new InvalidOperationException(why)));
var caught = app.Task<string>("canvas.caught", (string failedId) => failedId);
var timeout = TimeSpan.FromSeconds(60);

await using (app)
{
    await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 4 });

    var chain = await (add.Signature(2, 2) | mul.Signature(4)).ApplyAsync();
    Console.WriteLine($"chain (2 + 2) * 4        = {await chain.GetAsync<long>(timeout)}");

    var group = (GroupResult)await Group(Enumerable.Range(1, 5).Select(i => square.Signature(i))).ApplyAsync();
    Console.WriteLine($"group of squares         = [{string.Join(", ", (await group.GetAsync<long[]>(timeout))!)}], {await group.CompletedCountAsync()} completed");

    var chord = await Chord(Enumerable.Range(1, 100).Select(i => add.Signature(i, 0)), xsum.Signature()).ApplyAsync();
    Console.WriteLine($"chord sum of 1..100      = {await chord.GetAsync<long>(timeout)}");

    var nested = await Chain(add.Signature(1, 1), Group(add.Signature(10), add.Signature(20)), xsum.Signature(), mul.Signature(2)).ApplyAsync();
    Console.WriteLine($"chain with a chord       = {await nested.GetAsync<long>(timeout)}");

    var mapped = await square.Map([1, 2, 3]).ApplyAsync();
    var chunks = (GroupResult)await add.Chunks(Enumerable.Range(0, 6).Select(i => new object?[] { i, i }), 4).ApplyAsync();
    Console.WriteLine($"map / chunks             = {(await mapped.GetAsync(timeout))!.ToJsonString()} / {(await chunks.GetAsync(timeout))!.ToJsonString()}");

    var linked = await add.Signature(20, 1).Link(mul.Signature(2)).ApplyAsync();
    await linked.GetAsync(timeout);
    Console.WriteLine($"link: 20 + 1, then * 2   = {await linked.Children[0].GetAsync<long>(timeout)}");

    var errback = caught.Signature().Freeze();
    var failed = await fail.Signature("no").LinkError(errback).ApplyAsync();
    var failedState = await failed.GetAsync(timeout, propagate: false) is { } error ? error["exc_type"] : null;
    Console.WriteLine($"errback got the failed id: {await app.AsyncResult(errback.Id!).GetAsync<string>(timeout) == failed.Id} ({failedState})");
}
