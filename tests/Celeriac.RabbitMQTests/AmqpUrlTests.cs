using Celeriac.RabbitMQ;
using Celeriac.Transport;

namespace Celeriac.RabbitMQTests;

/// <summary>Broker URLs as kombu reads them: the path is the vhost, defaults are guest/guest@localhost:5672.</summary>
public sealed class AmqpUrlTests
{
    private static readonly Dictionary<string, string> NoOptions = [];

    [Theory]
    [InlineData("amqp://guest:guest@127.0.0.1:5672//", "127.0.0.1", 5672, "/", false)]
    [InlineData("amqp://localhost", "localhost", 5672, "/", false)]
    [InlineData("amqp://h/", "h", 5672, "/", false)]
    [InlineData("amqp://h/%2F", "h", 5672, "/", false)]
    [InlineData("amqp://h:5700/celery", "h", 5700, "celery", false)]
    [InlineData("amqp://h/a%2Fb", "h", 5672, "a/b", false)]
    [InlineData("pyamqp://h//", "h", 5672, "/", false)]
    [InlineData("amqps://h/prod", "h", 5671, "prod", true)]
    [InlineData("amqp://", "localhost", 5672, "/", false)]
    public void A_url_gives_host_port_vhost_and_tls(string url, string host, int port, string vhost, bool tls)
    {
        var endpoint = AmqpEndpoint.Parse(BrokerUrl.Parse(url), NoOptions);

        Assert.Equal((host, port, vhost, tls), (endpoint.Host, endpoint.Port, endpoint.VirtualHost, endpoint.Tls));
    }

    [Fact]
    public void Credentials_default_to_guest_and_are_decoded_and_masked()
    {
        Assert.Equal(("guest", "guest"), Credentials("amqp://h//"));
        Assert.Equal(("us er", "p@ss:w/rd"), Credentials("amqp://us%20er:p%40ss%3Aw%2Frd@h//"));
        Assert.DoesNotContain("secret", AmqpEndpoint.Parse(BrokerUrl.Parse("amqp://u:secret@h//"), NoOptions).Redacted, StringComparison.Ordinal);

        static (string, string) Credentials(string url)
        {
            var e = AmqpEndpoint.Parse(BrokerUrl.Parse(url), NoOptions);
            return (e.UserName, e.Password);
        }
    }

    [Fact]
    public void Heartbeat_and_timeouts_come_from_the_query_or_the_transport_options()
    {
        var fromQuery = AmqpEndpoint.Parse(BrokerUrl.Parse("amqp://h//?heartbeat=30&connect_timeout=2"), NoOptions);
        var fromOptions = AmqpEndpoint.Parse(BrokerUrl.Parse("amqp://h//"), new Dictionary<string, string> { ["heartbeat"] = "0" });
        var defaults = AmqpEndpoint.Parse(BrokerUrl.Parse("amqp://h//"), NoOptions);

        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2)), (fromQuery.Heartbeat, fromQuery.ConnectTimeout));
        Assert.Equal(TimeSpan.Zero, fromOptions.Heartbeat);
        Assert.Equal((TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(4)), (defaults.Heartbeat, defaults.ConnectTimeout));
    }

    [Fact]
    public void A_bad_value_names_the_option()
    {
        var error = Assert.Throws<CeleriacConfigurationException>(() => AmqpEndpoint.Parse(BrokerUrl.Parse("amqp://h//?heartbeat=soon"), NoOptions));

        Assert.Contains("broker_transport_options.heartbeat", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tls_certificate_checks_follow_ssl_cert_reqs()
    {
        var strict = AmqpEndpoint.Parse(BrokerUrl.Parse("amqps://h//"), NoOptions).ToFactory("t");
        var lax = AmqpEndpoint.Parse(BrokerUrl.Parse("amqps://h//?ssl_cert_reqs=CERT_NONE"), NoOptions).ToFactory("t");

        Assert.True(strict.Ssl.Enabled);
        Assert.Equal(System.Net.Security.SslPolicyErrors.None, strict.Ssl.AcceptablePolicyErrors);
        Assert.NotEqual(System.Net.Security.SslPolicyErrors.None, lax.Ssl.AcceptablePolicyErrors);
        Assert.Equal("h", strict.Ssl.ServerName);
    }
}
