using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Celeriac.Protocol;
using Celeriac.Routing;
using Celeriac.Transport;

namespace Celeriac.Client;

/// <summary>
/// Builds and publishes task messages as Python Celery 5.2 does (every v2 header, <c>eta</c>/<c>expires</c> in
/// the app's time zone, <c>expiration</c> from <c>expires</c>, routing by <c>task_routes</c>).
/// Source: celery/app/base.py (send_task), celery/app/amqp.py (as_task_v2, send_task_message).
/// </summary>
internal sealed class TaskProducer
{
    private readonly CeleriacApp _app;
    private readonly TaskRouter _router;
    private readonly ConcurrentDictionary<string, Task> _declared = new(StringComparer.Ordinal);
    private Events.EventDispatcher? _sentEvents;

    public TaskProducer(CeleriacApp app)
    {
        _app = app;
        _router = new TaskRouter(app.Options.Task.Routes, app.Options.Task.DefaultQueue, app.Options.Task.TaskExchangeType);
        Delayed = new DelayedDelivery(app);
    }

    /// <summary>RabbitMQ's native delayed delivery for ETA tasks, when the app's queues take it.</summary>
    public DelayedDelivery Delayed { get; }

    public TaskRouter Router => _router;

    public async Task<string> SendAsync(string taskName, object?[]? args, IReadOnlyDictionary<string, object?>? kwargs, ApplyOptions? options, CancellationToken cancellationToken)
    {
        var argsNode = new JsonArray();
        foreach (var a in args ?? [])
        {
            argsNode.Add(KombuValues.ToNode(a));
        }

        var kwargsNode = new JsonObject();
        foreach (var (k, v) in kwargs ?? new Dictionary<string, object?>())
        {
            kwargsNode[k] = KombuValues.ToNode(v);
        }

        return await SendAsync(taskName, argsNode, kwargsNode, TaskEmbed.Empty, options ?? new ApplyOptions(), cancellationToken).ConfigureAwait(false);
    }

    public async Task<string> SendAsync(string taskName, JsonArray args, JsonObject kwargs, TaskEmbed embed, ApplyOptions options, CancellationToken cancellationToken)
    {
        var message = Build(taskName, args, kwargs, embed, options, out var target);
        await PublishAsync(message, target, cancellationToken).ConfigureAwait(false);
        return message.Headers.Id;
    }

    public TaskMessage Build(string taskName, JsonArray args, JsonObject kwargs, TaskEmbed embed, ApplyOptions options, out PublishTarget target)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskName);
        target = _router.Resolve(taskName, options.Queue, options.Exchange, options.RoutingKey);
        var id = options.TaskId ?? Guid.NewGuid().ToString();
        var now = _app.Now();
        var eta = options.Eta ?? (options.Countdown is { } countdown ? now + countdown : null);
        var expires = options.Expires ?? (options.ExpiresIn is { } expiresIn ? now + expiresIn : null);
        var extra = new JsonObject();
        foreach (var (k, v) in options.Headers ?? new Dictionary<string, object?>())
        {
            extra[k] = KombuValues.ToNode(v);
        }

        string? expiration = null;
        if (expires is { } e)
        {
            // RabbitMQ drops the message after this many ms, as Celery sets it; clamped at 0.
            var ms = Math.Max(0, (e - now).TotalMilliseconds);
            expiration = ((long)ms).ToString(CultureInfo.InvariantCulture);
        }

        var priority = options.Priority ?? target.Priority ?? _app.Options.Task.DefaultPriority;
        return new TaskMessage
        {
            Headers = new TaskHeaders
            {
                Task = taskName,
                Id = id,
                Shadow = options.Shadow,
                Eta = eta is { } et ? _app.ToAppTime(et) : null,
                Expires = expires is { } ex ? _app.ToAppTime(ex) : null,
                Group = options.GroupId,
                GroupIndex = options.GroupIndex,
                Retries = options.Retries ?? 0,
                TimeLimit = new TimeLimit(options.TimeLimit?.TotalSeconds, options.SoftTimeLimit?.TotalSeconds),
                RootId = options.RootId ?? id,
                ParentId = options.ParentId,
                Origin = _app.NodeName,
                IgnoreResult = options.IgnoreResult ?? false,
                Extra = extra,
            },
            Args = args,
            Kwargs = kwargs,
            Embed = embed,
            Properties = new MessageProperties
            {
                CorrelationId = id,
                ReplyTo = options.ReplyTo ?? _app.Oid,
                DeliveryMode = 2,
                Priority = priority ?? 0,
                Expiration = expiration,
            },
        };
    }

    public async Task PublishAsync(TaskMessage message, PublishTarget target, CancellationToken cancellationToken)
    {
        var transport = _app.Transport;
        await EnsureDeclaredAsync(transport, target, cancellationToken).ConfigureAwait(false);

        // Celery's backend.on_task_call: the rpc backend declares its reply queue before the task can finish.
        await _app.Backend.BeforePublishAsync(message.Headers.Id, cancellationToken).ConfigureAwait(false);
        var (exchange, routingKey) = message.Headers.Eta is null
            ? (target.Exchange, target.RoutingKey)
            : await Delayed.RouteAsync(target, message.Headers.Eta, cancellationToken).ConfigureAwait(false);
        await transport.PublishAsync(TaskMessageCodec.Encode(message), exchange, routingKey, cancellationToken).ConfigureAwait(false);
        if (_app.Options.Task.SendSentEvent)
        {
            await SentEventAsync(message, target with { Exchange = exchange, RoutingKey = routingKey }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary><c>task-sent</c>, signed by this process's <c>gen&lt;pid&gt;@host</c>. Source: celery/app/amqp.py (send_task_message).</summary>
    private ValueTask SentEventAsync(TaskMessage message, PublishTarget target, CancellationToken cancellationToken)
    {
        var h = message.Headers;
        var dispatcher = _sentEvents ??= new Events.EventDispatcher(_app, _app.NodeName);
        return dispatcher.SendAsync(Events.EventNames.TaskSent, new JsonObject
        {
            ["uuid"] = h.Id,
            ["root_id"] = h.RootId,
            ["parent_id"] = h.ParentId,
            ["name"] = h.Task,
            ["args"] = h.ArgsRepr ?? PythonRepr.Args(message.Args),
            ["kwargs"] = h.KwargsRepr ?? PythonRepr.Of(message.Kwargs),
            ["retries"] = h.Retries,
            ["eta"] = h.Eta is { } eta ? WireTime.FormatAware(eta) : null,
            ["expires"] = h.Expires is { } expires ? WireTime.FormatAware(expires) : null,
            ["queue"] = target.Queue,
            ["exchange"] = target.Exchange,
            ["routing_key"] = target.RoutingKey,
        }, cancellationToken);
    }

    private Task EnsureDeclaredAsync(ITransport transport, PublishTarget target, CancellationToken cancellationToken)
    {
        // Celery declares the queue (and its exchange and binding) once per connection before publishing.
        var key = target.Queue + "\u0000" + target.Exchange + "\u0000" + target.RoutingKey;
        var task = _declared.GetOrAdd(key, _ => DeclareAsync(transport, target, cancellationToken));
        if (task.IsFaulted || task.IsCanceled)
        {
            _declared.TryRemove(key, out _);
        }

        return task;
    }

    private async Task DeclareAsync(ITransport transport, PublishTarget target, CancellationToken cancellationToken)
    {
        if (NativeDelayedDelivery.IsLevelOrDelivery(target.Exchange))
        {
            // A retry of a task that came through the delay levels: its queue and bindings are there, and the
            // levels' exchanges are not task exchanges to declare with this app's exchange type.
            return;
        }

        var exchange = target.Exchange.Length == 0 ? target.Queue : target.Exchange;
        await transport.DeclareExchangeAsync(new ExchangeDeclaration(exchange, _app.Options.Task.TaskExchangeType), cancellationToken).ConfigureAwait(false);
        await transport.DeclareQueueAsync(QueueDeclaration.ForTasks(target.Queue, _app.Options.Task), cancellationToken).ConfigureAwait(false);
        await transport.BindQueueAsync(target.Queue, exchange, target.Exchange.Length == 0 ? target.Queue : target.RoutingKey, cancellationToken).ConfigureAwait(false);
    }
}
