using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Celeriac.Dashboard.Tests;

/// <summary>An HTTP client for one dashboard, with optional credentials, reading JSON answers.</summary>
internal sealed class Http : IDisposable
{
    private readonly HttpClient _client;

    public Http(Uri baseUrl, AuthenticationHeaderValue? auth = null)
    {
        _client = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(90) };
        _client.DefaultRequestHeaders.Authorization = auth;
    }

    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    public HttpClient Client => _client;

    public async Task<(HttpStatusCode Status, JsonNode? Json, string Text)> GetAsync(string path, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        configure?.Invoke(request);
        return await SendAsync(request);
    }

    public async Task<(HttpStatusCode Status, JsonNode? Json, string Text)> PostAsync(string path, JsonNode? body = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        configure?.Invoke(request);
        return await SendAsync(request);
    }

    public async Task<JsonNode> JsonAsync(string path)
    {
        var (status, json, text) = await GetAsync(path);
        Assert.True(status == HttpStatusCode.OK, $"GET {path}: {(int)status} {text}");
        return json!;
    }

    private async Task<(HttpStatusCode, JsonNode?, string)> SendAsync(HttpRequestMessage request)
    {
        using var response = await _client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/json" && text.Length > 0)
        {
            json = JsonNode.Parse(text);
        }

        return (response.StatusCode, json, text);
    }

    public void Dispose() => _client.Dispose();
}
