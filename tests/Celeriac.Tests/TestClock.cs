using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;

namespace Celeriac.Tests;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that knows which timers are armed, when they are due and which Celeriac type armed
/// them. A test that moves the clock must first wait until the code under test has armed the timer it means to fire
/// (<see cref="WaitForTimerAsync"/>): a timer armed after <see cref="FakeTimeProvider.Advance"/> counts from the advanced
/// time and fires late, or never. Seeing a task reach a state (active, scheduled) is not enough: the worker arms its
/// timer a moment later, on its own thread. The arming type tells apart timers due at the same instant (a worker's
/// heartbeat is due every two seconds).
/// </summary>
internal sealed class TestClock : FakeTimeProvider
{
    private static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(1);
    private readonly List<ArmedTimer> _timers = [];

    public TestClock()
        : this(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public TestClock(DateTimeOffset start)
        : base(start)
    {
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var armedBy = ArmedBy();
        var due = DueAt(dueTime);
        var timer = new ArmedTimer(this, base.CreateTimer(callback, state, dueTime, period), due, armedBy);
        lock (_timers)
        {
            // Recorded only once the fake clock holds it, so a test that saw it may advance.
            _timers.Add(timer);
        }

        return timer;
    }

    /// <summary>
    /// Waits until <paramref name="armedBy"/> (a Celeriac type name, e.g. <c>TaskRunner</c>) has armed a timer due
    /// <paramref name="dueIn"/> from now (fake time, within 1 ms) that has neither fired nor been disposed; fails after
    /// <see cref="TestApp.Timeout"/> (real time), listing the armed timers.
    /// </summary>
    public async Task WaitForTimerAsync(string armedBy, TimeSpan dueIn)
    {
        var due = GetUtcNow() + dueIn;
        var waited = global::System.Diagnostics.Stopwatch.StartNew();
        while (!Pending().Any(t => t.ArmedBy == armedBy && (t.Due - due).Duration() <= Tolerance))
        {
            if (waited.Elapsed > TestApp.Timeout)
            {
                var pending = string.Join(", ", Pending().Select(t => $"{t.ArmedBy} at {t.Due:O}"));
                throw new TimeoutException($"timed out waiting for {armedBy} to arm a timer due at {due:O}; armed: {pending}");
            }

            await Task.Delay(5);
        }
    }

    private List<ArmedTimer> Pending()
    {
        var now = GetUtcNow();
        lock (_timers)
        {
            _timers.RemoveAll(t => t.Disposed);
            return [.. _timers.Where(t => t.Due > now && t.Due != DateTimeOffset.MaxValue)];
        }
    }

    private DateTimeOffset DueAt(TimeSpan dueTime)
    {
        var now = GetUtcNow();
        return dueTime == Timeout.InfiniteTimeSpan || dueTime >= DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue : now + dueTime;
    }

    /// <summary>The first Celeriac type (not a test's) on the stack, as its outermost type (an async method's state machine is nested).</summary>
    private static string ArmedBy()
    {
        foreach (var frame in new StackTrace(2, false).GetFrames())
        {
            var type = frame.GetMethod()?.DeclaringType;
            while (type?.DeclaringType is { } outer)
            {
                type = outer;
            }

            if (type?.Namespace is { } ns && ns.StartsWith("Celeriac", StringComparison.Ordinal) && !ns.StartsWith("Celeriac.Tests", StringComparison.Ordinal))
            {
                return type.Name;
            }
        }

        return "?";
    }

    private sealed class ArmedTimer(TestClock clock, ITimer inner, DateTimeOffset due, string armedBy) : ITimer
    {
        private volatile bool _disposed;
        private long _dueTicks = due.UtcTicks;

        public string ArmedBy { get; } = armedBy;

        public DateTimeOffset Due => new(Interlocked.Read(ref _dueTicks), TimeSpan.Zero);

        public bool Disposed => _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var next = clock.DueAt(dueTime);
            var changed = inner.Change(dueTime, period);
            Interlocked.Exchange(ref _dueTicks, next.UtcTicks);
            return changed;
        }

        public void Dispose()
        {
            _disposed = true;
            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            _disposed = true;
            return inner.DisposeAsync();
        }
    }
}
