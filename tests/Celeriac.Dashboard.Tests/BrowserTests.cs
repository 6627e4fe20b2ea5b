using Celeriac.Client;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Celeriac.Dashboard.Tests;

/// <summary>
/// The dashboard as a person uses it, in headless Debian Chromium: live updates, filters and search, revoke,
/// terminate and retry from the pages, worker actions on a Python worker, and a screenshot of every page
/// (.artifacts/screenshots).
/// </summary>
[Collection(ClusterGroup.Name)]
public sealed class BrowserTests(Cluster cluster) : IAsyncLifetime
{
    private IBrowserContext _context = null!;
    private IPage _page = null!;
    private readonly List<string> _consoleErrors = [];

    public async Task InitializeAsync()
    {
        SetDefaultExpectTimeout(60_000);
        _context = await cluster.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 }, Locale = "en-US" });
        _context.SetDefaultTimeout(60_000);
        _page = await _context.NewPageAsync();
        _page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                _consoleErrors.Add(m.Text);
            }
        };
        _page.PageError += (_, e) => _consoleErrors.Add(e);
    }

    public async Task DisposeAsync()
    {
        await _context.DisposeAsync();

        // A page that throws is broken even when it looks right.
        Assert.Empty(_consoleErrors);
    }

    private string Url(string path) => new Uri(cluster.Dashboard.Url, path).ToString();

    private async Task OpenAsync(string path)
    {
        await _page.GotoAsync(Url(path));
        await Expect(_page.Locator("#live.on")).ToBeVisibleAsync();
    }

    private async Task ShotAsync(string name, IPage? page = null) =>
        await (page ?? _page).ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Cluster.ScreenshotDirectory, name + ".png"), FullPage = true });

    private ILocator Row(string id) => _page.Locator($"#tasks-body tr[data-id='{id}']");

    private async Task ConfirmAsync() => await _page.Locator("#modal-ok").ClickAsync();

    [Fact]
    public async Task A_task_appears_live_and_changes_state_without_a_reload()
    {
        await OpenAsync("tasks");
        await _page.EvaluateAsync("() => { window.__notReloaded = true; }");

        var slow = await cluster.Client.SendTaskAsync("dash.sleep", [3.0]);
        await Expect(Row(slow.Id)).ToBeVisibleAsync();
        await Expect(Row(slow.Id).Locator(".state")).ToHaveTextAsync("STARTED");
        await Expect(Row(slow.Id).Locator(".state")).ToHaveTextAsync("SUCCESS");
        await Expect(Row(slow.Id).Locator("td").Nth(1)).ToHaveTextAsync("dash.sleep");

        var py = await cluster.Client.SendTaskAsync("interop.sleep", [2], options: new ApplyOptions { Queue = "py" });
        await Expect(Row(py.Id).Locator(".state")).ToHaveTextAsync("STARTED");
        await Expect(Row(py.Id).Locator(".state")).ToHaveTextAsync("SUCCESS");
        await Expect(Row(py.Id)).ToContainTextAsync(Cluster.PythonWorker);
        Assert.True(await _page.EvaluateAsync<bool>("() => window.__notReloaded === true"), "the page reloaded");
        await Expect(_page.Locator("#tasks-total")).ToContainTextAsync("in history");
    }

    [Fact]
    public async Task Filters_and_search_find_the_task()
    {
        var needle = "needle-" + Guid.NewGuid().ToString("N")[..8];
        var echo = await cluster.Client.SendTaskAsync("dash.echo", [needle]);
        var failed = await cluster.Client.SendTaskAsync("interop.fail", ["filtered-" + needle], options: new ApplyOptions { Queue = "py" });
        var other = await cluster.Client.SendTaskAsync("dash.add", [3, 4]);
        await echo.GetAsync<string>(Cluster.Wait);
        await Assert.ThrowsAsync<TaskFailedException>(async () => await failed.GetAsync<int>(Cluster.Wait));
        await other.GetAsync<int>(Cluster.Wait);

        await OpenAsync("tasks");
        await Expect(Row(other.Id)).ToBeVisibleAsync();

        // Search by an argument: only the matching task is left.
        await _page.Locator("#search").FillAsync(needle);
        await Expect(Row(echo.Id)).ToBeVisibleAsync();
        await Expect(Row(failed.Id)).ToBeVisibleAsync();
        await Expect(Row(other.Id)).ToHaveCountAsync(0);
        await Expect(_page.Locator("#tasks-body tr")).ToHaveCountAsync(2);
        await ShotAsync("tasks-search");

        // And by state: the FAILURE chip.
        await _page.Locator("#state-chips .chip[data-state=FAILURE]").ClickAsync();
        await Expect(_page.Locator("#tasks-body tr")).ToHaveCountAsync(1);
        await Expect(Row(failed.Id).Locator(".state")).ToHaveTextAsync("FAILURE");
        await Expect(Row(failed.Id)).ToContainTextAsync("ValueError");
        Assert.Contains("state=FAILURE", _page.Url);

        // By id: the search box takes a task id; and by name and worker, with the filter selects.
        await _page.Locator("#state-chips .chip[data-state=FAILURE]").ClickAsync();
        await _page.Locator("#search").FillAsync(other.Id);
        await Expect(_page.Locator("#tasks-body tr")).ToHaveCountAsync(1);
        await Expect(Row(other.Id)).ToBeVisibleAsync();
        await _page.Locator("#search").FillAsync(string.Empty);
        await _page.Locator("#filter-name").SelectOptionAsync("dash.echo");
        await Expect(Row(echo.Id)).ToBeVisibleAsync();
        await Expect(Row(other.Id)).ToHaveCountAsync(0);
        await _page.Locator("#filter-name").SelectOptionAsync(string.Empty);
        await _page.Locator("#filter-worker").SelectOptionAsync(Cluster.PythonWorker);
        await Expect(Row(failed.Id)).ToBeVisibleAsync();
        await Expect(Row(echo.Id)).ToHaveCountAsync(0);

        // The filters live in the URL: a reload (or a shared link) shows the same list.
        await _page.ReloadAsync();
        await Expect(_page.Locator("#filter-worker")).ToHaveValueAsync(Cluster.PythonWorker);
        await Expect(Row(failed.Id)).ToBeVisibleAsync();
        await Expect(Row(echo.Id)).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Revoke_from_the_task_page_ends_it_revoked_and_terminate_stops_a_running_one()
    {
        // Held by the worker until its ETA: revoked now, discarded when due.
        var later = await cluster.Client.SendTaskAsync("dash.add", [1, 1], options: new ApplyOptions { Countdown = TimeSpan.FromSeconds(6) });
        await OpenAsync("task/" + later.Id);
        await Expect(_page.Locator(".page-head .state")).ToHaveTextAsync("RECEIVED");
        await _page.Locator("#action-revoke").ClickAsync();
        await ConfirmAsync();
        await Expect(_page.Locator(".toast.ok")).ToContainTextAsync("Revoked");
        await Expect(_page.Locator(".page-head .state")).ToHaveTextAsync("REVOKED");
        await Expect(_page.Locator("#action-revoke")).ToBeDisabledAsync();
        await Expect(_page.Locator("#task-timeline li[data-type=task-revoked]")).ToBeVisibleAsync();

        var running = await cluster.Client.SendTaskAsync("dash.sleep", [300.0]);
        await OpenAsync("task/" + running.Id);
        await Expect(_page.Locator(".page-head .state")).ToHaveTextAsync("STARTED");
        await _page.Locator("#action-terminate").ClickAsync();
        await ConfirmAsync();
        await Expect(_page.Locator(".page-head .state")).ToHaveTextAsync("REVOKED");
        Assert.Equal("REVOKED", (await running.GetStateAsync()));
    }

    [Fact]
    public async Task The_retry_button_reruns_a_failed_task_with_the_same_args()
    {
        var failed = await cluster.Client.SendTaskAsync("interop.fail", ["retry-from-page"], options: new ApplyOptions { Queue = "py" });
        await OpenAsync("task/" + failed.Id);
        await Expect(_page.Locator(".page-head .state")).ToHaveTextAsync("FAILURE");
        await Expect(_page.Locator("#task-traceback")).ToContainTextAsync("retry-from-page");
        await ShotAsync("task-failed");
        await _page.Locator("#action-retry").ClickAsync();
        await ConfirmAsync();

        // The page moves to the new task, which runs again on the Python worker with the same arguments.
        await Expect(_page.Locator("dl.kv")).ToContainTextAsync("Re-run of" + failed.Id);
        var rerunId = await _page.Locator("#task-id").TextContentAsync();
        Assert.NotEqual(failed.Id, rerunId);
        Assert.NotNull(rerunId);

        await Expect(_page.Locator(".page-head .state")).ToHaveTextAsync("FAILURE");
        await Expect(_page.Locator("#task-args")).ToHaveTextAsync("('retry-from-page',)");
        var rerun = cluster.Client.AsyncResult(rerunId!.Trim());
        var error = await Assert.ThrowsAsync<TaskFailedException>(async () => await rerun.GetAsync<int>(Cluster.Wait));
        Assert.Contains("retry-from-page", error.Message);

        // The original links to its re-run.
        await OpenAsync("task/" + failed.Id);
        await Expect(_page.Locator($"tr[data-id='{rerunId.Trim()}']")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_worker_page_adds_and_cancels_a_consumer_on_a_python_worker()
    {
        await OpenAsync("worker/" + Uri.EscapeDataString(Cluster.PythonWorker));
        await Expect(_page.Locator(".page-head .status")).ToHaveTextAsync("Online");
        await Expect(_page.Locator("#pool-grow")).ToBeEnabledAsync();
        await _page.Locator("#consumer-queue").FillAsync("ui-extra");
        await _page.Locator("#add-consumer").ClickAsync();
        await Expect(_page.Locator(".toast.ok")).ToContainTextAsync("ui-extra");
        await _page.Locator(".tabs button[data-tab=active_queues]").ClickAsync();
        await Expect(_page.Locator("#worker-tab tr[data-queue=ui-extra]")).ToBeVisibleAsync();
        await ShotAsync("worker-python");

        await _page.Locator("#worker-tab button[data-cancel=ui-extra]").ClickAsync();
        await ConfirmAsync();
        await Expect(_page.Locator("#worker-tab tr[data-queue=ui-extra]")).ToHaveCountAsync(0);
        await Expect(_page.Locator("#worker-tab tr[data-queue=py]")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Every_page_renders_and_is_screenshotted()
    {
        // Something to show: successes on both workers, a failure, a parked queue.
        for (var i = 0; i < 4; i++)
        {
            await cluster.Client.SendTaskAsync("dash.add", [i, 10]);
            await cluster.Client.SendTaskAsync("interop.mul", [i, 3], options: new ApplyOptions { Queue = "py" });
        }

        var failed = await cluster.Client.SendTaskAsync("dash.fail", ["for the screenshot"]);
        await Assert.ThrowsAsync<TaskFailedException>(async () => await failed.GetAsync<int>(Cluster.Wait));

        await OpenAsync(string.Empty);
        await Expect(_page.Locator("#overview-cards .card")).ToHaveCountAsync(6);
        await Expect(_page.Locator("#chart-throughput rect").First).ToBeVisibleAsync();
        await Expect(_page.Locator("#chart-runtime path").First).ToBeAttachedAsync();
        await Expect(_page.Locator("#chart-queues path").First).ToBeAttachedAsync();
        await ShotAsync("overview");

        await OpenAsync("workers");
        await Expect(_page.Locator($"#workers-body tr[data-worker='{Cluster.CeleriacWorker}'] .status")).ToHaveTextAsync("Online");
        await Expect(_page.Locator($"#workers-body tr[data-worker='{Cluster.PythonWorker}'] .status")).ToHaveTextAsync("Online");
        await Expect(_page.Locator($"#workers-body tr[data-worker='{Cluster.PythonWorker}'] td").Nth(2)).ToHaveTextAsync("2");
        await ShotAsync("workers");

        await _page.Locator($"#workers-body a:text-is('{Cluster.CeleriacWorker}')").ClickAsync();
        await Expect(_page.Locator(".page-head h1")).ToHaveTextAsync(Cluster.CeleriacWorker);
        await _page.Locator(".tabs button[data-tab=registered]").ClickAsync();
        await Expect(_page.Locator("#worker-tab")).ToContainTextAsync("dash.add");
        await ShotAsync("worker-celeriac");

        await OpenAsync("tasks");
        await Expect(_page.Locator("#tasks-body tr[data-state=SUCCESS]").First).ToBeVisibleAsync();
        await ShotAsync("tasks");

        await OpenAsync("task/" + failed.Id);
        await Expect(_page.Locator("#task-exception")).ToContainTextAsync("ValueError");
        await Expect(_page.Locator("#task-stored")).ToContainTextAsync("FAILURE");
        await ShotAsync("task");

        await OpenAsync("queues");
        await Expect(_page.Locator("#queues-body tr[data-queue=celery]")).ToBeVisibleAsync();
        await Expect(_page.Locator("#queues-body tr[data-queue=py]")).ToContainTextAsync(Cluster.PythonWorker);
        await ShotAsync("queues");

        await OpenAsync("beat");
        await Expect(_page.Locator("main h1")).ToHaveTextAsync("Beat");
        await Expect(_page.Locator("main .panel")).ToContainTextAsync("No periodic tasks");
        await ShotAsync("beat-empty");

        // On a phone the layout stacks and the tables scroll.
        var phone = await cluster.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 390, Height = 844 }, IsMobile = true });
        await phone.GotoAsync(Url("tasks"));
        await Expect(phone.Locator("#tasks-body tr").First).ToBeVisibleAsync();
        await ShotAsync("tasks-phone", phone);
        await phone.CloseAsync();
    }

    [Fact]
    public async Task A_read_only_account_sees_the_pages_without_actions()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ro-{Guid.NewGuid():N}.db");
        await using var server = await cluster.StartAsync(cluster.Options(path) with { Accounts = [DashboardAccount.User("viewer", "look", DashboardRole.ReadOnly)] });
        var failed = await cluster.Client.SendTaskAsync("dash.fail", ["read-only view"]);
        await Assert.ThrowsAsync<TaskFailedException>(async () => await failed.GetAsync<int>(Cluster.Wait));

        await using var context = await cluster.Browser.NewContextAsync(new BrowserNewContextOptions { HttpCredentials = new HttpCredentials { Username = "viewer", Password = "look" } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(server.Url, "task/" + failed.Id).ToString());
        await Expect(page.Locator("#user")).ToContainTextAsync("read-only");
        await Expect(page.Locator(".page-head .state")).ToHaveTextAsync("FAILURE");
        await Expect(page.Locator("#action-retry")).ToBeDisabledAsync();
        await Expect(page.Locator("#action-revoke")).ToBeDisabledAsync();
        await page.GotoAsync(new Uri(server.Url, "worker/" + Uri.EscapeDataString(Cluster.CeleriacWorker)).ToString());
        await Expect(page.Locator("#shutdown")).ToBeDisabledAsync();
        await Expect(page.Locator("#worker-actions")).ToContainTextAsync("read-only");

        // Without credentials the browser gets the login challenge, not the page.
        await using var stranger = await cluster.Browser.NewContextAsync();
        var response = await stranger.APIRequest.GetAsync(server.Url.ToString());
        Assert.Equal(401, response.Status);
    }
}
