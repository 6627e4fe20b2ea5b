using Celeriac.Backends;
using Celeriac.Protocol;
using Celeriac.Sqlite;
using Celeriac.Transport;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Celeriac.Conformance.TestMessages;

namespace Celeriac.Conformance.Sqlite;

/// <summary>What the SQLite transport and backend promise beyond the conformance suites: the file, its rows, its URLs.</summary>
public sealed class SqliteTransportTests : IAsyncLifetime
{
    private const string Queue = "sqlite";
    private readonly TempDatabase _database = new();
    private readonly List<IAsyncDisposable> _opened = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = _opened.Count - 1; i >= 0; i--)
        {
            await _opened[i].DisposeAsync();
        }

        _database.Delete();
    }

    [Fact]
    public async Task Messages_survive_closing_and_reopening_the_file()
    {
        await using (var first = OpenTransport(_database.Url))
        {
            await first.PublishAsync(Text("kept", priority: 3), string.Empty, Queue);
            await first.PublishAsync(Text("first", priority: 0), string.Empty, Queue);
        }

        var reopened = Track(OpenTransport(_database.Url));
        await using var reader = new DeliveryReader(await reopened.ConsumeAsync([Queue], 0));

        Assert.Equal(["first", "kept"], (await reader.ReceiveAsync(2)).Select(BodyOf));
    }

    [Fact]
    public async Task Each_stored_copy_is_a_kombu_envelope_with_its_own_delivery_tag()
    {
        var transport = Track(OpenTransport(_database.Url));
        await transport.DeclareExchangeAsync(new ExchangeDeclaration("fan", ExchangeType.Fanout));
        await transport.BindQueueAsync("q1", "fan", string.Empty);
        await transport.BindQueueAsync("q2", "fan", string.Empty);

        await transport.PublishAsync(Text("hello", priority: 6), "fan", "rk");

        var envelopes = Query("SELECT queue, priority, envelope FROM celeriac_messages ORDER BY id", r => (Queue: r.GetString(0), Priority: r.GetInt64(1), Envelope: KombuEnvelope.Decode((byte[])r[2])));
        Assert.Equal(["q1", "q2"], envelopes.Select(e => e.Queue));
        Assert.All(envelopes, e =>
        {
            Assert.Equal(6, e.Priority);
            Assert.Equal("hello", System.Text.Encoding.UTF8.GetString(e.Envelope.Message.Body.Span));
            Assert.Equal("fan", e.Envelope.Exchange);
            Assert.Equal("rk", e.Envelope.RoutingKey);
            Assert.True(Guid.TryParse(e.Envelope.DeliveryTag, out _), e.Envelope.DeliveryTag);
        });
        Assert.NotEqual(envelopes[0].Envelope.DeliveryTag, envelopes[1].Envelope.DeliveryTag);
    }

    [Fact]
    public void Every_hot_statement_is_answered_from_an_index()
    {
        using var transport = new SyncDispose(OpenTransport(_database.Url));
        var statements = new[]
        {
            SqliteSql.Put, SqliteSql.HasVisible, SqliteSql.Lease, SqliteSql.Size, SqliteSql.Purge, SqliteSql.Renew, SqliteSql.Ack, SqliteSql.Requeue,
            SqliteSql.NextLeaseExpiry, SqliteSql.HasExpired, SqliteSql.DeleteExpiredMessagesOfQueue,
        };

        foreach (var statement in statements)
        {
            var plan = string.Join("\n", Query("EXPLAIN QUERY PLAN " + statement.Sql, r => r.GetString(3), statement.Parameters.Select(p => (p, (object)1)).ToArray()));

            Assert.NotEmpty(plan);

            // "SCAN celeriac_messages" alone would be a full table scan; scans of subquery results are one row each.
            Assert.DoesNotContain("SCAN celeriac_messages", plan, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Lease_takes_the_head_of_a_queue_of_a_hundred_thousand_rows()
    {
        var transport = Track(OpenTransport(_database.Url));
        await transport.PublishAsync(Text("warm-up"), string.Empty, "other");
        using (var connection = Connect())
        {
            // Rows straight into the table, in one transaction: publishing 100k messages one by one would take seconds.
            using var tx = connection.BeginTransaction();
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO celeriac_messages (queue, priority, envelope) VALUES ($queue, $priority, $envelope)";
            var queue = insert.Parameters.Add("$queue", SqliteType.Text);
            var priority = insert.Parameters.Add("$priority", SqliteType.Integer);
            var envelope = insert.Parameters.Add("$envelope", SqliteType.Blob);
            for (var i = 0; i < 100_000; i++)
            {
                queue.Value = i % 2 == 0 ? Queue : "other";
                priority.Value = i == 77_778 ? 0 : 9;
                envelope.Value = new KombuEnvelope(Text($"m{i}"), string.Empty, Queue, Guid.NewGuid().ToString()).Encode();
                insert.ExecuteNonQuery();
            }

            tx.Commit();
        }

        Assert.Equal(50_000, await transport.GetQueueLengthAsync(Queue));
        await using var reader = new DeliveryReader(await transport.ConsumeAsync([Queue], 2));
        var deliveries = await reader.ReceiveAsync(2);

        // The one priority-0 row first, wherever it sits, then the oldest of the rest.
        Assert.Equal(["m77778", "m0"], deliveries.Select(BodyOf));
    }

    [Fact]
    public async Task Broker_and_result_backend_can_share_one_file()
    {
        var transport = Track(OpenTransport(_database.Url));
        var backend = Track(OpenBackend(_database.Url, TimeProvider.System));

        await transport.PublishAsync(Text("task"), string.Empty, Queue);
        await backend.StoreAsync(new ResultMeta { TaskId = "t1", Status = TaskStates.Success, Result = 1 });

        Assert.Equal(1, await transport.GetQueueLengthAsync(Queue));
        Assert.Equal(TaskStates.Success, (await backend.GetAsync("t1"))?.Status);
        Assert.Equal(["celery-task-meta-t1"], Query("SELECT key FROM celeriac_results", r => r.GetString(0)));
    }

    [Fact]
    public async Task Expired_results_are_deleted_by_a_later_write()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var backend = Track(OpenBackend(_database.Url, clock, TimeSpan.FromMinutes(5)));
        await backend.StoreAsync(new ResultMeta { TaskId = "old", Status = TaskStates.Success, Result = 1 });

        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Null(await backend.GetAsync("old"));
        Assert.Single(Query("SELECT key FROM celeriac_results", r => r.GetString(0)));
        await backend.StoreAsync(new ResultMeta { TaskId = "new", Status = TaskStates.Success, Result = 2 });

        Assert.Equal(["celery-task-meta-new"], Query("SELECT key FROM celeriac_results", r => r.GetString(0)));
    }

    [Fact]
    public async Task Expired_messages_and_unused_queues_are_deleted_from_the_file()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var transport = Track(OpenTransport(_database.Url, clock));
        await transport.DeclareExchangeAsync(new ExchangeDeclaration("fan", ExchangeType.Fanout));
        await transport.DeclareQueueAsync(new QueueDeclaration("ttl") { MessageTtl = TimeSpan.FromSeconds(5) });
        await transport.DeclareQueueAsync(new QueueDeclaration("unused") { Expires = TimeSpan.FromSeconds(10) });
        await transport.BindQueueAsync("ttl", "fan", string.Empty);
        await transport.BindQueueAsync("unused", "fan", string.Empty);
        await transport.PublishAsync(Text("a"), "fan", string.Empty);
        await transport.PublishAsync(Text("b"), "fan", string.Empty);
        Assert.Equal(4, Count("SELECT COUNT(*) FROM celeriac_messages"));

        clock.Advance(TimeSpan.FromSeconds(11));
        await transport.PublishAsync(Text("elsewhere"), string.Empty, "other");

        Assert.Equal(["other"], Query("SELECT queue FROM celeriac_messages", r => r.GetString(0)));
        Assert.Equal(["ttl"], Query("SELECT queue FROM celeriac_bindings", r => r.GetString(0)));
        Assert.Equal(["ttl"], Query("SELECT name FROM celeriac_queues ORDER BY name", r => r.GetString(0)));
    }

    [Fact]
    public async Task A_get_deletes_the_expired_messages_of_its_queue()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var transport = Track(OpenTransport(_database.Url, clock));
        await transport.DeclareQueueAsync(new QueueDeclaration(Queue) { MessageTtl = TimeSpan.FromSeconds(5) });
        await transport.PublishAsync(Text("stale"), string.Empty, Queue);
        clock.Advance(TimeSpan.FromSeconds(6));

        // No clean-up ran since the publish (the clock moved, but nothing published or declared): the get deletes it.
        await using var reader = new DeliveryReader(await transport.ConsumeAsync([Queue], 0));
        Assert.Null(await reader.TryReceiveAsync(TestTimeouts.Silence));
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Arrival;
        while (Count("SELECT COUNT(*) FROM celeriac_messages") > 0 && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, Count("SELECT COUNT(*) FROM celeriac_messages"));
    }

    [Fact]
    public async Task Leased_row_survives_the_clean_up_until_acked()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var transport = Track(OpenTransport(_database.Url, clock));
        await transport.DeclareQueueAsync(new QueueDeclaration(Queue) { MessageTtl = TimeSpan.FromSeconds(5) });
        await transport.PublishAsync(Text("held"), string.Empty, Queue);
        await using var reader = new DeliveryReader(await transport.ConsumeAsync([Queue], 1));
        var delivery = await reader.ReceiveAsync();

        clock.Advance(TimeSpan.FromSeconds(30));
        await transport.PublishAsync(Text("elsewhere"), string.Empty, "other");
        Assert.Equal(1, Count($"SELECT COUNT(*) FROM celeriac_messages WHERE queue = '{Queue}'"));

        await delivery.AckAsync();
        Assert.Equal(0, Count($"SELECT COUNT(*) FROM celeriac_messages WHERE queue = '{Queue}'"));
    }

    [Fact]
    public async Task Live_consumer_keeps_last_used_fresh_for_other_processes()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var transport = Track(OpenTransport(_database.Url, clock));
        await transport.DeclareQueueAsync(new QueueDeclaration(Queue) { Expires = TimeSpan.FromSeconds(10) });
        await using var reader = new DeliveryReader(await transport.ConsumeAsync([Queue], 0));

        // Each step fires the consumer's keep-alive timer; it writes when last_used is older than a quarter of x-expires.
        for (var step = 0; step < 30; step++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Arrival;
        while (Count("SELECT last_used FROM celeriac_queues") < now - 3_500 && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.InRange(Count("SELECT last_used FROM celeriac_queues"), now - 3_500, now);
    }

    [Fact]
    public async Task A_file_made_before_message_ttl_gets_its_column_and_keeps_its_messages()
    {
        Directory.CreateDirectory(_database.DirectoryPath);
        using (var connection = Connect())
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE celeriac_messages (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, priority INTEGER NOT NULL DEFAULT 0,
                    envelope BLOB NOT NULL, lease_owner TEXT, lease_until INTEGER, deliveries INTEGER NOT NULL DEFAULT 0);
                INSERT INTO celeriac_messages (queue, envelope) VALUES ($queue, $envelope);
                """;
            command.Parameters.AddWithValue("$queue", Queue);
            command.Parameters.AddWithValue("$envelope", new KombuEnvelope(Text("old"), string.Empty, Queue, Guid.NewGuid().ToString()).Encode());
            command.ExecuteNonQuery();
        }

        var transport = Track(OpenTransport(_database.Url));
        await using var reader = new DeliveryReader(await transport.ConsumeAsync([Queue], 0));

        Assert.Equal("old", BodyOf(await reader.ReceiveAsync()));
        Assert.Equal(1, Count("SELECT COUNT(*) FROM pragma_table_info('celeriac_messages') WHERE name = 'expires_at'"));
    }

    [Fact]
    public async Task Relative_url_is_resolved_against_the_current_directory_and_missing_directories_are_created()
    {
        var relative = Path.Combine("celeriac-relative-" + Guid.NewGuid().ToString("N"), "nested", "broker.db");
        try
        {
            await using var transport = new SqliteTransport(Context("sqlite:///" + relative));

            Assert.Equal(Path.GetFullPath(relative), transport.DatabasePath);
            Assert.True(File.Exists(transport.DatabasePath));
        }
        finally
        {
            Directory.Delete(Path.GetFullPath(relative.Split(Path.DirectorySeparatorChar)[0]), recursive: true);
        }
    }

    [Fact]
    public async Task Absolute_url_has_four_slashes()
    {
        await using var transport = new SqliteTransport(Context("sqlite:///" + _database.FilePath));

        Assert.StartsWith("sqlite:////", _database.Url, StringComparison.Ordinal);
        Assert.Equal(_database.FilePath, transport.DatabasePath);
        Assert.True(Directory.Exists(_database.DirectoryPath));
    }

    [Theory]
    [InlineData("sqlite://localhost/broker.db")]
    [InlineData("sqlite://")]
    [InlineData("sqlite:///:memory:")]
    public void Unusable_url_is_refused_naming_the_setting(string url)
    {
        var broker = Assert.Throws<CeleriacConfigurationException>(() => new SqliteTransport(Context(url)));
        var backend = Assert.Throws<CeleriacConfigurationException>(() => OpenBackend(url, TimeProvider.System));

        Assert.Equal("broker_url", broker.Key);
        Assert.Equal("result_backend", backend.Key);
        Assert.Contains("sqlite:///", broker.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_that_is_not_a_database_is_refused_naming_the_setting_and_the_path()
    {
        Directory.CreateDirectory(_database.DirectoryPath);
        File.WriteAllText(_database.FilePath, string.Concat(Enumerable.Repeat("this is a text file, not a SQLite database. ", 100)));

        var broker = Assert.Throws<CeleriacConfigurationException>(() => new SqliteTransport(Context(_database.Url)));
        var backend = Assert.Throws<CeleriacConfigurationException>(() => OpenBackend(_database.Url, TimeProvider.System));

        Assert.Equal("broker_url", broker.Key);
        Assert.Equal("result_backend", backend.Key);
        Assert.Contains(_database.FilePath, broker.Message, StringComparison.Ordinal);
        Assert.IsType<SqliteException>(broker.InnerException);
    }

    [Fact]
    public async Task AddSqlite_registers_the_scheme_for_transports_and_backends()
    {
        var services = new CeleriacServices().AddSqlite();

        await using var transport = services.Transports.Create(Context(_database.Url));
        await using var backend = services.Backends.Create(new ResultBackendContext(BrokerUrl.Parse(_database.Url), null, TimeProvider.System, NullLoggerFactory.Instance));

        Assert.IsType<SqliteTransport>(transport);
        Assert.IsType<SqliteResultBackend>(backend);
        Assert.Equal(new TransportCapabilities("sqlite", SurvivesProcessCrash: true, CrossProcess: true, SupportsPriority: true), transport.Capabilities);
        Assert.True(backend.Capabilities.Persistent);
    }

    private static TransportContext Context(string url) =>
        new(BrokerUrl.Parse(url), new Dictionary<string, string>(), TimeProvider.System, NullLoggerFactory.Instance);

    private static SqliteTransport OpenTransport(string url) => new(Context(url));

    private static SqliteTransport OpenTransport(string url, TimeProvider clock) =>
        new(new TransportContext(BrokerUrl.Parse(url), new Dictionary<string, string>(), clock, NullLoggerFactory.Instance));

    private static SqliteResultBackend OpenBackend(string url, TimeProvider clock, TimeSpan? expires = null) =>
        new(new ResultBackendContext(BrokerUrl.Parse(url), expires ?? TimeSpan.FromDays(1), clock, NullLoggerFactory.Instance));

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection($"Data Source={_database.FilePath};Pooling=False");
        connection.Open();
        return connection;
    }

    private List<T> Query<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object Value)[] parameters)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        using var reader = command.ExecuteReader();
        var list = new List<T>();
        while (reader.Read())
        {
            list.Add(map(reader));
        }

        return list;
    }

    private long Count(string sql) => Query(sql, r => r.GetInt64(0)).Single();

    private T Track<T>(T disposable)
        where T : IAsyncDisposable
    {
        _opened.Add(disposable);
        return disposable;
    }

    /// <summary>Lets a synchronous test dispose an async disposable.</summary>
    private sealed class SyncDispose(IAsyncDisposable inner) : IDisposable
    {
        public void Dispose() => inner.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
