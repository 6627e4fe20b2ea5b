using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Celeriac.Dashboard.Api;

/// <summary>
/// Server-sent events to one page: <c>task</c>, <c>worker</c> and <c>queues</c> changes as JSON, <c>lagged</c> when
/// some were dropped (the page reloads its data then), a comment every 15 s so proxies keep the connection. The
/// stream ends when the page goes or the host stops.
/// </summary>
internal static class LiveStream
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static async Task RunAsync(DashboardContext dashboard, HttpContext http)
    {
        var response = http.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache, no-transform";
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var stopping = http.RequestServices.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        using var done = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        var ct = done.Token;
        using var subscription = dashboard.Feed.Subscribe();
        var text = new StringBuilder();
        try
        {
            await WriteAsync(response, "retry: 3000\nevent: hello\ndata: {}\n\n", ct).ConfigureAwait(false);
            while (!ct.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(KeepAlive);
                try
                {
                    if (!await subscription.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await WriteAsync(response, ": keep-alive\n\n", ct).ConfigureAwait(false);
                    continue;
                }

                text.Clear();
                if (subscription.TakeLagged())
                {
                    text.Append("event: lagged\ndata: {}\n\n");
                }

                while (text.Length < 256 * 1024 && subscription.Reader.TryRead(out var message))
                {
                    text.Append("event: ").Append(message.Type).Append("\ndata: ").Append(message.Json).Append("\n\n");
                }

                await WriteAsync(response, text.ToString(), ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
            // The page went away mid-write.
        }
    }

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken ct)
    {
        await response.WriteAsync(text, ct).ConfigureAwait(false);
        await response.Body.FlushAsync(ct).ConfigureAwait(false);
    }
}
