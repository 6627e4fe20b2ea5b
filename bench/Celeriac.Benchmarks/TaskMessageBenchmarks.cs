using System.Text;
using BenchmarkDotNet.Attributes;
using Celeriac.Protocol;

namespace Celeriac.Benchmarks;

/// <summary>A task message as a client sends it (encode) and a worker receives it (decode), on the Redis envelope.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class TaskMessageBenchmarks
{
    private byte[] _envelope = [];
    private TaskMessage _message = null!;
    private string _exchange = string.Empty;
    private string _routingKey = string.Empty;
    private string _deliveryTag = string.Empty;

    /// <summary><c>add</c>: <c>add.delay(2, 3)</c>; <c>chain</c>: a message whose embed carries a chain signature.</summary>
    [Params("add", "chain")]
    public string Case { get; set; } = "add";

    [GlobalSetup]
    public void Setup()
    {
        _envelope = Encoding.UTF8.GetBytes(Case == "chain" ? Samples.ChainEnvelope : Samples.AddEnvelope);
        var envelope = KombuEnvelope.Decode(_envelope);
        var decoded = TaskMessageCodec.Decode(envelope.Message);

        // A client computes argsrepr/kwargsrepr when it sends, so the encode benchmark pays for them too.
        _message = decoded with { Headers = decoded.Headers with { ArgsRepr = null, KwargsRepr = null } };
        _exchange = envelope.Exchange;
        _routingKey = envelope.RoutingKey;
        _deliveryTag = envelope.DeliveryTag;
    }

    [Benchmark]
    public byte[] Encode() =>
        new KombuEnvelope(TaskMessageCodec.Encode(_message), _exchange, _routingKey, _deliveryTag).Encode();

    [Benchmark]
    public TaskMessage Decode() => TaskMessageCodec.Decode(KombuEnvelope.Decode(_envelope).Message);
}
