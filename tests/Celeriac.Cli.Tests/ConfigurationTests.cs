namespace Celeriac.Cli.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public async Task A_config_file_with_an_unknown_key_exits_64_naming_it()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, """{"Celeriac": {"broker_ulr": "memory://x"}}""");
        var run = await Cli.RunAsync(["--config", file, "status"]);
        Assert.Equal(ExitCodes.Usage, run.Exit);
        Assert.StartsWith("Error: broker_ulr: unknown setting", run.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("worker_concurrency", "\"lots\"", "worker_concurrency: 'lots' is not a whole number")]
    [InlineData("worker_concurrency", "0", "worker_concurrency: must be at least 1")]
    [InlineData("timezone", "\"Mars/Olympus\"", "timezone: 'Mars/Olympus' is not a known IANA time zone")]
    [InlineData("result_expires", "\"soon\"", "result_expires: 'soon' is not a number of seconds")]
    [InlineData("task_serializer", "\"pickle\"", "task_serializer: 'pickle' is not supported")]
    [InlineData("task_acks_late", "\"maybe\"", "task_acks_late: 'maybe' is not a boolean")]
    [InlineData("task_default_queue_type", "\"stream\"", "task_default_queue_type: 'stream' is not a queue type")]
    [InlineData("task_default_exchange_type", "\"headers\"", "task_default_exchange_type: 'headers' is not a task exchange type")]
    [InlineData("task_default_exchange_type", "\"fanout\"", "task_default_exchange_type: 'fanout' is not a task exchange type")]
    [InlineData("broker_native_delayed_delivery_queue_type", "\"stream\"", "broker_native_delayed_delivery_queue_type: 'stream' is not a queue type")]
    [InlineData("task_queue_max_priority", "300", "task_queue_max_priority: must be from 1 to 255")]
    public async Task A_bad_value_exits_64_naming_the_key(string key, string json, string message)
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "{\"Celeriac\": {\"broker_url\": \"memory://x\", \"" + key + "\": " + json + "}}");
        var run = await Cli.RunAsync(["--config", file, "status"]);
        Assert.Equal(ExitCodes.Usage, run.Exit);
        Assert.Contains(message, run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Celery_setting_names_bind_to_the_options()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, """
        {"Celeriac": {
          "broker_url": "memory://cfg", "result_backend": "memory://cfg", "timezone": "Asia/Shanghai",
          "task_default_queue": "work", "task_acks_late": true, "task_track_started": "yes",
          "result_expires": 60, "result_extended": true, "worker_prefetch_multiplier": 2, "worker_concurrency": 3,
          "broker_transport_options": {"visibility_timeout": 7200},
          "task_routes": {"proj.images.*": "images", "proj.add": {"queue": "math", "priority": 5}},
          "beat_schedule": {}
        }}
        """);
        var app = CeleriacCli.CreateApp(["--config", file]);
        var o = app.Options;
        Assert.Equal(("memory://cfg", "memory://cfg", "Asia/Shanghai", "work"), (o.BrokerUrl, o.ResultBackend, o.Timezone, o.Task.DefaultQueue));
        Assert.True(o.Task.AcksLate && o.Task.TrackStarted && o.Result.Extended);
        Assert.Equal(TimeSpan.FromSeconds(60), o.Result.Expires);
        Assert.Equal((3, 2), (o.Worker.Concurrency, o.Worker.PrefetchMultiplier));
        Assert.Equal("7200", o.Broker.TransportOptions["visibility_timeout"]);
        Assert.Equal(2, o.Task.Routes.Count);
        Assert.Equal("math", o.Task.Routes.Single(r => r.Pattern == "proj.add").Queue);
        Assert.Equal(5, o.Task.Routes.Single(r => r.Pattern == "proj.add").Priority);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 20, 0, 0, TimeSpan.FromHours(8)), app.ToAppTime(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void The_rabbitmq_queue_settings_bind_and_amqp_urls_are_known()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, """
        {"Celeriac": {"broker_url": "amqp://guest:guest@127.0.0.1:5672//", "result_backend": "rpc://",
          "task_queue_max_priority": 10, "task_default_queue_type": "quorum", "task_default_exchange_type": "topic",
          "broker_native_delayed_delivery_queue_type": "classic"}}
        """);
        var app = CeleriacCli.CreateApp(["--config", file]);

        Assert.Equal((10, "quorum"), (app.Options.Task.QueueMaxPriority, app.Options.Task.DefaultQueueType));
        Assert.Equal((Celeriac.Transport.ExchangeType.Topic, "classic"), (app.Options.Task.TaskExchangeType, app.Options.Broker.NativeDelayedDeliveryQueueType));
        Assert.Equal("amqp", app.BrokerOptionsUrl.Scheme);
        var declared = Celeriac.Transport.QueueDeclaration.ForTasks("celery", app.Options.Task);
        Assert.Equal(("quorum", null), (declared.QueueType, declared.MaxPriority));
    }

    [Fact]
    public void Environment_variables_override_the_file_and_flags_override_both()
    {
        Environment.SetEnvironmentVariable("CELERIAC_TASK_DEFAULT_QUEUE", "from-env");
        Environment.SetEnvironmentVariable("CELERIAC_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT", "42");
        try
        {
            var app = CeleriacCli.CreateApp(["-b", "memory://flag"], o => o with { BrokerUrl = "memory://code", Task = o.Task with { DefaultQueue = "from-code" } });
            Assert.Equal("memory://flag", app.Options.BrokerUrl);
            Assert.Equal("from-env", app.Options.Task.DefaultQueue);
            Assert.Equal("42", app.Options.Broker.TransportOptions["visibility_timeout"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CELERIAC_TASK_DEFAULT_QUEUE", null);
            Environment.SetEnvironmentVariable("CELERIAC_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT", null);
        }
    }
}
