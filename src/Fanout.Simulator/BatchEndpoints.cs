using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Fanout.Simulator;

/// <summary>
/// The two Batch APIs: OpenAI's files (<c>/v1/files</c>, <c>/v1/files/{id}/content</c>) and batches
/// (<c>/v1/batches</c>), and Anthropic's Message Batches (<c>/v1/messages/batches</c>, results as JSONL). A batch
/// ends <see cref="SimulatorOptions.BatchDelay"/> after it was created, on the simulator's clock; the first read
/// after that runs its requests against this server's own endpoints, with the batch's key, so they get the same
/// answers, usage, limits and faults as online requests (a fault becomes that item's error).
/// </summary>
internal sealed class BatchEndpoints(SimulatorState state)
{
    private readonly ConcurrentDictionary<string, StoredFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SimulatedBatch> _batches = new(StringComparer.Ordinal);
    private readonly HttpClient _self = new() { Timeout = Timeout.InfiniteTimeSpan };
    private int _created;

    /// <summary>Batches created so far, of either API.</summary>
    public int Created => _created;

    /// <summary>This server's root URL, for the batch requests it sends itself.</summary>
    public Uri? Self { get; set; }

    public async Task UploadFile(HttpContext context)
    {
        if (state.Authenticate(context.Request) is null)
        {
            await Wire.Error(context, Api.OpenAI, 401, "Incorrect API key provided.");
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var file = form.Files.GetFile("file");
        if (file is null || form["purpose"].ToString() is not { Length: > 0 } purpose)
        {
            await Wire.Error(context, Api.OpenAI, 400, "A file and a purpose are required.");
            return;
        }

        using var content = new MemoryStream();
        await file.CopyToAsync(content, context.RequestAborted);
        var stored = new StoredFile(NewId("file-"), file.FileName, purpose, content.ToArray(), state.Time.GetUtcNow());
        _files[stored.Id] = stored;
        await HttpWrite.Json(context, 200, stored.ToJson());
    }

    public async Task GetFile(HttpContext context, string id, bool content)
    {
        if (state.Authenticate(context.Request) is null)
        {
            await Wire.Error(context, Api.OpenAI, 401, "Incorrect API key provided.");
            return;
        }

        if (!_files.TryGetValue(id, out var file))
        {
            await Wire.Error(context, Api.OpenAI, 404, $"No such File object: {id}");
            return;
        }

        if (!content)
        {
            await HttpWrite.Json(context, 200, file.ToJson());
            return;
        }

        context.Response.ContentType = "application/octet-stream";
        await context.Response.Body.WriteAsync(file.Content, context.RequestAborted);
    }

    public async Task CreateOpenAI(HttpContext context)
    {
        if (state.Authenticate(context.Request) is not { } limiter)
        {
            await Wire.Error(context, Api.OpenAI, 401, "Incorrect API key provided.");
            return;
        }

        using var document = await Wire.Body(context);
        var root = document.RootElement;
        if (Wire.String(root, "input_file_id") is not { } fileId || !_files.TryGetValue(fileId, out var file))
        {
            await Wire.Error(context, Api.OpenAI, 400, "input_file_id must name an uploaded file.", "input_file_id");
            return;
        }

        if (Wire.String(root, "endpoint") != "/v1/chat/completions")
        {
            await Wire.Error(context, Api.OpenAI, 400, "The simulator batches only /v1/chat/completions.", "endpoint");
            return;
        }

        var items = new List<(string CustomId, string Body)>();
        foreach (var line in Encoding.UTF8.GetString(file.Content).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var item = JsonDocument.Parse(line);
            items.Add((item.RootElement.GetProperty("custom_id").GetString()!, item.RootElement.GetProperty("body").GetRawText()));
        }

        var batch = Create(Api.OpenAI, "batch_", limiter.Key.Key, items);
        batch.InputFileId = fileId;
        await HttpWrite.Json(context, 200, OpenAIBatch(batch));
    }

    public async Task GetOpenAI(HttpContext context, string id)
    {
        if (await Find(context, Api.OpenAI, id) is { } batch)
        {
            await HttpWrite.Json(context, 200, OpenAIBatch(batch));
        }
    }

    public async Task CreateAnthropic(HttpContext context)
    {
        if (state.Authenticate(context.Request) is not { } limiter)
        {
            await Wire.Error(context, Api.Anthropic, 401, "invalid x-api-key");
            return;
        }

        using var document = await Wire.Body(context);
        var items = Wire.Array(document.RootElement, "requests")
            .Select(r => (r.GetProperty("custom_id").GetString()!, r.GetProperty("params").GetRawText())).ToList();
        if (items.Count == 0)
        {
            await Wire.Error(context, Api.Anthropic, 400, "requests: at least one request is required");
            return;
        }

        await HttpWrite.Json(context, 200, AnthropicBatch(Create(Api.Anthropic, "msgbatch_", limiter.Key.Key, items)));
    }

    public async Task GetAnthropic(HttpContext context, string id, bool results)
    {
        if (await Find(context, Api.Anthropic, id) is not { } batch)
        {
            return;
        }

        if (!results)
        {
            await HttpWrite.Json(context, 200, AnthropicBatch(batch));
            return;
        }

        if (batch.Results is not { } done)
        {
            await Wire.Error(context, Api.Anthropic, 400, $"Batch {id} has not ended yet.");
            return;
        }

        var lines = new StringBuilder();
        foreach (var (customId, status, body) in done)
        {
            var result = status == 200
                ? new JsonObject { ["type"] = "succeeded", ["message"] = body }
                : new JsonObject { ["type"] = "errored", ["error"] = body };
            lines.Append(new JsonObject { ["custom_id"] = customId, ["result"] = result }.ToJsonString()).Append('\n');
        }

        context.Response.ContentType = "application/binary";
        await context.Response.WriteAsync(lines.ToString(), context.RequestAborted);
    }

    private SimulatedBatch Create(Api api, string prefix, string key, List<(string CustomId, string Body)> items)
    {
        Interlocked.Increment(ref _created);
        var now = state.Time.GetUtcNow();
        var batch = new SimulatedBatch(NewId(prefix), api, key, items, now, now + state.Options.BatchDelay);
        _batches[batch.Id] = batch;
        return batch;
    }

    /// <summary>The batch, run first when it is due; null (answered 401/404) when the caller may not see it.</summary>
    private async Task<SimulatedBatch?> Find(HttpContext context, Api api, string id)
    {
        var limiter = state.Authenticate(context.Request);
        if (limiter is null || !_batches.TryGetValue(id, out var batch) || batch.Api != api || batch.Key != limiter.Key.Key)
        {
            await Wire.Error(context, api, limiter is null ? 401 : 404, limiter is null ? "Incorrect API key provided." : $"No such batch: {id}");
            return null;
        }

        if (batch.Results is null && state.Time.GetUtcNow() >= batch.DueAt)
        {
            await batch.Gate.WaitAsync(context.RequestAborted);
            try
            {
                if (batch.Results is null)
                {
                    await RunAsync(batch);
                }
            }
            finally
            {
                batch.Gate.Release();
            }
        }

        return batch;
    }

    private async Task RunAsync(SimulatedBatch batch)
    {
        var results = new List<(string CustomId, int Status, JsonNode? Body)>();
        foreach (var (customId, body) in batch.Items)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Self!, batch.Api == Api.OpenAI ? "v1/chat/completions" : "v1/messages"))
            {
                Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
            };
            if (batch.Api == Api.OpenAI)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", batch.Key);
            }
            else
            {
                request.Headers.Add("x-api-key", batch.Key);
                request.Headers.Add("anthropic-version", "2023-06-01");
            }

            try
            {
                using var response = await _self.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                results.Add((customId, (int)response.StatusCode, Parse(text)));
            }
            catch (HttpRequestException)
            {
                // A reset (an injected fault) is that item's server error.
                results.Add((customId, 500, Parse("""{"type":"error","error":{"type":"api_error","message":"connection reset (simulated)"}}""")));
            }
        }

        if (batch.Api == Api.OpenAI)
        {
            batch.OutputFileId = Output(batch, results.Where(r => r.Status == 200));
            batch.ErrorFileId = Output(batch, results.Where(r => r.Status != 200));
        }

        batch.EndedAt = state.Time.GetUtcNow();
        batch.Results = results;
    }

    private static JsonNode? Parse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            // A malformed-JSON fault: the item failed the way a cut body fails.
            return new JsonObject { ["error"] = new JsonObject { ["message"] = "malformed response (simulated)", ["type"] = "server_error" } };
        }
    }

    /// <summary>An OpenAI output or error file of <paramref name="lines"/>, or null when there are none.</summary>
    private string? Output(SimulatedBatch batch, IEnumerable<(string CustomId, int Status, JsonNode? Body)> lines)
    {
        var text = new StringBuilder();
        foreach (var (customId, status, body) in lines)
        {
            text.Append(new JsonObject
            {
                ["id"] = NewId("batch_req_"),
                ["custom_id"] = customId,
                ["response"] = new JsonObject { ["status_code"] = status, ["request_id"] = NewId("req_"), ["body"] = body?.DeepClone() },
                ["error"] = null,
            }.ToJsonString()).Append('\n');
        }

        if (text.Length == 0)
        {
            return null;
        }

        var file = new StoredFile(NewId("file-"), $"{batch.Id}_output.jsonl", "batch_output", Encoding.UTF8.GetBytes(text.ToString()), state.Time.GetUtcNow());
        _files[file.Id] = file;
        return file.Id;
    }

    private static JsonObject OpenAIBatch(SimulatedBatch batch)
    {
        var done = batch.Results;
        return new JsonObject
        {
            ["id"] = batch.Id,
            ["object"] = "batch",
            ["endpoint"] = "/v1/chat/completions",
            ["errors"] = null,
            ["input_file_id"] = batch.InputFileId,
            ["completion_window"] = "24h",
            ["status"] = done is null ? "in_progress" : "completed",
            ["output_file_id"] = batch.OutputFileId,
            ["error_file_id"] = batch.ErrorFileId,
            ["created_at"] = batch.CreatedAt.ToUnixTimeSeconds(),
            ["in_progress_at"] = batch.CreatedAt.ToUnixTimeSeconds(),
            ["expires_at"] = (batch.CreatedAt + TimeSpan.FromHours(24)).ToUnixTimeSeconds(),
            ["completed_at"] = batch.EndedAt?.ToUnixTimeSeconds(),
            ["request_counts"] = new JsonObject
            {
                ["total"] = batch.Items.Count,
                ["completed"] = done?.Count(r => r.Status == 200) ?? 0,
                ["failed"] = done?.Count(r => r.Status != 200) ?? 0,
            },
            ["metadata"] = null,
        };
    }

    private JsonObject AnthropicBatch(SimulatedBatch batch)
    {
        var done = batch.Results;
        return new JsonObject
        {
            ["id"] = batch.Id,
            ["type"] = "message_batch",
            ["processing_status"] = done is null ? "in_progress" : "ended",
            ["request_counts"] = new JsonObject
            {
                ["processing"] = done is null ? batch.Items.Count : 0,
                ["succeeded"] = done?.Count(r => r.Status == 200) ?? 0,
                ["errored"] = done?.Count(r => r.Status != 200) ?? 0,
                ["canceled"] = 0,
                ["expired"] = 0,
            },
            ["created_at"] = batch.CreatedAt.ToString("O"),
            ["expires_at"] = (batch.CreatedAt + TimeSpan.FromHours(24)).ToString("O"),
            ["ended_at"] = batch.EndedAt?.ToString("O"),
            ["cancel_initiated_at"] = null,
            ["archived_at"] = null,
            ["results_url"] = done is null ? null : new Uri(Self!, $"v1/messages/batches/{batch.Id}/results").ToString(),
        };
    }

    private static string NewId(string prefix) => prefix + Guid.NewGuid().ToString("N")[..24];

    private sealed record StoredFile(string Id, string Name, string Purpose, byte[] Content, DateTimeOffset CreatedAt)
    {
        public JsonObject ToJson() => new()
        {
            ["id"] = Id,
            ["object"] = "file",
            ["bytes"] = Content.Length,
            ["created_at"] = CreatedAt.ToUnixTimeSeconds(),
            ["filename"] = Name,
            ["purpose"] = Purpose,
        };
    }

    private sealed class SimulatedBatch(string id, Api api, string key, List<(string CustomId, string Body)> items, DateTimeOffset createdAt, DateTimeOffset dueAt)
    {
        public string Id { get; } = id;

        public Api Api { get; } = api;

        public string Key { get; } = key;

        public List<(string CustomId, string Body)> Items { get; } = items;

        public DateTimeOffset CreatedAt { get; } = createdAt;

        public DateTimeOffset DueAt { get; } = dueAt;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public string? InputFileId { get; set; }

        public string? OutputFileId { get; set; }

        public string? ErrorFileId { get; set; }

        public DateTimeOffset? EndedAt { get; set; }

        public List<(string CustomId, int Status, JsonNode? Body)>? Results { get; set; }
    }
}
