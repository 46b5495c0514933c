// The run's redactor against the naive alternative (one string.Replace per secret), over 4 MiB of process-output-like
// text holding 16 occurrences of secrets. Usage:
//   dotnet run -c Release --project bench/Fanout.Bench -- redact [--runs R]
using System.Diagnostics;
using System.Text;

namespace Fanout.Bench;

internal static class RedactBench
{
    public static void Run(string[] args)
    {
        var runs = args.SkipWhile(a => a != "--runs").Skip(1).Select(int.Parse).FirstOrDefault(5);
        Console.WriteLine($"# Redactor — 4 MiB of text, 16 occurrences, best of {runs} runs, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        Console.WriteLine();
        Console.WriteLine("| secrets | redactor (ms) | redactor MB/s | one Replace per secret (ms) |");
        Console.WriteLine("| ---: | ---: | ---: | ---: |");
        foreach (var count in new[] { 1, 10, 100, 1000 })
        {
            var random = new Random(count);
            var secrets = Enumerable.Range(0, count)
                .Select(i => KeyValuePair.Create($"KEY_{i}_API_KEY", "sk-" + Convert.ToHexStringLower(RandomBytes(random, 16))))
                .ToList();
            var text = Text(random, secrets);
            var redactor = new Redactor(secrets);
            var fast = Best(runs, () => redactor.Redact(text));
            var naive = Best(runs, () => secrets.Aggregate(text, (t, s) => t.Replace(s.Value, $"[redacted:{s.Key}]", StringComparison.Ordinal)));
            if (redactor.Redact(text) != secrets.Aggregate(text, (t, s) => t.Replace(s.Value, $"[redacted:{s.Key}]", StringComparison.Ordinal)))
            {
                throw new InvalidOperationException("the two disagree");
            }

            Console.WriteLine($"| {count:N0} | {fast:F1} | {text.Length * 2 / 1e6 / (fast / 1000):F0} | {naive:F1} |");
        }
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Lines like a build log or an environment dump, 16 of them quoting a secret.</summary>
    private static string Text(Random random, List<KeyValuePair<string, string>> secrets)
    {
        var builder = new StringBuilder();
        var line = 0;
        while (builder.Length < 2 << 20)
        {
            builder.Append(line % 8192 == 4096 ? $"AUTH={secrets[random.Next(secrets.Count)].Value}" : $"step {line}: compiled module_{random.Next(10_000)}.cs in {random.Next(900)} ms ok")
                .Append('\n');
            line++;
        }

        return builder.ToString();
    }

    private static double Best(int runs, Func<string> work)
    {
        work();
        var best = double.MaxValue;
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            work();
            best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
        }

        return best;
    }
}
