using System.Diagnostics;
using System.Text;

namespace Celeriac.IntegrationTests;

/// <summary>Runs a built sample (samples/NAME/bin/CONFIG/net10.0/NAME.dll) as a real process.</summary>
internal sealed class SampleProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();

    private SampleProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            lock (_out)
            {
                _out.AppendLine(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (_err)
            {
                _err.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public string Out
    {
        get
        {
            lock (_out)
            {
                return _out.ToString();
            }
        }
    }

    public string Err
    {
        get
        {
            lock (_err)
            {
                return _err.ToString();
            }
        }
    }

    public static SampleProcess Start(string sample, string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var dll = SamplePath(sample);
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment)
        {
            info.Environment[k] = v;
        }

        return new SampleProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start " + dll));
    }

    public static async Task<(int Exit, string Out, string Err)> RunAsync(string sample, string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        await using var p = Start(sample, workingDirectory, environment, args);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p._process.WaitForExitAsync(timeout.Token);
        p._process.WaitForExit();
        return (p._process.ExitCode, p.Out, p.Err);
    }

    public void Kill() => _process.Kill(entireProcessTree: true);

    public async Task<bool> WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (Out.Contains(text, StringComparison.Ordinal) || Err.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            if (_process.HasExited)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return false;
    }

    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: warm shutdown.
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill!.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static string SamplePath(string sample)
    {
        // tests/Celeriac.IntegrationTests/bin/<Configuration>/net10.0/ -> samples/<sample>/bin/<Configuration>/net10.0/<sample>.dll
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory);
        var tfm = baseDir.Name;
        var configuration = baseDir.Parent!.Name;
        var root = baseDir;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Celeriac.slnx")))
        {
            root = root.Parent;
        }

        var dll = Path.Combine(root!.FullName, "samples", sample, "bin", configuration, tfm, sample + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("build the samples first", dll);
    }
}
