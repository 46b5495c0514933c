using System.Text.RegularExpressions;
using Fanout.Footprints;
using Fanout.Time;
using Fanout.Tools;
using Microsoft.Extensions.AI;

namespace Fanout.Tests.Tools;

/// <summary>
/// A small in-memory file tree and five tools over it that take time on a virtual clock: <c>read</c>, <c>append</c>
/// (reads at its start, writes at its end, so two at once lose an update), <c>write</c>, <c>list</c> (every file under a
/// directory) and <c>grep</c> (every file a glob matches). Paths arrive spelled many ways (<c>./a.txt</c>,
/// <c>d/../a.txt</c>); the tree normalises them as a file system would.
/// </summary>
internal sealed class FileTree
{
    public static readonly string[] Paths = ["a.txt", "./a.txt", "d/../b.txt", "b.txt", "d/x.txt", "d/y.txt", "./d/e/z.txt", "d/e/z.txt"];
    public static readonly string[] Directories = ["d", "d/e", ".", "./d/"];
    public static readonly string[] Globs = ["*.txt", "d/*.txt", "**/z.txt", "d/**", "?.txt"];
    public static readonly string[] Tools = ["read", "append", "write", "list", "grep"];

    private readonly SortedDictionary<string, string> _files = new(StringComparer.Ordinal);

    public FileTree()
    {
        _files["a.txt"] = "A";
        _files["d/x.txt"] = "X";
        _files["d/e/z.txt"] = "Z";
    }

    public string Snapshot() => string.Join(";", _files.Select(f => $"{f.Key}={f.Value}"));

    /// <summary>One call: a tool and the argument that names what it touches.</summary>
    public sealed record Op(int Tool, int Target, int Text, int Ms)
    {
        public string Name => Tools[Tool];

        public string Where => Name switch
        {
            "list" => Directories[Target % Directories.Length],
            "grep" => Globs[Target % Globs.Length],
            _ => Paths[Target % Paths.Length],
        };

        public FunctionCallContent Call(int index) => new($"call_{index}", Name, new Dictionary<string, object?>
        {
            ["path"] = Where,
            ["text"] = Text.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ms"] = Ms,
        });

        public override string ToString() => $"{Name}({Where}, {Text}, {Ms}ms)";
    }

    /// <summary>The tools, each with its footprint (or none, to show what goes wrong without).</summary>
    public ToolSet ToolSet(TimeProvider clock, bool footprints = true)
    {
        Func<AIFunctionArguments, Footprint> Fp(Func<string, Footprint> of) => args => footprints ? of(Arg(args, "path")) : Footprint.None;
        return new ToolSet()
            .Add("read", async (args, ct) =>
            {
                await Task.Delay(Ms(args), clock, ct);
                return Read(Arg(args, "path"));
            }, Fp(p => Footprint.Reading(p)))
            .Add("append", async (args, ct) =>
            {
                var path = Arg(args, "path");
                var before = Read(path);
                await Task.Delay(Ms(args), clock, ct);
                _files[Normal(path)] = before + Arg(args, "text");
                return "ok";
            }, Fp(p => Footprint.Of([p], [p])))
            .Add("write", async (args, ct) =>
            {
                await Task.Delay(Ms(args), clock, ct);
                _files[Normal(Arg(args, "path"))] = Arg(args, "text");
                return "ok";
            }, Fp(p => Footprint.Writing(p)))
            .Add("list", async (args, ct) =>
            {
                await Task.Delay(Ms(args), clock, ct);
                return Under(Arg(args, "path"));
            }, Fp(p => Footprint.Reading(p)))
            .Add("grep", async (args, ct) =>
            {
                await Task.Delay(Ms(args), clock, ct);
                return Matching(Arg(args, "path"));
            }, Fp(p => Footprint.Reading(p)));
    }

    /// <summary>What the ops return when run one after another, in order: the reference.</summary>
    public List<string?> RunSequentially(IEnumerable<Op> ops)
    {
        var results = new List<string?>();
        foreach (var op in ops)
        {
            var path = op.Where;
            results.Add(op.Name switch
            {
                "read" => Read(path),
                "append" => Set(path, Read(path) + op.Text),
                "write" => Set(path, op.Text.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                "list" => Under(path),
                _ => Matching(path),
            });
        }

        return results;
    }

    /// <summary>Runs the ops as one batch on a virtual clock and returns each result's text.</summary>
    public static (List<string?> Results, ToolBatchResult Batch) RunBatch(FileTree tree, IReadOnlyList<Op> ops, bool footprints = true, bool sequential = false)
    {
        var clock = new VirtualClock();
        var calls = ops.Select((op, i) => op.Call(i)).ToList();
        var batch = VirtualTime.Run(clock, () => ToolBatch.RunAsync(tree.ToolSet(clock, footprints), calls, new ToolBatchOptions { Time = clock, Sequential = sequential }));
        return ([.. batch.Results.Select(r => r.Result.Result as string)], batch);
    }

    private string Set(string path, string text)
    {
        _files[Normal(path)] = text;
        return "ok";
    }

    private string Read(string path) => _files.GetValueOrDefault(Normal(path), "");

    private string Under(string directory)
    {
        var prefix = Normal(directory) is "." ? "" : Normal(directory) + "/";
        return string.Join(",", _files.Where(f => f.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(f => $"{f.Key}={f.Value}"));
    }

    private string Matching(string glob)
    {
        var pattern = "^" + Regex.Escape(glob).Replace(@"\*\*/", "(.*/)?", StringComparison.Ordinal).Replace(@"\*\*", ".*", StringComparison.Ordinal)
            .Replace(@"\*", "[^/]*", StringComparison.Ordinal).Replace(@"\?", "[^/]", StringComparison.Ordinal) + "(/.*)?$";
        return string.Join(",", _files.Where(f => Regex.IsMatch(f.Key, pattern)).Select(f => $"{f.Key}={f.Value}"));
    }

    private static string Normal(string path) => System.IO.Path.GetRelativePath("/root", System.IO.Path.GetFullPath(path, "/root"));

    private static string Arg(AIFunctionArguments args, string name) => args[name]?.ToString() ?? "";

    private static TimeSpan Ms(AIFunctionArguments args) => TimeSpan.FromMilliseconds(Convert.ToInt32(args["ms"], System.Globalization.CultureInfo.InvariantCulture));
}
