namespace Celeriac.RabbitMQTests;

/// <summary>A class fixture: a fresh vhost of the run's RabbitMQ node for one test class.</summary>
public sealed class AmqpVhost : IAsyncLifetime
{
    public RabbitMqNode Node { get; private set; } = null!;

    public string Name { get; private set; } = string.Empty;

    /// <summary>The vhost's URL for guest.</summary>
    public string Url => Node.Url(Name);

    public async Task InitializeAsync()
    {
        Node = await RabbitMqNode.SharedAsync();
        Name = await Node.CreateVhostAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
