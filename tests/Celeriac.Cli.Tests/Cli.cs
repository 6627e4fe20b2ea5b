using Celeriac.Client;

namespace Celeriac.Cli.Tests;

/// <summary>Runs the CLI in process, as a user's Program.cs would, capturing what it prints.</summary>
internal static class Cli
{
    public static async Task<(int Exit, string Out, string Err)> RunAsync(string[] args, Action<CeleriacApp>? register = null, CancellationToken cancellationToken = default)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CeleriacCli.RunAsync(args, null, register, output, error, cancellationToken);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>A private in-process broker and backend for one test.</summary>
    public static string[] Memory(out string url)
    {
        url = "memory://cli" + Guid.NewGuid().ToString("N");
        return ["-b", url, "--result-backend", url];
    }

    public static void RegisterTasks(CeleriacApp app)
    {
        app.Task("tasks.add", (int x, int y) => x + y);
        app.Task("tasks.fail", int (string m) => throw TaskFailedException.Python("ValueError", m));
    }
}
