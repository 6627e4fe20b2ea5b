using System.Text;
using Celeriac.Protocol;
using Celeriac.Sqlite;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.Conformance.Sqlite;

/// <summary>
/// What the child process does for <see cref="SqliteCrossProcessTests"/>: one step against a SQLite file, with
/// a line on standard output when the step is done so the parent knows when to act.
/// </summary>
public static class CrossProcessChild
{
    public const string ConsumeAndHang = "consume-and-hang";
    public const string Publish = "publish";
    public const string StoreSuccess = "store-success";
    public const string ReceiveBroadcasts = "receive-broadcasts";

    public static async Task<int> RunAsync(string[] args)
    {
        switch (args)
        {
            case [ConsumeAndHang, var url, var queue, var visibilityTimeout]:
                {
                    // Never disposed and never acked: the parent kills this process while it holds the message.
                    var transport = OpenTransport(url, ("visibility_timeout", visibilityTimeout));
                    var consumer = await transport.ConsumeAsync([queue], prefetchCount: 1);
                    await foreach (var delivery in consumer.ReadAllAsync())
                    {
                        Say($"received {Encoding.UTF8.GetString(delivery.Message.Body.Span)}");
                        await Task.Delay(Timeout.Infinite);
                    }

                    return 1;
                }

            case [ReceiveBroadcasts, var url, var exchange, var queue, var expiresSeconds]:
                {
                    // An event receiver: its own queue with x-expires, bound to a fanout exchange, consumed until killed.
                    var transport = OpenTransport(url);
                    var expires = TimeSpan.FromSeconds(double.Parse(expiresSeconds, System.Globalization.CultureInfo.InvariantCulture));
                    await transport.DeclareExchangeAsync(new ExchangeDeclaration(exchange, ExchangeType.Fanout));
                    await transport.DeclareQueueAsync(new QueueDeclaration(queue, Durable: false, AutoDelete: true) { Expires = expires });
                    await transport.BindQueueAsync(queue, exchange, string.Empty);
                    var consumer = await transport.ConsumeAsync([queue], prefetchCount: 0);
                    Say("consuming");
                    await foreach (var delivery in consumer.ReadAllAsync())
                    {
                        await delivery.AckAsync();
                        Say($"received {Encoding.UTF8.GetString(delivery.Message.Body.Span)}");
                    }

                    return 1;
                }

            case [Publish, var url, var queue, var body]:
                {
                    await using var transport = OpenTransport(url);
                    await transport.PublishAsync(TestMessages.Text(body), string.Empty, queue);
                    Say("published");
                    return 0;
                }

            case [StoreSuccess, var url, var taskId, var result]:
                {
                    await using var backend = new SqliteResultBackend(new Celeriac.Backends.ResultBackendContext(BrokerUrl.Parse(url), TimeSpan.FromHours(1), TimeProvider.System, NullLoggerFactory.Instance));
                    await backend.StoreAsync(new ResultMeta { TaskId = taskId, Status = TaskStates.Success, Result = result });
                    Say("stored");
                    return 0;
                }

            default:
                await Console.Error.WriteLineAsync($"unknown child command: {string.Join(' ', args)}");
                return 2;
        }
    }

    private static SqliteTransport OpenTransport(string url, params (string Key, string Value)[] options) =>
        new(new TransportContext(BrokerUrl.Parse(url), options.ToDictionary(o => o.Key, o => o.Value), TimeProvider.System, NullLoggerFactory.Instance));

    private static void Say(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}
