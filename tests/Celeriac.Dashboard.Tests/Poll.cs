namespace Celeriac.Dashboard.Tests;

/// <summary>Waits for a condition with a generous deadline (the machine is loaded), checking often; never sleep-and-hope.</summary>
internal static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Cluster.Wait;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        T last = await probe();
        while (!done(last))
        {
            if (waited.Elapsed > limit)
            {
                throw new TimeoutException($"timed out waiting for {what}; last value: {last}");
            }

            await Task.Delay(100);
            last = await probe();
        }

        return last;
    }
}
