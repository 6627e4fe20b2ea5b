using Celeriac.Transport;
using Microsoft.Extensions.Logging;

namespace Celeriac.Backends;

/// <summary>What a result backend factory gets.</summary>
/// <param name="Url">The parsed <c>result_backend</c> URL.</param>
/// <param name="ResultExpires">Celery's <c>result_expires</c>; null keeps results forever.</param>
/// <param name="TimeProvider">The clock.</param>
/// <param name="LoggerFactory">Logging.</param>
public sealed record ResultBackendContext(BrokerUrl Url, TimeSpan? ResultExpires, TimeProvider TimeProvider, ILoggerFactory LoggerFactory)
{
    /// <summary>
    /// The app's broker connection, for backends that send results through the broker (<c>rpc://</c>); opened on
    /// first call. Null when the backend is created outside an app.
    /// </summary>
    public Func<ITransport>? Transport { get; init; }

    /// <summary>The app's reply queue name (its oid, sent as <c>reply_to</c> with every task), for <c>rpc://</c>.</summary>
    public string? ReplyQueue { get; init; }
}
