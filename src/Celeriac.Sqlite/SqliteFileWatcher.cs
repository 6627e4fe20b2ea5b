using Microsoft.Extensions.Logging;

namespace Celeriac.Sqlite;

/// <summary>
/// Tells this process that another process wrote to the database: every commit appends to the <c>-wal</c> file
/// (or, outside WAL mode, rewrites the file or its <c>-journal</c>), and the kernel reports that write
/// (inotify on Linux). Bursts are debounced: the first event fires at once (no added latency), then at most one
/// more fires at the end of a short window, which also covers a reader woken between the WAL write and the
/// wal-index update that makes the commit visible.
/// </summary>
internal sealed partial class SqliteFileWatcher : IDisposable
{
    /// <summary>Caps wake-ups from file events at about 100 a second, however busy the other writers are.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(10);

    private const int Idle = 0;
    private const int Open = 1;

    private readonly Action _changed;
    private readonly ILogger _logger;
    private readonly FileSystemWatcher _watcher;
    private readonly ITimer _windowTimer;
    private int _state;

    private SqliteFileWatcher(string databasePath, Action changed, ILogger logger)
    {
        _changed = changed;
        _logger = logger;

        // The debounce window is OS plumbing, not message time: it runs on the real clock even when the
        // transport is given a fake one, or a frozen test clock would swallow every later event.
        _windowTimer = TimeProvider.System.CreateTimer(_ => CloseWindow(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var directory = Path.GetDirectoryName(databasePath)!;
        _watcher = new FileSystemWatcher(directory, Path.GetFileName(databasePath) + "*")
        {
            IncludeSubdirectories = false,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += OnFileEvent;
        _watcher.Created += OnFileEvent;
        _watcher.Renamed += OnFileEvent;
        _watcher.Error += OnError;
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>Starts watching; null (logged) when the OS refuses a watch, e.g. the inotify instance limit is reached.</summary>
    public static SqliteFileWatcher? TryStart(string databasePath, Action changed, ILogger logger)
    {
        try
        {
            return new SqliteFileWatcher(databasePath, changed, logger);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException or ArgumentException)
        {
            LogWatchUnavailable(logger, ex, databasePath);
            return null;
        }
    }

    public void Dispose()
    {
        _watcher.EnableRaisingEvents = false;
        _watcher.Dispose();
        _windowTimer.Dispose();
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        // The shared-memory index is written through mmap and by connections opening; it carries no commit.
        if (e.Name is { } name && name.EndsWith("-shm", StringComparison.Ordinal))
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _state, Open, Idle) == Idle)
        {
            _changed();
            _windowTimer.Change(Window, Timeout.InfiniteTimeSpan);
        }
    }

    private void CloseWindow()
    {
        // Reopened by the next event; the trailing wake-up covers whatever happened inside the window.
        Volatile.Write(ref _state, Idle);
        _changed();
    }

    private void OnError(object sender, ErrorEventArgs e)
    {
        // An overflow means events were lost, so something surely changed.
        var error = e.GetException();
        LogWatchError(_logger, error);
        _changed();
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Cannot watch SQLite database {Path} for changes by other processes; idle consumers fall back to polling")]
    private static partial void LogWatchUnavailable(ILogger logger, Exception ex, string path);

    [LoggerMessage(EventId = 301, Level = LogLevel.Debug, Message = "SQLite database watcher reported an error; waking waiters")]
    private static partial void LogWatchError(ILogger logger, Exception ex);
}
