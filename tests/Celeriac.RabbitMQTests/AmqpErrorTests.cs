using System.Text;
using Celeriac.Client;
using Celeriac.Protocol;
using Celeriac.RabbitMQ;
using Celeriac.Worker;

namespace Celeriac.RabbitMQTests;

/// <summary>
/// Bad input over AMQP gives clear errors and loses nothing: a user without permission on the vhost, a wrong
/// password, a declaration that differs from the queue on the broker (406), and malformed or pickled task messages,
/// which the worker rejects (dropped, FAILURE stored under their id) while it goes on with the next task.
/// </summary>
public sealed class AmqpErrorTests : IClassFixture<AmqpVhost>
{
    private readonly AmqpVhost _vhost;

    public AmqpErrorTests(AmqpVhost vhost)
    {
        _vhost = vhost;
    }

    [Fact]
    public async Task A_user_without_permission_on_the_vhost_gets_an_error_naming_the_user_the_vhost_and_the_fix()
    {
        await using var app = new CeleriacApp(new CeleriacOptions { BrokerUrl = _vhost.Node.Url(_vhost.Name, "noperm", "noperm") }, new CeleriacServices().AddRabbitMQ());

        var error = await Assert.ThrowsAsync<AmqpBrokerException>(() => app.SendTaskAsync("tasks.add", [1, 2]));

        Assert.True(error.Message.Contains("refused user 'noperm' access to vhost '" + _vhost.Name + "'", StringComparison.Ordinal), error.Message);
        Assert.Contains("rabbitmqctl set_permissions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_who_may_not_configure_gets_access_refused_when_a_queue_is_declared()
    {
        var user = "readonly-" + _vhost.Name;
        await _vhost.Node.CtlAsync("add_user", user, "pw");
        await _vhost.Node.CtlAsync("set_permissions", "-p", _vhost.Name, user, "^$", ".*", ".*");
        await using var app = new CeleriacApp(new CeleriacOptions { BrokerUrl = _vhost.Node.Url(_vhost.Name, user, "pw") }, new CeleriacServices().AddRabbitMQ());

        var error = await Assert.ThrowsAsync<AmqpBrokerException>(() => app.SendTaskAsync("tasks.add", [1, 2]));

        Assert.Equal(403, error.ReplyCode);
        Assert.Contains("ACCESS_REFUSED", error.Message, StringComparison.Ordinal);
        Assert.Contains("grant it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_is_reported_as_a_refused_login()
    {
        await using var app = new CeleriacApp(new CeleriacOptions { BrokerUrl = _vhost.Node.Url(_vhost.Name, "guest", "wrong") }, new CeleriacServices().AddRabbitMQ());

        var error = await Assert.ThrowsAsync<AmqpBrokerException>(() => app.SendTaskAsync("tasks.add", [1, 2]));

        Assert.Contains("refused the login of user 'guest'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_queue_declared_with_other_arguments_than_the_existing_one_fails_with_precondition_failed()
    {
        await using var app = new CeleriacApp(new CeleriacOptions { BrokerUrl = _vhost.Url, Task = new TaskOptions { DefaultQueue = "prio" } }, new CeleriacServices().AddRabbitMQ());
        await app.SendTaskAsync("tasks.add", [1, 2]);
        await using var other = new CeleriacApp(new CeleriacOptions { BrokerUrl = _vhost.Url, Task = new TaskOptions { DefaultQueue = "prio", QueueMaxPriority = 10 } }, new CeleriacServices().AddRabbitMQ());

        var error = await Assert.ThrowsAsync<AmqpBrokerException>(() => other.SendTaskAsync("tasks.add", [1, 2]));

        Assert.Equal(406, error.ReplyCode);
        Assert.Contains("declare queue 'prio'", error.Message, StringComparison.Ordinal);
        Assert.Contains("x-max-priority", error.Message, StringComparison.Ordinal);

        // The transport carries on: the first app still publishes.
        await app.SendTaskAsync("tasks.add", [3, 4]);
        Assert.Equal(2, await app.Transport.GetQueueLengthAsync("prio"));
    }

    [Fact]
    public async Task Malformed_and_pickled_messages_are_rejected_with_a_failure_stored_and_the_worker_goes_on()
    {
        const string Queue = "bad-input";
        var options = new CeleriacOptions { BrokerUrl = _vhost.Url, ResultBackend = "rpc://" };
        await using var app = new CeleriacApp(options, new CeleriacServices().AddRabbitMQ());
        app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync(app.Options.Worker with { Concurrency = 1, Queues = [Queue] });
        var transport = app.Transport;
        await app.Backend.BeforePublishAsync("x");

        await transport.PublishAsync(Raw("{not json", "application/json", "bad-json"), string.Empty, Queue);
        await transport.PublishAsync(Raw("\x80\x04K\x01.", "application/x-python-serialize", "pickled"), string.Empty, Queue);
        var good = await app.SendTaskAsync("tasks.add", [2, 3], options: new ApplyOptions { Queue = Queue });

        Assert.Equal(5, await good.GetAsync<int>(TimeSpan.FromSeconds(30)));
        var badJson = await Assert.ThrowsAsync<TaskFailedException>(async () => await app.AsyncResult("bad-json").GetAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("InvalidTaskError", badJson.ExcType);
        var pickled = await Assert.ThrowsAsync<TaskFailedException>(async () => await app.AsyncResult("pickled").GetAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("ContentDisallowed", pickled.ExcType);
        Assert.Equal(0, await transport.GetQueueLengthAsync(Queue));
        Assert.Equal(1, worker.State.Processed);

        TransportMessage Raw(string body, string contentType, string id) => new()
        {
            Body = Encoding.Latin1.GetBytes(body),
            ContentType = contentType,
            ContentEncoding = contentType == "application/json" ? "utf-8" : "binary",
            Headers = new System.Text.Json.Nodes.JsonObject { ["lang"] = "py", ["task"] = "tasks.add", ["id"] = id },
            Properties = new MessageProperties { CorrelationId = id, ReplyTo = app.Oid, DeliveryMode = 2, Priority = 0 },
        };
    }
}
