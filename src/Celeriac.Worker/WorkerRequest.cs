using Celeriac.Tasks;
using Celeriac.Transport;

namespace Celeriac.Worker;

/// <summary>A task request inside the worker: the decoded request, its delivery, its definition, its timings.</summary>
internal sealed class WorkerRequest
{
    private int _acked;

    public WorkerRequest(TaskRequest request, IDelivery delivery, TaskDefinition definition, DateTimeOffset receivedAt)
    {
        Request = request;
        Delivery = delivery;
        Definition = definition;
        ReceivedAt = receivedAt;
    }

    public TaskRequest Request { get; }

    public IDelivery Delivery { get; }

    public TaskDefinition Definition { get; }

    public DateTimeOffset ReceivedAt { get; }

    public DateTimeOffset? StartedAt { get; set; }

    public bool Acknowledged => Volatile.Read(ref _acked) == 1;

    /// <summary>Cancels the running task (terminate, soft limit, cold shutdown); set while it runs.</summary>
    public CancellationTokenSource? Cancellation { get; set; }

    /// <summary>Gives up waiting for a terminated body that ignores its token; set while the runner waits.</summary>
    public CancellationTokenSource? Abandon { get; set; }

    /// <summary>How long a terminated body may take to end before it is abandoned.</summary>
    public TimeSpan AbandonGrace { get; set; }

    /// <summary>Why the task was cancelled, when it was.</summary>
    public CancelReason CancelReason { get; set; }

    public string Id => Request.Id;

    /// <summary>Set by the execution pool: frees this run's slot once its body ended and its result write is issued.</summary>
    public Action<WorkerRequest>? EndOfSlot { get; set; }

    /// <summary>Whether <see cref="EndOfSlot"/> freed the slot (the pool's bookkeeping, under its lock).</summary>
    public bool SlotReleased { get; set; }

    /// <summary>Acks once; later calls do nothing (a settled delivery is not touched again).</summary>
    public async ValueTask AckOnceAsync()
    {
        if (Interlocked.Exchange(ref _acked, 1) == 0 && !Delivery.IsSettled)
        {
            await Delivery.AckAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Rejects once, with or without requeue.</summary>
    public async ValueTask RejectOnceAsync(bool requeue)
    {
        if (Interlocked.Exchange(ref _acked, 1) == 0 && !Delivery.IsSettled)
        {
            await Delivery.RejectAsync(requeue).ConfigureAwait(false);
        }
    }
}
