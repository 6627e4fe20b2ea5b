using System.Collections.Concurrent;
using Celeriac.Transport;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Celeriac.Sqlite;

/// <summary>
/// One SQLite file as this process uses it, shared by every transport and result backend opened on the same path:
/// a small pool of open connections, one gate that queues this process's writers, and the change signal.
/// </summary>
/// <remarks>
/// Sharing per file is what keeps the design simple and fast. SQLite allows one writer at a time per file; if
/// this process's writers met only in SQLite's busy handler they would sleep in steps of milliseconds, so they
/// queue on <see cref="_writeGate"/> and only other processes' writers meet SQLite's busy_timeout. One change
/// signal per file also means a write by a transport wakes a result backend's waiters in the same process at once,
/// while the file watcher wakes them for writes from other processes.
/// </remarks>
internal sealed partial class SqliteDatabase : IDisposable
{
    private static readonly Dictionary<string, SqliteDatabase> Shared = new(StringComparer.Ordinal);
    private static readonly Lock OpenGate = new();

    /// <summary>Idle connections kept open; more may be open while busy, and the extras close when returned.</summary>
    private static readonly int MaxIdleSessions = Math.Max(4, Environment.ProcessorCount * 2);

    private readonly string _connectionString;
    private readonly ConcurrentBag<SqliteSession> _idle = [];
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly AsyncPulse _changes = new();
    private readonly ILogger _logger;
    private readonly Lock _watchGate = new();

    // Consumers alive in this process per queue: their queues must never expire, whatever their last touch says.
    private readonly Dictionary<string, int> _consumers = new(StringComparer.Ordinal);
    private SqliteFileWatcher? _watcher;
    private bool _watchStarted;
    private long _version;
    private int _references;
    private volatile bool _closed;

    private SqliteDatabase(string path, ILogger logger)
    {
        Path = path;
        _logger = logger;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,

            // This class pools connections itself (with their prepared statements); closing must really close.
            Pooling = false,

            // Microsoft.Data.Sqlite retries a still-busy statement up to this long after SQLite's own busy_timeout.
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The full path of the file.</summary>
    public string Path { get; }

    /// <summary>
    /// Counts changes this process knows of (its own writes, and file events from other processes). A reader that
    /// notes the version before a query that found nothing need not wait if the version moved since.
    /// </summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Completes at the next change; take it before checking, then wait on it.</summary>
    public Task NextChange
    {
        get
        {
            EnsureWatching();
            return _changes.NextPulse;
        }
    }

    /// <summary>Opens (or shares) the database a <c>sqlite://</c> URL names.</summary>
    /// <param name="url">The URL.</param>
    /// <param name="settingKey">The setting it came from (<c>broker_url</c>, <c>result_backend</c>), named in errors.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <exception cref="CeleriacConfigurationException">The path is unusable, or the file cannot be opened as a SQLite database.</exception>
    public static SqliteDatabase Acquire(BrokerUrl url, string settingKey, ILoggerFactory loggerFactory)
    {
        var path = SqliteUrl.ResolvePath(url, settingKey);
        try
        {
            return Acquire(path, loggerFactory);
        }
        catch (SqliteException ex)
        {
            throw new CeleriacConfigurationException(settingKey, $"cannot open SQLite database '{path}' (from '{url.Redacted}'): {ex.Message}", ex);
        }
    }

    /// <summary>Opens (or shares) the database at <paramref name="path"/>, creating the file, WAL mode and the schema on first use.</summary>
    /// <exception cref="SqliteException">The file cannot be opened or is not a SQLite database.</exception>
    public static SqliteDatabase Acquire(string path, ILoggerFactory loggerFactory)
    {
        lock (OpenGate)
        {
            if (!Shared.TryGetValue(path, out var database))
            {
                database = new SqliteDatabase(path, loggerFactory.CreateLogger<SqliteDatabase>());
                database.Initialize();
                Shared[path] = database;
            }

            database._references++;
            return database;
        }
    }

    /// <summary>Gives back a reference; the last one closes the connections and stops watching.</summary>
    public void Release()
    {
        lock (OpenGate)
        {
            if (--_references > 0)
            {
                return;
            }

            Shared.Remove(Path);
        }

        Dispose();
    }

    /// <summary>Closes the connections and stops watching; <see cref="Release"/> calls it for the last reference.</summary>
    public void Dispose()
    {
        _closed = true;
        lock (_watchGate)
        {
            _watcher?.Dispose();
            _watcher = null;
        }

        while (_idle.TryTake(out var session))
        {
            session.Dispose();
        }

        // _writeGate is not disposed: an operation still running may release it, and it holds no OS handle
        // unless AvailableWaitHandle is read.
    }

    /// <summary>Runs a read on a pooled connection. WAL readers see the last commit and never wait for writers.</summary>
    public T Read<T>(Func<SqliteSession, T> read)
    {
        var session = Rent();
        try
        {
            var result = read(session);
            Return(session);
            return result;
        }
        catch
        {
            // A connection in an unknown state is not worth keeping.
            session.Dispose();
            throw;
        }
    }

    /// <summary>Runs a write (one statement, or one explicit transaction) after this process's earlier writes.</summary>
    public async ValueTask<T> WriteAsync<T>(Func<SqliteSession, T> write, CancellationToken cancellationToken)
    {
        if (!_writeGate.Wait(0, CancellationToken.None))
        {
            await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return Read(write);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Counts consumers of this process in (+1) or out (-1) of <paramref name="queues"/>.</summary>
    public void CountConsumers(IReadOnlyList<string> queues, int delta)
    {
        lock (_consumers)
        {
            foreach (var queue in queues)
            {
                var count = _consumers.GetValueOrDefault(queue) + delta;
                if (count > 0)
                {
                    _consumers[queue] = count;
                }
                else
                {
                    _consumers.Remove(queue);
                }
            }
        }
    }

    /// <summary>The queues this process consumes, as a JSON array for <c>json_each</c>.</summary>
    public string ConsumedQueuesJson()
    {
        lock (_consumers)
        {
            return SqliteTransport.JsonArrayOf(_consumers.Keys);
        }
    }

    /// <summary>Records a change (after its commit) and wakes this process's waiters.</summary>
    public void NotifyChanged()
    {
        Interlocked.Increment(ref _version);
        _changes.Pulse();
    }

    private void EnsureWatching()
    {
        if (Volatile.Read(ref _watchStarted))
        {
            return;
        }

        // Started on the first wait, not on open: a process that only publishes never needs it.
        lock (_watchGate)
        {
            if (!_watchStarted && !_closed)
            {
                _watcher = SqliteFileWatcher.TryStart(Path, NotifyChanged, _logger);
                Volatile.Write(ref _watchStarted, true);
            }
        }
    }

    private void Initialize()
    {
        using var session = new SqliteSession(_connectionString);
        var mode = session.Scalar(SqliteSql.JournalModeWal) as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            // E.g. a file system without shared memory. Still correct, with readers and the writer taking turns.
            LogNoWal(Path, mode ?? "unknown");
        }

        // One transaction, so that processes opening a file at once neither both add the column nor see half a schema.
        session.Execute("BEGIN IMMEDIATE;");
        session.Execute(SqliteSql.CreateSchema);
        if (Convert.ToInt64(session.Scalar(SqliteSql.HasMessageExpiry), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            session.Execute(SqliteSql.AddMessageExpiry);
        }

        session.Execute(SqliteSql.CreateExpirySchema);
        session.Execute("COMMIT;");
        LogOpened(Path);
    }

    private SqliteSession Rent()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        return _idle.TryTake(out var session) ? session : new SqliteSession(_connectionString);
    }

    private void Return(SqliteSession session)
    {
        if (_closed || _idle.Count >= MaxIdleSessions)
        {
            session.Dispose();
            return;
        }

        _idle.Add(session);
        if (_closed && _idle.TryTake(out var late))
        {
            // Released while this operation ran: do not leave a connection open behind the last reference.
            late.Dispose();
        }
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Debug, Message = "Opened SQLite database {Path}")]
    private partial void LogOpened(string path);

    [LoggerMessage(EventId = 311, Level = LogLevel.Warning, Message = "SQLite database {Path} is in journal mode '{Mode}', not WAL; readers and writers will block each other")]
    private partial void LogNoWal(string path, string mode);
}
