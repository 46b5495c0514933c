using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Fanout.Tests.Cli;

namespace Fanout.Tests.Plans;

/// <summary>
/// Issue 11's fuzz test: thousands of plans made by byte and line edits of every example plan, seeded so each is
/// reproducible, go through <c>fanout validate</c> in-process (<see cref="CliHarness"/> calls the CLI's own entry point,
/// so its catch-all is what would report a crash). Every one must end with exit 0, or exit 2 with every problem at a
/// file:line:column, and within 2 s.
/// </summary>
public sealed partial class PlanFuzzTests : IDisposable
{
    private const int Seed = 20261203;
    private const int MutantsPerExample = 700;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(2);

    /// <summary>Bytes that matter to YAML, JSON, templates and numbers, and so find the most edge cases.</summary>
    private static readonly string Interesting = "{}[]:-&*!|>\"'#,\n\t ~@%`?<=.0123456789eE+x\\";

    /// <summary>Lines that hit the limits and odd corners on purpose.</summary>
    private static readonly string[] Lines =
    [
        "budget_usd: 1e309", "concurrency: 2147483648", "    timeout: 99999999999h", "    max_tokens: -5", "    temperature: .inf",
        "x: &a [1, *a]", "<<: *nothing", "y: &b {<<: *b}", "    prompt: \"{{#unless}}{{/unless}}\"", "    prompt: \"{{> p}}\"",
        "    prompt: \"{{#if inputs.x}}\"", "    prompt_file: /dev/zero", "    prompt_file: .", "  - id: dup", "  - {}", "---",
        "    retry: { max_attempts: 0x7fffffffffffffffff }", "    foreach: [1, 2, 3]", "    needs: [a, a]", "    output: { schema: { type: object, minItems: 1e400 } }",
        "    argv: [sh, -c, \"{{inputs.x}}\"]", "    estimate: 1e-400", "pools: { p: 0 }", "inputs: { x: { type: integer, default: 1e999 } }",
    ];

    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static IEnumerable<string> ExamplePlans() =>
        Directory.EnumerateFiles(Path.Combine(Fixtures.RepoRoot, "examples"), "plan.*", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    [Fact]
    public async Task Mutated_example_plans_never_crash_never_take_over_2s_and_every_rejection_has_a_location()
    {
        var examples = ExamplePlans().ToList();
        Assert.True(examples.Count >= 3, string.Join(", ", examples));
        var failures = new List<string>();
        var count = 0;
        var rejected = 0;
        string? firstFailing = null;
        foreach (var (example, index) in examples.Select((e, i) => (e, i)))
        {
            // A copy of the example's folder, so files the plan names (prompt files, schemas) resolve as they would.
            var folder = Path.Combine(_cli.Directory, Path.GetFileName(Path.GetDirectoryName(example))!);
            CopyFolder(Path.GetDirectoryName(example)!, folder);
            var plan = Path.Combine(folder, Path.GetFileName(example));
            var original = await File.ReadAllBytesAsync(example);
            for (var i = 0; i < MutantsPerExample; i++)
            {
                var random = new Random(Seed + (index * MutantsPerExample) + i);
                var mutant = Mutate(original, random);
                await File.WriteAllBytesAsync(plan, mutant);
                count++;
                var (result, elapsed) = await ValidateAsync(plan);
                if (elapsed > Limit)
                {
                    // A busy machine can stall one run; a slow input is slow every time.
                    (result, elapsed) = await ValidateAsync(plan);
                }

                rejected += result.ExitCode == 2 ? 1 : 0;
                if (Problem(result, elapsed) is { } problem)
                {
                    failures.Add($"{Path.GetRelativePath(Fixtures.RepoRoot, example)} mutant {i} (new Random({Seed + (index * MutantsPerExample) + i})): {problem}");
                    firstFailing ??= Encoding.UTF8.GetString(mutant);
                }
            }
        }

        Assert.True(count >= 2_000, $"{count} mutants");
        Assert.True(rejected > count / 4, $"only {rejected} of {count} mutants were rejected: the mutations are too mild to test much");
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} mutants failed:\n{string.Join("\n", failures.Take(20))}\n--- the first failing plan\n{firstFailing}");
    }

    private async Task<(CliHarness.Result Result, TimeSpan Elapsed)> ValidateAsync(string plan)
    {
        var clock = Stopwatch.StartNew();
        var result = await _cli.RunAsync("validate", plan);
        return (result, clock.Elapsed);
    }

    private static string? Problem(CliHarness.Result result, TimeSpan elapsed)
    {
        if (elapsed > Limit)
        {
            return $"took {elapsed.TotalSeconds:0.0}s";
        }

        if (result.ExitCode == 0)
        {
            return null;
        }

        if (result.ExitCode != 2)
        {
            return $"exit {result.ExitCode}: {result.Error}";
        }

        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var unlocated = lines.Where(l => !Located().IsMatch(l) && !l.StartsWith("… and ", StringComparison.Ordinal)).ToList();
        return lines.Length == 0 ? "exit 2 without a message"
            : unlocated.Count > 0 ? $"a problem without a location: {unlocated[0]}"
            : null;
    }

    /// <summary>One to three edits: bytes replaced, deleted, inserted or repeated; lines deleted, repeated, swapped,
    /// re-indented, cut short or inserted from <see cref="Lines"/>.</summary>
    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits; e++)
        {
            if (random.Next(2) == 0)
            {
                ByteEdit(bytes, random);
            }
            else
            {
                var lines = Encoding.UTF8.GetString([.. bytes]).Split('\n').ToList();
                LineEdit(lines, random);
                bytes = [.. Encoding.UTF8.GetBytes(string.Join('\n', lines))];
            }
        }

        return [.. bytes];
    }

    private static void ByteEdit(List<byte> bytes, Random random)
    {
        var at = random.Next(bytes.Count);
        var b = random.Next(3) == 0 ? (byte)random.Next(1, 256) : (byte)Interesting[random.Next(Interesting.Length)];
        switch (random.Next(4))
        {
            case 0:
                bytes[at] = b;
                break;
            case 1:
                bytes.RemoveRange(at, Math.Min(random.Next(1, 8), bytes.Count - at));
                break;
            case 2:
                bytes.Insert(at, b);
                break;
            default:
                var run = bytes.GetRange(at, Math.Min(random.Next(1, 16), bytes.Count - at));
                for (var r = random.Next(1, 50); r > 0; r--)
                {
                    bytes.InsertRange(at, run);
                }

                break;
        }
    }

    private static void LineEdit(List<string> lines, Random random)
    {
        var at = random.Next(lines.Count);
        switch (random.Next(6))
        {
            case 0:
                lines.RemoveAt(at);
                break;
            case 1:
                lines.InsertRange(at, Enumerable.Repeat(lines[at], random.Next(1, 4)));
                break;
            case 2:
                var other = random.Next(lines.Count);
                (lines[at], lines[other]) = (lines[other], lines[at]);
                break;
            case 3:
                lines[at] = random.Next(2) == 0 ? "  " + lines[at] : lines[at][Math.Min(2, lines[at].Length - lines[at].TrimStart(' ').Length)..];
                break;
            case 4:
                lines[at] = lines[at][..random.Next(lines[at].Length + 1)];
                break;
            default:
                lines.Insert(at, Lines[random.Next(Lines.Length)]);
                break;
        }
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [GeneratedRegex(@"^\S.*:\d+:\d+: error: ")]
    private static partial Regex Located();
}
