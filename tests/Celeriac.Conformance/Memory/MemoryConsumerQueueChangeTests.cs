using Celeriac.Memory;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.Conformance.Memory;

/// <summary>memory://: queue changes of a running consumer, each test on its own in-process broker.</summary>
public sealed class MemoryConsumerQueueChangeTests : ConsumerQueueChangeConformanceTests
{
    private readonly BrokerUrl _url = BrokerUrl.Parse($"memory://{Guid.NewGuid():N}");

    protected override ITransport OpenTransport(IReadOnlyDictionary<string, string> options, TimeProvider timeProvider) =>
        MemoryTransport.Get(new TransportContext(_url, options, timeProvider, NullLoggerFactory.Instance));
}
