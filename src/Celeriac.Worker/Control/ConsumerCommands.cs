using System.Text.Json.Nodes;
using Celeriac.Transport;
using Microsoft.Extensions.Logging;

namespace Celeriac.Worker.Control;

/// <summary>
/// <c>add_consumer</c> and <c>cancel_consumer</c>: the worker starts or stops consuming a queue while it runs, under
/// its one prefetch limit. A new queue is declared and bound first (its exchange named as the queue and of
/// <c>task_default_exchange_type</c> unless given, its key the queue's name; bound to native delayed delivery when
/// the app uses it), as Celery's <c>select_add</c>; messages already fetched from a cancelled queue
/// still run. Replies are Celery's whether or not the queue was consumed before.
/// Source: celery/worker/control.py (add_consumer, cancel_consumer), celery/worker/consumer/consumer.py (add_task_queue).
/// </summary>
internal sealed partial class ConsumerCommands
{
    private readonly IWorkerControl _worker;
    private readonly ILogger _logger;

    public ConsumerCommands(IWorkerControl worker, ILogger logger)
    {
        _worker = worker;
        _logger = logger;
    }

    public async ValueTask<JsonNode?> AddAsync(JsonObject a)
    {
        var name = Text(a, "queue") ?? throw new ArgumentException("add_consumer needs a queue name");
        var queue = new ConsumedQueue(name, Text(a, "exchange") ?? name, Text(a, "exchange_type") ?? _worker.App.Options.Task.DefaultExchangeType, Text(a, "routing_key") ?? name);
        if (!_worker.ConsumedQueues.Contains(name))
        {
            var type = queue.ExchangeType switch
            {
                "direct" => ExchangeType.Direct,
                "topic" => ExchangeType.Topic,
                "fanout" => ExchangeType.Fanout,
                _ => throw new ArgumentException($"unknown exchange type '{queue.ExchangeType}' (direct, topic or fanout)"),
            };
            var transport = _worker.App.Transport;
            await transport.DeclareExchangeAsync(new ExchangeDeclaration(queue.Exchange, type)).ConfigureAwait(false);
            await transport.DeclareQueueAsync(QueueDeclaration.ForTasks(name, _worker.App.Options.Task)).ConfigureAwait(false);
            await transport.BindQueueAsync(name, queue.Exchange, queue.RoutingKey).ConfigureAwait(false);
            await _worker.App.Producer.Delayed.PrepareQueueAsync(name, queue.Exchange, type, queue.RoutingKey, CancellationToken.None).ConfigureAwait(false);
            await _worker.Consumer.AddQueueAsync(name).ConfigureAwait(false);
            if (_worker.ConsumedQueues.TryAdd(queue))
            {
                LogStarted(name);
            }
        }

        return Ok($"add consumer {name}");
    }

    public async ValueTask<JsonNode?> CancelAsync(JsonObject a)
    {
        var name = Text(a, "queue") ?? throw new ArgumentException("cancel_consumer needs a queue name");
        LogCanceling(name);
        await _worker.Consumer.RemoveQueueAsync(name).ConfigureAwait(false);
        _worker.ConsumedQueues.Remove(name);
        return Ok($"no longer consuming from {name}");
    }

    private static JsonObject Ok(string text) => new() { ["ok"] = text };

    private static string? Text(JsonObject a, string key) =>
        a[key] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String && v.GetValue<string>() is { Length: > 0 } s ? s : null;

    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "Started consuming from {Queue}")]
    private partial void LogStarted(string queue);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Information, Message = "Canceling queue {Queue}")]
    private partial void LogCanceling(string queue);
}
