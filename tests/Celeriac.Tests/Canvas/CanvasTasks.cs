using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Celeriac.Client;
using Celeriac.Protocol;
using Celeriac.Tasks;

namespace Celeriac.Tests.Canvas;

/// <summary>The tasks the canvas tests compose, registered on one app, with counters the tests read.</summary>
internal sealed class CanvasTasks
{
    public CanvasTasks(CeleriacApp app)
    {
        Add = app.Task<long>("t.add", (long x, long y) => x + y);
        Mul = app.Task<long>("t.mul", (long x, long y) => x * y);
        Xsum = app.Task<long>("t.xsum", (long[] numbers) =>
        {
            Interlocked.Increment(ref _xsumRuns);
            return numbers.Sum();
        });
        Fail = app.Task("t.fail", new Func<JsonNode?, long>(message => throw TaskFailedException.Python("ValueError", message?.ToString() ?? "None")));
        Identity = app.Task("t.identity", (JsonNode? value) => value?.DeepClone());
        Collect = app.Task("t.collect", (JsonNode? value) =>
        {
            Collected.Add(value?.ToJsonString() ?? "null");
            return value?.DeepClone();
        });
        // A new-style errback: Celery calls it in the failing task's worker with (request, exc, traceback), plus its own args.
        OnError = app.Task("t.on_error", (TaskRequest request, ExceptionInfo exc, string? traceback, string tag) =>
        {
            Errors.Add((request.Id, exc, traceback, tag));
        });
    }

    public CeleriacTask<long> Add { get; }

    public CeleriacTask<long> Mul { get; }

    public CeleriacTask<long> Xsum { get; }

    public CeleriacTask Fail { get; }

    public CeleriacTask Identity { get; }

    public CeleriacTask Collect { get; }

    public CeleriacTask OnError { get; }

    public ConcurrentBag<string> Collected { get; } = [];

    public ConcurrentBag<(string Id, ExceptionInfo Exception, string? Traceback, string Tag)> Errors { get; } = [];

    public int XsumRuns => Volatile.Read(ref _xsumRuns);

    private int _xsumRuns;
}
