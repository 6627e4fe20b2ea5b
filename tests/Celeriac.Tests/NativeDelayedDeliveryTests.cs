using Celeriac.Client;
using Celeriac.Routing;
using Celeriac.Transport;

namespace Celeriac.Tests;

/// <summary>
/// The routing keys of Celery 5.5's native delayed delivery, against values printed by kombu's formula
/// (<c>'.'.join(f'{countdown:028b}') + '.' + routing_key</c>), and the routing of tasks on topic task exchanges. The
/// broker side is in Celeriac.RabbitMQTests (NativeDelayedDeliveryTests).
/// </summary>
public sealed class NativeDelayedDeliveryTests
{
    [Theory]
    [InlineData(5L, "celery", "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.1.celery")]
    [InlineData(268435455L, "q", "1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.q")]
    [InlineData(86400L, "a.b", "0.0.0.0.0.0.0.0.0.0.0.1.0.1.0.1.0.0.0.1.1.0.0.0.0.0.0.0.a.b")]
    public void The_routing_key_is_the_delay_in_28_binary_words_then_the_routing_key(long seconds, string routingKey, string expected)
    {
        Assert.Equal(expected, NativeDelayedDelivery.RoutingKey(seconds, routingKey));
    }

    [Fact]
    public void Delays_outside_one_second_to_2_to_the_28_seconds_and_empty_keys_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeDelayedDelivery.RoutingKey(0, "celery"));
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeDelayedDelivery.RoutingKey(1L << 28, "celery"));
        Assert.Throws<ArgumentException>(() => NativeDelayedDelivery.RoutingKey(5, string.Empty));
    }

    [Fact]
    public void A_delay_counts_whole_seconds_rounded_down_and_stops_at_the_longest_level()
    {
        Assert.False(NativeDelayedDelivery.Applies(TimeSpan.FromMilliseconds(999)));
        Assert.True(NativeDelayedDelivery.Applies(TimeSpan.FromSeconds(1)));
        Assert.Equal(6, NativeDelayedDelivery.Seconds(TimeSpan.FromSeconds(6.99)));
        Assert.Equal((1L << 28) - 1, NativeDelayedDelivery.Seconds(TimeSpan.FromDays(365 * 20)));
        Assert.Equal(TimeSpan.FromSeconds(268435455), NativeDelayedDelivery.MaxDelay);
    }

    [Theory]
    [InlineData("celery_delayed_0", "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.1.0.a.b", "a.b")]
    [InlineData("celery_delayed_delivery", "1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.q", "q")]
    [InlineData("celery", "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.1.0.q", null)]
    [InlineData("celery_delayed_0", "0.0.0.1.q", null)]
    [InlineData("celery_delayed_0", "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.1.2.q", null)]
    [InlineData("celery_delayed_0", "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.1.0.", null)]
    public void A_delivery_through_the_levels_gives_back_the_routing_key_it_was_sent_for(string exchange, string routingKey, string? expected)
    {
        Assert.Equal(expected is not null, NativeDelayedDelivery.TryGetRoutingKey(exchange, routingKey, out var original));
        Assert.Equal(expected, original);
    }

    [Fact]
    public void The_levels_and_their_binding_keys_are_kombus()
    {
        Assert.Equal("celery_delayed_27", NativeDelayedDelivery.EntryExchange);
        Assert.Equal("celery_delayed_0", NativeDelayedDelivery.LevelName(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeDelayedDelivery.LevelName(28));
        Assert.Equal("1.#", NativeDelayedDelivery.LevelBindingKey(27, '1'));
        Assert.Equal("*.*.0.#", NativeDelayedDelivery.LevelBindingKey(25, '0'));
        Assert.Equal(string.Concat(Enumerable.Repeat("*.", 27)) + "1.#", NativeDelayedDelivery.LevelBindingKey(0, '1'));
        Assert.Equal("#.celery", NativeDelayedDelivery.DeliveryBindingKey("celery"));
        Assert.Equal("#.images", NativeDelayedDelivery.DeliveryBindingKey("#.images"));
    }

    [Fact]
    public void On_a_topic_exchange_type_tasks_are_published_to_the_queues_exchange_and_on_direct_to_the_default_exchange()
    {
        Assert.Equal(new PublishTarget("images", "images", "images", null), new TaskRouter([], "celery", ExchangeType.Topic).Resolve("t", "images", null, null));
        Assert.Equal(new PublishTarget("celery", "celery", "celery", null), new TaskRouter([], "celery", ExchangeType.Topic).Resolve("t", null, null, null));
        Assert.Equal(new PublishTarget("celery", string.Empty, "celery", null), new TaskRouter([], "celery").Resolve("t", null, null, null));
        Assert.Equal(new PublishTarget("q", "ex", "rk", null), new TaskRouter([], "celery", ExchangeType.Topic).Resolve("t", "q", "ex", "rk"));
    }

    [Fact]
    public async Task On_a_transport_without_delayed_delivery_quorum_and_topic_tasks_with_a_countdown_still_run()
    {
        await using var app = TestApp.Create(o => o with { Task = o.Task with { DefaultQueueType = TaskOptions.QuorumQueueType, DefaultExchangeType = "topic" } });
        app.Task<int>("tasks.add", (int x, int y) => x + y);
        await using var worker = await app.StartWorkerAsync();

        var now = await app.SendTaskAsync("tasks.add", [1, 2]);
        var later = await app.SendTaskAsync("tasks.add", [2, 3], options: new ApplyOptions { Countdown = TimeSpan.FromSeconds(1.2) });

        Assert.Equal(3, await now.GetAsync<int>(TestApp.Timeout));
        Assert.Equal(5, await later.GetAsync<int>(TestApp.Timeout));
        Assert.False(app.Producer.Delayed.Enabled);
    }
}
