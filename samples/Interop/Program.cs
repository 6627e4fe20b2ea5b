using Celeriac.Cli;
using Interop;

// The task contract of shared/interop/README.md, so Python Celery's interop client can drive a Celeriac worker:
//   dotnet run --project samples/Interop -- worker -b redis://127.0.0.1:6379/0 --result-backend redis://127.0.0.1:6379/1 -Q celery
//   /usr/bin/python3 py-client.py --queue celery check --extra
// Without -b it runs on the embedded SQLite broker (interop.db), which Python cannot read: use Redis to mix the two.
return await CeleriacCli.RunAsync(
    args,
    options => options with { BrokerUrl = "sqlite:///interop.db", ResultBackend = "sqlite:///interop.db" },
    app => app.RegisterTasks(typeof(InteropTasks).Assembly));
