namespace Fanout.Tests.Cli;

/// <summary>Small plans for CLI tests: processes that finish at once and simulated prompts with 5 ms latency.</summary>
internal static class Plans
{
    public const string Simulated = """
        providers:
          sim:
            type: simulated
            model: fast
            models:
              "*": { latency: 5ms, per_output_token: 0ms, output_tokens: [5, 10] }
        defaults:
          provider: sim
        """;

    /// <summary>hello (process) → summary (prompt), and a merge of both.</summary>
    public const string Small = $$$"""
        name: small
        {{{Simulated}}}
        inputs:
          topic: { type: string, default: tests }
        tasks:
          - id: hello
            argv: [sh, -c, "echo hello"]
          - id: summary
            needs: [hello]
            prompt: "Summarise {{tasks.hello.output}} about {{inputs.topic}}"
          - id: both
            needs: [hello, summary]
            merge: { greeting: "{{tasks.hello.output}}", summary: "{{tasks.summary.output}}" }
        """;

    /// <summary>broken exits 3; after depends on it; alone is independent and succeeds.</summary>
    public const string Failing = """
        name: failing
        defaults:
          retry: { max_attempts: 1 }
        tasks:
          - id: broken
            argv: [sh, -c, "echo bad >&2; exit 3"]
          - id: after
            needs: [broken]
            argv: [sh, -c, "echo never"]
          - id: alone
            argv: [sh, -c, "echo fine"]
        """;

    /// <summary>One task that would run for a long time.</summary>
    public const string Long = """
        name: long
        tasks:
          - id: long
            argv: [sh, -c, "sleep 30"]
          - id: later
            needs: [long]
            argv: [sh, -c, "echo later"]
        """;
}
