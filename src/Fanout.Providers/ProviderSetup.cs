namespace Fanout.Providers;

/// <summary>How providers are built for a run.</summary>
public sealed record ProviderOptions
{
    /// <summary>The run's clock (simulated latency waits on it).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Reads environment variables (for <c>${VAR}</c> key references); swappable in tests.</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Serve every provider from the simulator with its latency model (<c>fanout estimate</c>): no network.</summary>
    public bool SimulateAll { get; init; }
}

/// <summary>The providers of one run; resolves prompt tasks to chat clients.</summary>
public sealed class ProviderSet : IChatClientResolver
{
    /// <summary>Things the user should see before the run (e.g. a provider falling back to the simulator).</summary>
    public IReadOnlyList<string> Notices { get; } = [];

    /// <inheritdoc />
    public ChatTarget Resolve(string? provider, string? model) => throw new NotImplementedException();
}

/// <summary>Builds a <see cref="ProviderSet"/> from a plan's <c>providers</c> section.</summary>
public static class ProviderSetup
{
    /// <summary>Builds the providers; throws <see cref="PlanException"/> for invalid provider configuration.</summary>
    public static ProviderSet Create(PlanDefinition plan, ProviderOptions options) => throw new NotImplementedException();
}
