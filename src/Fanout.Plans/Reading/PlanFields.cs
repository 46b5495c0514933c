namespace Fanout.Plans.Reading;

/// <summary>The field names the loader accepts, in one place (a test checks that schema/plan.schema.json lists the same).</summary>
internal static class PlanFields
{
    public static readonly string[] TopLevel =
        ["$schema", "name", "description", "concurrency", "on_failure", "budget_usd", "cache", "inputs", "defaults", "providers", "pools", "workers", "contracts", "endpoint", "tasks"];

    public static readonly string[] Endpoint = ["route", "method", "cors", "timeout", "output"];

    public static readonly string[] Defaults = ["provider", "model", "timeout", "retry"];

    public static readonly string[] Contract = ["producer", "consumers", "schema", "file"];

    public static readonly string[] Worker = ["preset", "program", "command", "pool", "simulate"];

    public static readonly string[] Retry = ["max_attempts", "base_delay", "max_delay", "jitter"];

    /// <summary>Fields every task kind accepts.</summary>
    public static readonly string[] TaskCommon =
        ["id", "kind", "description", "needs", "after", "optional", "pool", "timeout", "retry", "estimate", "foreach", "as", "max_failures", "cache", "pure", "reads", "writes", "compensate"];

    public static readonly string[] Prompt =
        ["provider", "model", "system", "system_file", "prompt", "prompt_file", "temperature", "max_tokens", "output", "tools", "max_tool_rounds", "mode", "batch_window"];

    public static readonly string[] Tool = ["name", "description", "parameters", "argv", "reads", "writes", "compensate", "timeout", "pool"];

    public static readonly string[] Process = ["argv", "shell", "stdin", "env", "inherit_env", "cwd", "output"];

    public static readonly string[] Merge = ["merge", "sections"];

    public static readonly string[] Agent =
        ["worker", "prompt", "prompt_file", "env", "inherit_env", "cwd", "output", "workspace", "allowed_tools", "permission_mode"];

    public static readonly string[] Integrate = ["verify", "on_conflict", "repair_worker", "max_repairs"];

    public static readonly string[] Image = ["provider", "model", "prompt", "prompt_file", "size", "quality", "n"];

    /// <summary>The kinds plan files can declare, with their own fields.</summary>
    public static readonly (string Kind, string[] Fields)[] Kinds = [("prompt", Prompt), ("process", Process), ("merge", Merge), ("image", Image), ("agent", Agent), ("integrate", Integrate)];

    /// <summary>Every task field of any kind.</summary>
    public static IEnumerable<string> AllTaskFields => TaskCommon.Concat(Kinds.SelectMany(k => k.Fields)).Distinct();
}
