using Celeriac.Backends;
using Celeriac.Redis;
using Celeriac.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Celeriac.RedisTests;

/// <summary>URLs and transport options as kombu and Celery read them (Celery §4.9, §4.10).</summary>
public sealed class RedisUrlTests
{
    [Theory]
    [InlineData("redis://", "localhost", 6379, 0, null, null)]
    [InlineData("redis://localhost", "localhost", 6379, 0, null, null)]
    [InlineData("redis://h:6380/3", "h", 6380, 3, null, null)]
    [InlineData("redis://h:6380/", "h", 6380, 0, null, null)]
    [InlineData("redis://:s3cr%40t@h/1", "h", 6379, 1, null, "s3cr@t")]
    [InlineData("redis://user:pw@10.0.0.1:7000/15", "10.0.0.1", 7000, 15, "user", "pw")]
    public void Redis_urls_give_host_port_db_and_credentials(string url, string host, int port, int db, string? user, string? password)
    {
        var endpoint = RedisEndpoint.Parse(BrokerUrl.Parse(url), "broker_url");

        Assert.Equal(host, endpoint.Host);
        Assert.Equal(port, endpoint.Port);
        Assert.Equal(db, endpoint.Database);
        Assert.Equal(user, endpoint.User);
        Assert.Equal(password, endpoint.Password);
        Assert.False(endpoint.Tls);
        var config = endpoint.ToConfiguration("test");
        Assert.Equal(db, config.DefaultDatabase);
        Assert.Equal(password, config.Password);
    }

    [Theory]
    [InlineData("rediss://h:6380/0", "required")]
    [InlineData("rediss://h:6380/0?ssl_cert_reqs=CERT_NONE", "none")]
    [InlineData("rediss://h:6380/0?ssl_cert_reqs=optional", "optional")]
    [InlineData("rediss://h:6380/0?ssl_cert_reqs=required", "required")]
    public void Rediss_is_tls_with_kombus_cert_requirements(string url, string requirement)
    {
        var endpoint = RedisEndpoint.Parse(BrokerUrl.Parse(url), "broker_url");

        Assert.True(endpoint.Tls);
        Assert.Equal(requirement, endpoint.CertRequirement);
        Assert.True(endpoint.ToConfiguration("test").Ssl);
    }

    [Theory]
    [InlineData("redis://h/zero")]
    [InlineData("redis://h/-1")]
    [InlineData("rediss://h/0?ssl_cert_reqs=maybe")]
    [InlineData("redis://h/0?ssl_ca_certs=/ca.pem")]
    public void A_bad_broker_url_names_broker_url(string url)
    {
        var ex = Assert.Throws<CeleriacConfigurationException>(() =>
            new RedisTransport(new TransportContext(BrokerUrl.Parse(url), new Dictionary<string, string>(), TimeProvider.System, NullLoggerFactory.Instance)));

        Assert.Equal("broker_url", ex.Key);
    }

    [Fact]
    public void A_bad_result_backend_url_names_result_backend()
    {
        var ex = Assert.Throws<CeleriacConfigurationException>(() =>
            new RedisResultBackend(new ResultBackendContext(BrokerUrl.Parse("redis://h/db1"), null, TimeProvider.System, NullLoggerFactory.Instance)));

        Assert.Equal("result_backend", ex.Key);
    }

    [Fact]
    public void Transport_options_are_read_by_celerys_names()
    {
        var transport = new RedisTransport(new TransportContext(
            BrokerUrl.Parse("redis://h/2"),
            new Dictionary<string, string> { ["visibility_timeout"] = "43200", ["global_keyprefix"] = "app:", ["priority_steps"] = "[0, 5]" },
            TimeProvider.System,
            NullLoggerFactory.Instance));

        Assert.Equal(TimeSpan.FromHours(12), transport.VisibilityTimeout);
        Assert.Equal("app:", transport.Options.GlobalKeyPrefix);
        Assert.Equal([0, 5], transport.Options.PrioritySteps);
        Assert.Equal(5, transport.Options.StepFor(7));
        Assert.Equal(0, transport.Options.StepFor(-3));
        Assert.Equal("app:/2.celeryev/worker.heartbeat", transport.PublishTopic("celeryev", "worker.heartbeat"));
    }

    [Fact]
    public void Defaults_are_kombus()
    {
        var transport = new RedisTransport(new TransportContext(BrokerUrl.Parse("redis://"), new Dictionary<string, string>(), TimeProvider.System, NullLoggerFactory.Instance));

        Assert.Equal(TimeSpan.FromHours(1), transport.VisibilityTimeout);
        Assert.Equal([0, 3, 6, 9], transport.Options.PrioritySteps);
        Assert.Equal([0, 0, 0, 3, 3, 3, 6, 6, 6, 9], Enumerable.Range(0, 10).Select(p => transport.Options.StepFor(p)));
        Assert.Equal("/0.celery.pidbox", transport.PublishTopic("celery.pidbox", string.Empty));
    }

    [Theory]
    [InlineData("priority_steps", "[1, 5]")]
    [InlineData("priority_steps", "zero")]
    [InlineData("visibility_timeout", "soon")]
    [InlineData("fanout_patterns", "maybe")]
    public void A_bad_option_names_the_option(string name, string value)
    {
        var ex = Assert.Throws<CeleriacConfigurationException>(() =>
            new RedisTransport(new TransportContext(BrokerUrl.Parse("redis://"), new Dictionary<string, string> { [name] = value }, TimeProvider.System, NullLoggerFactory.Instance)));

        Assert.Equal("broker_transport_options." + name, ex.Key);
    }

    [Fact]
    public void The_cli_composition_knows_redis_and_rediss()
    {
        var services = new CeleriacServices().AddRedis();

        Assert.True(services.Transports.IsRegistered("redis"));
        Assert.True(services.Transports.IsRegistered("rediss"));
        Assert.True(services.Backends.IsRegistered("redis"));
        Assert.True(services.Backends.IsRegistered("rediss"));
    }
}
