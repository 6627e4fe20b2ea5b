using Celeriac.Backends;
using Celeriac.Memory;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.Conformance.Memory;

/// <summary>memory://: each test gets its own named in-process store.</summary>
public sealed class MemoryResultBackendConformanceTests : GroupAndChordConformanceTests
{
    private readonly BrokerUrl _url = BrokerUrl.Parse($"memory://{Guid.NewGuid():N}");

    protected override IResultBackend OpenBackend(TimeSpan? resultExpires, TimeProvider timeProvider) =>
        MemoryResultBackend.Get(new ResultBackendContext(_url, resultExpires, timeProvider, NullLoggerFactory.Instance));
}
