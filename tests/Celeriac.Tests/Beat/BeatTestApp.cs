using Celeriac.Canvas;
using Celeriac.Schedules;

namespace Celeriac.Tests.Beat;

/// <summary>Apps on one in-memory broker with a fake clock; each entry sends to its own queue so sends can be counted.</summary>
internal sealed class BeatTestApp
{
    public BeatTestApp(DateTimeOffset start, string timezone = "UTC")
    {
        Time = new TestClock(start);
        Broker = "beat" + Guid.NewGuid().ToString("N");
        Timezone = timezone;
        Store = new MemoryBeatStore(Time);
    }

    public TestClock Time { get; }

    public string Broker { get; }

    public string Timezone { get; }

    public MemoryBeatStore Store { get; }

    /// <summary>An app; with <paramref name="fileStore"/> its beat keeps state in beat_schedule_filename instead of the memory store.</summary>
    public CeleriacApp NewApp(Func<BeatOptions, BeatOptions>? beat = null, bool fileStore = false) => new(
        new CeleriacOptions
        {
            BrokerUrl = "memory://" + Broker,
            Timezone = Timezone,
            Beat = beat?.Invoke(new BeatOptions()) ?? new BeatOptions(),
        },
        fileStore ? new CeleriacServices { TimeProvider = Time, BeatStores = new BeatStoreRegistry() } : new CeleriacServices { TimeProvider = Time });

    public static Signature Send(string task, string queue, params object?[] args) =>
        Signature.Create(task, args).Set("queue", queue);

    public static async Task<long> CountAsync(CeleriacApp app, string queue) => await app.Transport.GetQueueLengthAsync(queue);
}
