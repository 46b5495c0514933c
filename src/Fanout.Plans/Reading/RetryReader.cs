using Fanout.Plans.Yaml;

namespace Fanout.Plans.Reading;

/// <summary>Reads <c>retry: 3</c> (max attempts) or <c>retry: { max_attempts, base_delay, max_delay, jitter }</c>.</summary>
internal static class RetryReader
{
    /// <summary>The policy; fields not written keep <paramref name="inherited"/>'s values. Null after a type error.</summary>
    public static RetryPolicy? Read(Node node, RetryPolicy inherited, string prefix, ReadContext ctx)
    {
        if (node is ScalarNode)
        {
            return ctx.Int(node, "retry", 1, prefix, PlanLimits.MaxAttempts) is { } attempts ? inherited with { MaxAttempts = attempts } : null;
        }

        if (node is not MappingNode map)
        {
            ctx.Error($"{prefix}'retry' must be a number of attempts or an object {{ max_attempts, base_delay, max_delay, jitter }}, got {node.TypeName}", node);
            return null;
        }

        var retryPrefix = prefix + "retry: ";
        ctx.CheckFields(map, PlanFields.Retry, retryPrefix);
        var policy = inherited;
        if (map["max_attempts"] is { } max && ctx.Int(max, "max_attempts", 1, retryPrefix, PlanLimits.MaxAttempts) is { } attemptsValue)
        {
            policy = policy with { MaxAttempts = attemptsValue };
        }

        if (map["base_delay"] is { } baseDelay && ctx.Duration(baseDelay, "base_delay", retryPrefix) is { } baseValue)
        {
            policy = policy with { BaseDelay = baseValue };
        }

        if (map["max_delay"] is { } maxDelay && ctx.Duration(maxDelay, "max_delay", retryPrefix) is { } maxValue)
        {
            policy = policy with { MaxDelay = maxValue };
        }

        if (map["jitter"] is { } jitter && ctx.Bool(jitter, "jitter", retryPrefix) is { } jitterValue)
        {
            policy = policy with { Jitter = jitterValue };
        }

        return policy;
    }
}
