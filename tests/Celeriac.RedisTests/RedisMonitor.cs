using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Celeriac.RedisTests;

/// <summary>
/// Redis's MONITOR on a raw socket: every command the server runs, one line each, as the fixtures' trace.monitor.txt
/// files show Python Celery's. Lets a test assert the exact commands, not just their effect.
/// </summary>
public sealed class RedisMonitor : IAsyncDisposable
{
    private readonly TcpClient _client = new();
    private readonly List<string> _lines = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _reading = Task.CompletedTask;

    public static async Task<RedisMonitor> StartAsync(int port)
    {
        var monitor = new RedisMonitor();
        await monitor._client.ConnectAsync(IPAddress.Loopback, port);
        var stream = monitor._client.GetStream();
        await stream.WriteAsync("MONITOR\r\n"u8.ToArray());
        var reader = new StreamReader(stream, Encoding.UTF8);
        Assert.Equal("+OK", await reader.ReadLineAsync());
        monitor._reading = monitor.ReadAsync(reader);
        return monitor;
    }

    /// <summary>The commands seen so far, without the timestamp and client prefix: <c>"SET" "k" "v"</c>.</summary>
    public IReadOnlyList<string> Commands
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _client.Dispose();
        try
        {
            await _reading;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task ReadAsync(StreamReader reader)
    {
        while (!_stop.IsCancellationRequested && await reader.ReadLineAsync(_stop.Token) is { } line)
        {
            // +1700000000.123456 [0 127.0.0.1:5555] "CMD" "arg" ...
            var at = line.IndexOf("] ", StringComparison.Ordinal);
            lock (_lines)
            {
                _lines.Add(at < 0 ? line : line[(at + 2)..]);
            }
        }
    }
}
