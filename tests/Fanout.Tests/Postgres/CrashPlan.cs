using System.Text;

namespace Fanout.Tests.Postgres;

/// <summary>
/// The crash harness's plan: 300 tasks in 10 layers of 30, each task after two of the layer before. Two in three are
/// processes with an observable side effect — each execution appends its task id to the file <c>inputs.effects</c>
/// before it works — and an output that hashes its dependencies' outputs, so any wrong or missing input changes every
/// output downstream; the rest are simulated prompts (deterministic per prompt). Equal outputs therefore mean the
/// same work was done on the same inputs.
/// </summary>
internal static class CrashPlan
{
    public const int Layers = 10;
    public const int Width = 30;

    public static string Yaml(string work = "0.15")
    {
        var yaml = new StringBuilder(
            """
            name: crash-harness
            inputs:
              effects: { type: string }
            providers:
              sim:
                type: simulated
                models:
                  sim-1: { latency: 40ms, per_output_token: 1ms, output_tokens: 20 }
            defaults: { provider: sim, model: sim-1 }
            tasks:

            """);
        for (var layer = 0; layer < Layers; layer++)
        {
            for (var i = 0; i < Width; i++)
            {
                var id = Id(layer, i);
                var needs = layer == 0 ? [] : new[] { Id(layer - 1, i), Id(layer - 1, (i + 7) % Width) };
                var inputs = string.Concat(needs.Select(n => $"{{{{tasks.{n}.output}}}}"));
                yaml.Append($"  - id: {id}\n");
                if (needs.Length > 0)
                {
                    yaml.Append($"    needs: [{string.Join(", ", needs)}]\n");
                }

                if ((layer * Width + i) % 3 == 2)
                {
                    yaml.Append($"    prompt: \"Write one line about task {id}.\"\n");
                }
                else
                {
                    yaml.Append("    shell: true\n");
                    yaml.Append($"    argv: ['echo \"$1\" >> \"$2\"; sleep {work}; printf \"%s|%s\" \"$1\" \"$3\" | sha256sum | cut -c1-16', \"{id}\", \"{{{{inputs.effects}}}}\", \"{inputs}\"]\n");
                }
            }
        }

        return yaml.ToString();
    }

    public static string Id(int layer, int i) => $"l{layer}_{i}";

    /// <summary>Whether task <paramref name="id"/> is a process (and leaves a line in the effects file per execution).</summary>
    public static bool IsProcess(string id)
    {
        var parts = id[1..].Split('_');
        return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * Width + int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)) % 3 != 2;
    }
}
