using System.Net;
using System.Text.Json;

namespace Fanout.Server;

/// <summary>A plan the server can run: compiled once, with the text it was compiled from (journaled with each run).</summary>
/// <param name="Graph">The compiled plan.</param>
/// <param name="Text">The plan file's text.</param>
public sealed record ServerPlan(TaskGraph Graph, string Text)
{
    /// <summary>The plan's <c>name:</c>, which is how requests name it.</summary>
    public string Name => Graph.Plan.Name;
}

/// <summary>A bearer token the server accepts.</summary>
/// <param name="Name">Who holds it: the owner recorded on the runs it starts (never the token itself).</param>
/// <param name="Value">The secret the client sends as <c>Authorization: Bearer …</c>.</param>
/// <param name="Admin">An admin token sees and cancels every run, and may submit inline plans.</param>
public sealed record ApiToken(string Name, string Value, bool Admin = false)
{
    /// <summary>Keeps the secret out of logs and debugger views.</summary>
    public override string ToString() => $"{Name}{(Admin ? " (admin)" : "")}";
}

/// <summary>A run ready to start, and what to release when it has ended (its providers, its lease).</summary>
/// <param name="Request">What the host runs.</param>
/// <param name="Resources">Disposed once the run has ended; null when nothing is held.</param>
public sealed record PreparedRun(RunRequest Request, IAsyncDisposable? Resources = null);

/// <summary>
/// Builds a run of <paramref name="plan"/> with <paramref name="inputs"/> (already resolved against the plan's inputs)
/// under <paramref name="runId"/>: providers, executors, store. The CLI's <c>serve</c> passes the same steps its <c>run</c>
/// uses, so a served run is a CLI run. Throws <see cref="PlanException"/> when the plan's settings are wrong.
/// </summary>
public delegate Task<PreparedRun> RunPreparer(ServerPlan plan, JsonElement inputs, string runId, CancellationToken cancellationToken);

/// <summary>How <c>fanout serve</c> listens, what it serves and who may call it.</summary>
public sealed record FanoutServerOptions
{
    /// <summary>The address to listen on; loopback unless told otherwise. Any other address requires tokens.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The port; 0 picks a free one (see <see cref="FanoutServer.Urls"/>).</summary>
    public int Port { get; init; } = 5080;

    /// <summary>The plans served, by name (<c>POST /runs</c> names them; those with an <c>endpoint:</c> get a route).</summary>
    public IReadOnlyList<ServerPlan> Plans { get; init; } = [];

    /// <summary>Makes a plan and its inputs into a run.</summary>
    public required RunPreparer Prepare { get; init; }

    /// <summary>Accepted bearer tokens; empty: no authentication, which only a loopback address allows.</summary>
    public IReadOnlyList<ApiToken> Tokens { get; init; } = [];

    /// <summary>The largest request body accepted (413 beyond).</summary>
    public long MaxRequestBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>Requests a caller (a token, else an address) may make per minute before 429.</summary>
    public int RequestsPerMinute { get; init; } = 600;

    /// <summary>The clock endpoint deadlines run on.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Directory inline plans resolve relative paths against.</summary>
    public string BaseDirectory { get; init; } = Environment.CurrentDirectory;
}
