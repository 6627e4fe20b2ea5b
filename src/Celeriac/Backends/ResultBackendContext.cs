using Celeriac.Transport;
using Microsoft.Extensions.Logging;

namespace Celeriac.Backends;

/// <summary>What a result backend factory gets.</summary>
/// <param name="Url">The parsed <c>result_backend</c> URL.</param>
/// <param name="ResultExpires">Celery's <c>result_expires</c>; null keeps results forever.</param>
/// <param name="TimeProvider">The clock.</param>
/// <param name="LoggerFactory">Logging.</param>
public sealed record ResultBackendContext(BrokerUrl Url, TimeSpan? ResultExpires, TimeProvider TimeProvider, ILoggerFactory LoggerFactory);
