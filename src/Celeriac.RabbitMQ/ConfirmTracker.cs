using Celeriac.Transport;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Celeriac.RabbitMQ;

/// <summary>
/// Publisher confirms of one channel, tracked here rather than by RabbitMQ.Client, whose tracking adds an
/// <c>x-dotnet-pub-seq-no</c> header to every message (Python peers would see it in <c>task.request</c>; Celery's own
/// messages carry no such header). Each publish registers its sequence number; <c>basic.ack</c> (possibly
/// <c>multiple</c>) completes it, <c>basic.nack</c> fails it, a <c>basic.return</c> (which RabbitMQ sends before the ack
/// of an unroutable mandatory message) marks the oldest pending publish with the same exchange, routing key and
/// correlation id as unroutable; a channel shutdown fails everything pending, to be published again after recovery.
/// </summary>
internal sealed class ConfirmTracker
{
    private readonly SortedDictionary<ulong, Pending> _pending = [];

    public ConfirmTracker(IChannel channel)
    {
        channel.BasicAcksAsync += (_, e) => Complete(e.DeliveryTag, e.Multiple, nack: false);
        channel.BasicNacksAsync += (_, e) => Complete(e.DeliveryTag, e.Multiple, nack: true);
        channel.BasicReturnAsync += OnReturnAsync;
        channel.ChannelShutdownAsync += OnShutdownAsync;
    }

    /// <summary>Registers the publish about to be sent with <paramref name="sequence"/>; await the task for its confirm.</summary>
    public Task Register(ulong sequence, string exchange, string routingKey, string? correlationId)
    {
        var pending = new Pending(exchange, routingKey, correlationId);
        lock (_pending)
        {
            _pending[sequence] = pending;
        }

        return pending.Confirmed.Task;
    }

    /// <summary>The publish never went out: forget it.</summary>
    public void Forget(ulong sequence)
    {
        lock (_pending)
        {
            _pending.Remove(sequence);
        }
    }

    private Task Complete(ulong tag, bool multiple, bool nack)
    {
        List<Pending> done = [];
        lock (_pending)
        {
            if (multiple)
            {
                foreach (var key in _pending.Keys.TakeWhile(k => k <= tag).ToList())
                {
                    done.Add(_pending[key]);
                    _pending.Remove(key);
                }
            }
            else if (_pending.Remove(tag, out var one))
            {
                done.Add(one);
            }
        }

        foreach (var p in done)
        {
            if (nack)
            {
                p.Confirmed.TrySetException(new AmqpBrokerException($"RabbitMQ refused the message to exchange '{p.Exchange}' with routing key '{p.RoutingKey}' (basic.nack): it was not stored"));
            }
            else if (p.Returned)
            {
                p.Confirmed.TrySetException(new UnroutableMessageException(p.Exchange, p.RoutingKey, $"{AmqpLiterals.NoRoute} NO_ROUTE"));
            }
            else
            {
                p.Confirmed.TrySetResult();
            }
        }

        return Task.CompletedTask;
    }

    private Task OnReturnAsync(object? sender, BasicReturnEventArgs e)
    {
        var correlationId = e.BasicProperties.IsCorrelationIdPresent() ? e.BasicProperties.CorrelationId : null;
        lock (_pending)
        {
            foreach (var p in _pending.Values)
            {
                if (!p.Returned && p.Exchange == e.Exchange && p.RoutingKey == e.RoutingKey && p.CorrelationId == correlationId)
                {
                    p.Returned = true;
                    break;
                }
            }
        }

        return Task.CompletedTask;
    }

    private Task OnShutdownAsync(object? sender, ShutdownEventArgs e)
    {
        List<Pending> lost;
        lock (_pending)
        {
            lost = [.. _pending.Values];
            _pending.Clear();
        }

        foreach (var p in lost)
        {
            p.Confirmed.TrySetException(new AlreadyClosedException(e));
        }

        return Task.CompletedTask;
    }

    private sealed class Pending(string exchange, string routingKey, string? correlationId)
    {
        public string Exchange { get; } = exchange;

        public string RoutingKey { get; } = routingKey;

        public string? CorrelationId { get; } = correlationId;

        public bool Returned { get; set; }

        public TaskCompletionSource Confirmed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
