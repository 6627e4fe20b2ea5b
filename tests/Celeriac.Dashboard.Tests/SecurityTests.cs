using System.Net;

namespace Celeriac.Dashboard.Tests;

/// <summary>Secure by default: accounts, roles, the loopback rule, CSRF on actions, framing and script policy.</summary>
[Collection(ClusterGroup.Name)]
public sealed class SecurityTests(Cluster cluster)
{
    private const string Token = "tok-0123456789abcdef";
    private const string ReadOnlyToken = "ro-token-0123456789";

    private DashboardOptions WithAccounts() => cluster.Options(Path.Combine(Path.GetTempPath(), $"sec-{Guid.NewGuid():N}.db")) with
    {
        Accounts =
        [
            DashboardAccount.User("admin", "s3cret:with:colons"),
            DashboardAccount.User("viewer", "look", DashboardRole.ReadOnly),
            DashboardAccount.Token(Token),
            DashboardAccount.Token(ReadOnlyToken, DashboardRole.ReadOnly),
        ],
    };

    [Fact]
    public async Task A_non_loopback_address_without_accounts_refuses_to_start_unless_insecure()
    {
        var app = cluster.NewApp();
        var ex = await Assert.ThrowsAsync<CeleriacConfigurationException>(() => DashboardServer.StartAsync(app, cluster.Options() with { Address = "0.0.0.0" }));
        Assert.Contains("--address", ex.Message);
        Assert.Contains("--insecure", ex.Message);

        // With accounts, or --insecure, it starts (on every interface; we talk to it on loopback).
        await using (var withAccounts = await DashboardServer.StartAsync(cluster.NewApp(), WithAccounts() with { Address = "0.0.0.0" }))
        {
            using var anonymous = new Http(withAccounts.Url);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("api/workers")).Status);
        }

        await using var open = await DashboardServer.StartAsync(cluster.NewApp(), cluster.Options(Path.Combine(Path.GetTempPath(), $"sec-{Guid.NewGuid():N}.db")) with { Address = "0.0.0.0", Insecure = true });
        using var http = new Http(open.Url);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/workers")).Status);

        var bad = await Assert.ThrowsAsync<CeleriacConfigurationException>(() => DashboardServer.StartAsync(app, cluster.Options() with { Address = "dashboard.example" }));
        Assert.Contains("not an IP address", bad.Message);
        var weak = Assert.Throws<CeleriacConfigurationException>(() => (cluster.Options() with { Accounts = [DashboardAccount.Token("short")] }).Validate());
        Assert.Contains("16 characters", weak.Message);
    }

    [Fact]
    public async Task Basic_and_bearer_accounts_are_required_and_checked()
    {
        await using var server = await cluster.StartAsync(WithAccounts());
        using var anonymous = new Http(server.Url);
        var (status, json, _) = await anonymous.GetAsync("api/tasks");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("authentication required", json!["error"]!.ToString());

        using (var raw = new HttpClient { BaseAddress = server.Url })
        {
            var response = await raw.GetAsync(string.Empty);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains("Basic realm=\"Celeriac dashboard\"", response.Headers.WwwAuthenticate.ToString());
        }

        foreach (var path in new[] { string.Empty, "tasks", "static/app.js", "api/workers", "api/ui/tasks", "metrics", "api/ui/stream" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).Status);
        }

        using var wrongPassword = new Http(server.Url, Http.Basic("admin", "nope"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrongPassword.GetAsync("api/tasks")).Status);
        using var wrongUser = new Http(server.Url, Http.Basic("root", "s3cret:with:colons"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrongUser.GetAsync("api/tasks")).Status);
        using var wrongToken = new Http(server.Url, Http.Bearer("tok-0123456789abcdeX"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrongToken.GetAsync("api/tasks")).Status);
        using var garbage = new Http(server.Url, new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", "%%%"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await garbage.GetAsync("api/tasks")).Status);

        using var admin = new Http(server.Url, Http.Basic("admin", "s3cret:with:colons"));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("api/tasks")).Status);
        var session = await admin.JsonAsync("api/ui/session");
        Assert.Equal("admin", session["user"]!.ToString());
        Assert.Equal("operator", session["role"]!.ToString());
        using var bearer = new Http(server.Url, Http.Bearer(Token));
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync("metrics")).Status);
        Assert.Equal("token #3", (await bearer.JsonAsync("api/ui/session"))["user"]!.ToString());

        // The health check says only "OK", and answers without credentials (load balancers).
        var (hs, _, ok) = await anonymous.GetAsync("healthcheck");
        Assert.Equal((HttpStatusCode.OK, "OK"), (hs, ok));
    }

    [Fact]
    public async Task Read_only_accounts_see_everything_and_change_nothing()
    {
        await using var server = await cluster.StartAsync(WithAccounts());
        using var viewer = new Http(server.Url, Http.Basic("viewer", "look"));
        using var token = new Http(server.Url, Http.Bearer(ReadOnlyToken));
        Assert.Equal("read-only", (await viewer.JsonAsync("api/ui/session"))["role"]!.ToString());
        foreach (var http in new[] { viewer, token })
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/workers")).Status);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/ui/tasks")).Status);
            foreach (var action in new[] { "api/task/revoke/x", "api/task/retry/x", "api/task/async-apply/dash.add", $"api/worker/shutdown/{Cluster.CeleriacWorker}", $"api/worker/pool/grow/{Cluster.CeleriacWorker}" })
            {
                var (status, json, _) = await http.PostAsync(action);
                Assert.Equal(HttpStatusCode.Forbidden, status);
                Assert.Contains("read-only", json!["error"]!.ToString());
            }
        }

        // --read-only makes every account read-only, as Flower's read_only mode does.
        await using var readOnly = await cluster.StartAsync(WithAccounts() with { ReadOnly = true });
        using var admin = new Http(readOnly.Url, Http.Basic("admin", "s3cret:with:colons"));
        var (s, j, _) = await admin.PostAsync("api/task/revoke/x");
        Assert.Equal(HttpStatusCode.Forbidden, s);
        Assert.Equal("Read only mode is enabled", j!["error"]!.ToString());
    }

    [Fact]
    public async Task Actions_from_a_browser_need_the_pages_csrf_token_and_the_same_origin()
    {
        await using var server = await cluster.StartAsync(WithAccounts());
        using var admin = new Http(server.Url, Http.Basic("admin", "s3cret:with:colons"));
        var csrf = (await admin.JsonAsync("api/ui/session"))["csrf"]!.ToString();
        var origin = server.Url.GetLeftPart(UriPartial.Authority);
        var id = Guid.NewGuid().ToString();

        // A browser (it sends Origin / Sec-Fetch-*) without the token: refused. A forged cross-site form post: refused.
        var (status, json, _) = await admin.PostAsync("api/task/revoke/" + id, configure: r => { r.Headers.Add("Origin", origin); r.Headers.Add("Sec-Fetch-Site", "same-origin"); });
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("X-CSRF-Token", json!["error"]!.ToString());
        (status, json, _) = await admin.PostAsync("api/task/revoke/" + id, configure: r => { r.Headers.Add("Origin", "http://evil.example"); r.Headers.Add(Security.DashboardGuard.CsrfHeader, csrf); });
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("cross-origin", json!["error"]!.ToString());
        (status, _, _) = await admin.PostAsync("api/task/revoke/" + id, configure: r => { r.Headers.Add("Sec-Fetch-Site", "cross-site"); r.Headers.Add(Security.DashboardGuard.CsrfHeader, "forged"); });
        Assert.Equal(HttpStatusCode.Forbidden, status);

        // The page's own request, with the token: done.
        (status, _, _) = await admin.PostAsync("api/task/revoke/" + id, configure: r => { r.Headers.Add("Origin", origin); r.Headers.Add(Security.DashboardGuard.CsrfHeader, csrf); });
        Assert.Equal(HttpStatusCode.OK, status);

        // Scripts (no browser headers) with basic auth, as Flower's API users call it, and bearer tokens need no token.
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("api/task/revoke/" + id)).Status);
        using var bearer = new Http(server.Url, Http.Bearer(Token));
        Assert.Equal(HttpStatusCode.OK, (await bearer.PostAsync("api/task/revoke/" + id, configure: r => r.Headers.Add("Origin", "http://elsewhere.example"))).Status);

        // Another user's token does not fit.
        using var viewerSession = new Http(server.Url, Http.Basic("viewer", "look"));
        var viewerCsrf = (await viewerSession.JsonAsync("api/ui/session"))["csrf"]!.ToString();
        Assert.NotEqual(csrf, viewerCsrf);
        (status, _, _) = await admin.PostAsync("api/task/revoke/" + id, configure: r => { r.Headers.Add("Origin", origin); r.Headers.Add(Security.DashboardGuard.CsrfHeader, viewerCsrf); });
        Assert.Equal(HttpStatusCode.Forbidden, status);
    }

    [Fact]
    public async Task An_open_loopback_dashboard_refuses_foreign_host_names_and_protects_actions()
    {
        using var http = new Http(cluster.Dashboard.Url);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/workers")).Status);

        // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example.
        var (status, json, _) = await http.GetAsync("api/workers", r => r.Headers.Host = "evil.example:" + cluster.Dashboard.Url.Port);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("evil.example", json!["error"]!.ToString());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/workers", r => r.Headers.Host = "localhost:" + cluster.Dashboard.Url.Port)).Status);

        // Another site's page posting to localhost: no token, refused.
        (status, _, _) = await http.PostAsync("api/task/revoke/" + Guid.NewGuid(), configure: r => r.Headers.Add("Origin", "http://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        var session = await http.JsonAsync("api/ui/session");
        Assert.Equal("anonymous", session["user"]!.ToString());
        Assert.True(session["canAct"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Pages_may_not_be_framed_and_run_only_their_own_scripts()
    {
        using var raw = new HttpClient { BaseAddress = cluster.Dashboard.Url };
        var response = await raw.GetAsync("tasks");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<base href=\"/\">", html);
        Assert.DoesNotContain("<script>", html);

        var js = await raw.GetAsync("static/core.js");
        Assert.Equal("text/javascript", js.Content.Headers.ContentType!.MediaType);
        var etag = js.Headers.ETag!;
        using var again = new HttpRequestMessage(HttpMethod.Get, "static/core.js");
        again.Headers.IfNoneMatch.Add(etag);
        Assert.Equal(HttpStatusCode.NotModified, (await raw.SendAsync(again)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await raw.GetAsync("static/../DashboardGuard.cs")).StatusCode);
    }

    [Fact]
    public async Task A_url_prefix_serves_everything_under_it()
    {
        await using var server = await cluster.StartAsync(cluster.Options(Path.Combine(Path.GetTempPath(), $"sec-{Guid.NewGuid():N}.db")) with { UrlPrefix = "/flower" });
        Assert.EndsWith("/flower/", server.Url.ToString());
        using var http = new Http(server.Url);
        var (status, _, html) = await http.GetAsync("tasks");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<base href=\"/flower/\">", html);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/workers")).Status);
        using var root = new HttpClient { BaseAddress = new Uri(server.Url.GetLeftPart(UriPartial.Authority)) };
        Assert.Equal(HttpStatusCode.NotFound, (await root.GetAsync("/api/workers")).StatusCode);
    }
}
