using System.Text;
using System.Text.Json;

namespace Fanout.Tests.Plans;

/// <summary>A plan's content as text, without where it came from, so plans read from different files can be compared.</summary>
internal static class PlanText
{
    public static string Describe(PlanDefinition plan)
    {
        var s = new StringBuilder();
        s.AppendLine($"name={plan.Name} description={plan.Description} concurrency={plan.Concurrency} on_failure={plan.OnFailure}");
        foreach (var input in plan.Inputs)
        {
            s.AppendLine($"input {input.Name} schema={Raw(input.Schema)} default={Raw(input.Default)} description={input.Description}");
        }

        s.AppendLine($"defaults {plan.Defaults}");
        foreach (var provider in plan.Providers)
        {
            s.AppendLine($"provider {provider.Name} type={provider.Type} config={Raw(provider.Config)}");
        }

        foreach (var (name, size) in plan.Pools.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            s.AppendLine($"pool {name}={size}");
        }

        foreach (var t in plan.Tasks)
        {
            s.AppendLine($"task {t.Id} kind={t.Kind} needs=[{string.Join(",", t.Needs)}] description={t.Description} pool={t.Pool} retry={t.Retry} " +
                $"timeout={t.Timeout} optional={t.Optional} after={t.After} estimate={t.Estimate} " +
                $"foreach={t.Foreach?.Path}|{Raw(t.Foreach?.Items)}|{t.Foreach?.As}|{t.Foreach?.MaxFailures}");
            s.AppendLine("  " + t.Body switch
            {
                PromptBody p => $"provider={p.Provider} model={p.Model} system={p.System} prompt={p.Prompt} temperature={p.Temperature} " +
                    $"max_tokens={p.MaxTokens} output={p.Output} schema={Raw(p.Schema)}",
                ProcessBody p => $"argv=[{string.Join("|", p.Argv)}] shell={p.Shell} stdin={p.Stdin} " +
                    $"env={string.Join(",", p.Env.OrderBy(e => e.Key, StringComparer.Ordinal))} cwd={p.WorkingDirectory} output={p.Output}",
                MergeBody m => $"merge={Raw(m.Value)}",
                var other => other.ToString(),
            });
        }

        return s.ToString();
    }

    private static string Raw(JsonElement? value) => value is { } v ? JsonSerializer.Serialize(v) : "-";
}
