using System.Globalization;
using System.Security.Cryptography;
using Celeriac.Protocol;
using Celeriac.Routing;
using Celeriac.Tasks;
using Celeriac.Transport;

namespace Celeriac.Worker;

internal sealed partial class TaskRunner
{
    /// <summary>
    /// Celery's retry: the same task id sent again with <c>retries + 1</c> and an ETA, RETRY stored, message acked;
    /// or FAILURE with the cause when max_retries is used up. Source: celery/app/task.py (retry, signature_from_request),
    /// celery/app/autoretry.py (backoff with jitter).
    /// </summary>
    private async ValueTask<Settle> OnRetryAsync(WorkerRequest r, TaskRetryException? retry, Exception cause)
    {
        var request = r.Request;
        var settings = r.Definition.Settings;
        var defaults = _app.Options.Task;
        int? maxRetries = retry?.MaxRetries ?? (settings.RetryForever ? null : settings.MaxRetries ?? defaults.MaxRetries);
        if (maxRetries is { } max && request.Retries >= max)
        {
            if (ReferenceEquals(cause, retry))
            {
                var info = CeleryExceptions.MaxRetriesExceeded($"Can't retry {request.TaskName}[{request.Id}] args:{PythonRepr.Args(request.Args)} kwargs:{PythonRepr.Of(request.Kwargs)}");
                await _results.StoreAsync(request, TaskStates.Failure, info.ToJson(), CeleryExceptions.Traceback(cause)).ConfigureAwait(false);
                _logger.Failed(request.DisplayName, request.Id, info.ToString(), null);
            }
            else
            {
                await OnFailureAsync(r, cause).ConfigureAwait(false);
            }

            return Settle.Ack;
        }

        var now = _app.TimeProvider.GetUtcNow();
        var eta = retry?.Eta ?? now + (retry?.Countdown ?? AutoretryCountdown(settings, request.Retries) ?? settings.DefaultRetryDelay ?? defaults.DefaultRetryDelay);
        var headers = request.Message.Headers;
        var message = request.Message with
        {
            Headers = headers with
            {
                Retries = headers.Retries + 1,
                Eta = _app.ToAppTime(eta),
                ParentId = headers.ParentId ?? headers.Id,
                Origin = _app.NodeName,
                Extra = RetryExtra(headers),
            },
            Args = retry?.Args ?? request.Args,
            Kwargs = retry?.Kwargs ?? request.Kwargs,
            Properties = request.Message.Properties with { Priority = request.Priority ?? 0 },
        };

        // Same queue when it came through the default exchange, else the same exchange and routing key; one that came
        // through the delay levels goes back by the delivery exchange with the routing key it was first sent for.
        var target = request.Exchange.Length == 0
            ? new PublishTarget(request.RoutingKey, string.Empty, request.RoutingKey, null)
            : NativeDelayedDelivery.TryGetRoutingKey(request.Exchange, request.RoutingKey, out var sentFor)
                ? new PublishTarget(request.Queue, NativeDelayedDelivery.DeliveryExchange, sentFor, null)
                : new PublishTarget(request.Queue, request.Exchange, request.RoutingKey, null);
        try
        {
            await _app.Producer.PublishAsync(message, target, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Celery rejects without requeue when the retry cannot be sent; with acks_late we put it back instead.
            _logger.RetryPublishFailed(request.DisplayName, request.Id, ex);
            await OnFailureAsync(r, cause).ConfigureAwait(false);
            return Settle.Requeue;
        }

        var causeInfo = ReferenceEquals(cause, retry) ? ExceptionInfo.Celery("Retry", retry!.Message) : CeleryExceptions.From(cause);
        await _results.StoreAsync(request, TaskStates.Retry, causeInfo.ToJson(), CeleryExceptions.Traceback(cause)).ConfigureAwait(false);
        await _events.TaskAsync(Events.EventNames.TaskRetried, new System.Text.Json.Nodes.JsonObject { ["uuid"] = request.Id, ["exception"] = causeInfo.ToString(), ["traceback"] = CeleryExceptions.Traceback(cause) }).ConfigureAwait(false);
        var countdown = (eta - now).TotalSeconds;
        if (_logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Information))
        {
            _logger.Retrying(request.DisplayName, request.Id, countdown.ToString("0.###", CultureInfo.InvariantCulture), causeInfo.ToString());
        }
        return Settle.Ack;
    }

    private static TimeSpan? AutoretryCountdown(TaskSettings settings, int retries)
    {
        if (settings.RetryBackoff is not { } factor)
        {
            return null;
        }

        var seconds = Math.Min(settings.RetryBackoffMax.TotalSeconds, factor.TotalSeconds * Math.Pow(2, retries));
        if (settings.RetryJitter)
        {
            seconds = RandomNumberGenerator.GetInt32(0, (int)Math.Max(1, seconds) + 1);
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private static System.Text.Json.Nodes.JsonObject RetryExtra(TaskHeaders headers)
    {
        var extra = headers.Extra.DeepClone().AsObject();
        extra.Remove(WireNames.Redelivered);

        // RabbitMQ's dead-letter history (the delay levels add it): the broker's, not the task's, as Celery leaves it.
        foreach (var key in extra.Select(h => h.Key).Where(k => k.StartsWith("x-death", StringComparison.Ordinal) || k.StartsWith("x-first-death-", StringComparison.Ordinal) || k.StartsWith("x-last-death-", StringComparison.Ordinal)).ToList())
        {
            extra.Remove(key);
        }

        return extra;
    }
}
