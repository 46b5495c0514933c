namespace Fanout.Providers.Simulation;

/// <summary>How long a simulated call takes before its first token: a fixed time, a uniform range or a log-normal law.</summary>
public abstract record LatencyModel
{
    /// <summary>Draws one latency.</summary>
    public abstract TimeSpan Sample(Random random);

    /// <summary>The typical value, used when a single figure is needed (estimates).</summary>
    public abstract TimeSpan Median { get; }

    /// <summary>Always the same time.</summary>
    public static LatencyModel Fixed(TimeSpan value) => new FixedLatency(value);

    /// <summary>Uniform between <paramref name="min"/> and <paramref name="max"/>.</summary>
    public static LatencyModel Uniform(TimeSpan min, TimeSpan max) => new UniformLatency(min, max);

    /// <summary>Log-normal with the given median and shape: real API latencies have this long right tail.</summary>
    public static LatencyModel LogNormal(TimeSpan median, double sigma) => new LogNormalLatency(median, sigma);
}

/// <summary>Always <paramref name="Value"/>.</summary>
/// <param name="Value">The latency.</param>
public sealed record FixedLatency(TimeSpan Value) : LatencyModel
{
    /// <inheritdoc />
    public override TimeSpan Sample(Random random) => Value;

    /// <inheritdoc />
    public override TimeSpan Median => Value;

    /// <inheritdoc />
    public override string ToString() => Durations.Format(Value);
}

/// <summary>Uniform in [<paramref name="Min"/>, <paramref name="Max"/>].</summary>
/// <param name="Min">Shortest.</param>
/// <param name="Max">Longest.</param>
public sealed record UniformLatency(TimeSpan Min, TimeSpan Max) : LatencyModel
{
    /// <inheritdoc />
    public override TimeSpan Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return Min + (Max - Min) * random.NextDouble();
    }

    /// <inheritdoc />
    public override TimeSpan Median => Min + (Max - Min) / 2;

    /// <inheritdoc />
    public override string ToString() => $"uniform {Durations.Format(Min)}..{Durations.Format(Max)}";
}

/// <summary>Log-normal: <c>median · e^(sigma · Z)</c> with Z standard normal.</summary>
/// <param name="MedianValue">The median.</param>
/// <param name="Sigma">Shape: 0 is fixed, 0.3 is a mild tail, 1 a heavy one.</param>
public sealed record LogNormalLatency(TimeSpan MedianValue, double Sigma) : LatencyModel
{
    /// <inheritdoc />
    public override TimeSpan Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        // Box–Muller; 1 - NextDouble() is in (0, 1] so the logarithm is finite.
        var z = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return MedianValue * Math.Exp(Sigma * z);
    }

    /// <inheritdoc />
    public override TimeSpan Median => MedianValue;

    /// <inheritdoc />
    public override string ToString() => $"lognormal median {Durations.Format(MedianValue)} sigma {Sigma}";
}
