using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Celeriac.Conformance.Sqlite;

/// <summary>This test assembly run again as a child process (see <see cref="CrossProcessChild"/>), killed on dispose.</summary>
public sealed class ChildProcess : IDisposable
{
    /// <summary>A cold <c>dotnet</c> start on a busy two-core machine can take seconds; this only bounds a hang.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private ChildProcess(Process process)
    {
        _process = process;
    }

    public static ChildProcess Start(params string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the child process");
        var child = new ChildProcess(process);
        process.ErrorDataReceived += (_, e) =>
        {
            lock (child._stderr)
            {
                child._stderr.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for the child to print a line starting with <paramref name="prefix"/>; returns that line.</summary>
    public async Task<string> WaitForLineAsync(string prefix)
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            while (await _process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the child printed no '{prefix}' line within {StartTimeout}; stderr: {Stderr()}");
        }

        // WaitForExit also waits for the last standard error lines to be read.
        _process.WaitForExit();
        throw new InvalidOperationException($"the child exited ({_process.ExitCode}) without printing '{prefix}'; stderr: {Stderr()}");
    }

    /// <summary>Kills the child at once (SIGKILL): no finally blocks, no disposal, no acks.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private string Stderr()
    {
        lock (_stderr)
        {
            return _stderr.ToString();
        }
    }

    private static string DotnetHost()
    {
        // The dotnet CLI tells its children where it is; otherwise the muxer sits three levels above the runtime.
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        var beside = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        return File.Exists(beside) ? beside : "dotnet";
    }
}
