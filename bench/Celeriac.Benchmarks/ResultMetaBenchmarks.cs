using System.Text;
using BenchmarkDotNet.Attributes;
using Celeriac.Protocol;

namespace Celeriac.Benchmarks;

/// <summary>Result meta as a worker stores it (encode) and a client reads it (decode).</summary>
[MemoryDiagnoser]
[MedianColumn]
public class ResultMetaBenchmarks
{
    private byte[] _stored = [];
    private ResultMeta _meta = null!;

    /// <summary><c>success</c>: SUCCESS with an int result; <c>failure</c>: FAILURE with traceback and extended fields.</summary>
    [Params("success", "failure")]
    public string Case { get; set; } = "success";

    [GlobalSetup]
    public void Setup()
    {
        _stored = Encoding.UTF8.GetBytes(Case == "failure" ? Samples.FailureMeta : Samples.SuccessMeta);
        _meta = ResultMetaCodec.Decode(_stored);
    }

    [Benchmark]
    public byte[] Encode() => ResultMetaCodec.Encode(_meta);

    [Benchmark]
    public ResultMeta Decode() => ResultMetaCodec.Decode(_stored);
}
