namespace Celeriac.Transport;

/// <summary>An exchange to declare.</summary>
/// <param name="Name">The exchange name.</param>
/// <param name="Type">Its type.</param>
/// <param name="Durable">Survives a broker restart.</param>
/// <param name="AutoDelete">Deleted when its last binding goes.</param>
public sealed record ExchangeDeclaration(string Name, ExchangeType Type = ExchangeType.Direct, bool Durable = true, bool AutoDelete = false);
