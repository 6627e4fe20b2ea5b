using Celeriac.Memory;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.Conformance.Memory;

/// <summary>memory://: each test gets its own named in-process broker.</summary>
public sealed class MemoryTransportConformanceTests : QueueArgumentConformanceTests
{
    private readonly BrokerUrl _url = BrokerUrl.Parse($"memory://{Guid.NewGuid():N}");

    protected override ITransport OpenTransport(IReadOnlyDictionary<string, string> options, TimeProvider timeProvider) =>
        MemoryTransport.Get(new TransportContext(_url, options, timeProvider, NullLoggerFactory.Instance));
}
