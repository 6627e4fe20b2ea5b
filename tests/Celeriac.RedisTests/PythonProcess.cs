using System.Diagnostics;
using System.Text;

namespace Celeriac.RedisTests;

/// <summary>
/// A real Python Celery process (<c>/usr/bin/python3</c>, Debian's python3-celery 5.2.6) started by a test from the
/// project's own python/ directory, its output captured; disposing kills it by PID, whatever happened.
/// </summary>
public sealed class PythonProcess : IAsyncDisposable
{
    public const string Python = "/usr/bin/python3";

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PythonProcess(Process process)
    {
        _process = process;
    }

    /// <summary>stdout and stderr, interleaved as received.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public int Id => _process.Id;

    public static string ScriptDirectory => Path.Combine(AppContext.BaseDirectory, "python");

    public static PythonProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        if (!File.Exists(Python))
        {
            throw new InvalidOperationException($"{Python} not found: install python3-celery and python3-redis (scripts/test does)");
        }

        return StartProgram(Python, ScriptDirectory, environment, args);
    }

    /// <summary>Any program (e.g. <c>dotnet Sample.dll</c>), with the same output capture and kill on dispose.</summary>
    public static PythonProcess StartProgram(string fileName, string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PYTHONPATH"] = ScriptDirectory;
        start.Environment["PYTHONUNBUFFERED"] = "1";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var python = new PythonProcess(process);
        process.OutputDataReceived += (_, e) => python.Append(e.Data);
        process.ErrorDataReceived += (_, e) => python.Append(e.Data);
        process.Exited += (_, _) => python._exited.TrySetResult();
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return python;
    }

    /// <summary>Waits for <paramref name="text"/> in the output; false when the process exits or time runs out first.</summary>
    public async Task<bool> WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (Output.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            if (_exited.Task.IsCompleted)
            {
                return Output.Contains(text, StringComparison.Ordinal);
            }

            await Task.Delay(50);
        }

        return false;
    }

    /// <summary>Waits for the process to exit and returns its exit code; on timeout, the exception carries its output so far.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _exited.Task.WaitAsync(timeout);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)} did not exit within {timeout}; its output:\n{Output}", ex);
        }

        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
