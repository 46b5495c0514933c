using System.Text;

namespace Fanout.Tests.Secrets;

/// <summary>
/// Looks for secret values in captured texts and in every file under some directories (run output, <c>.fanout/</c>
/// with its journal or database files), as UTF-8 and UTF-16 bytes, so binary stores such as SQLite files are scanned
/// too. Returns where each secret was found; an empty list means clean.
/// </summary>
internal static class SecretScan
{
    public static List<string> Find(IReadOnlyDictionary<string, string> secrets, IEnumerable<string> directories, IReadOnlyDictionary<string, string> texts)
    {
        var found = new List<string>();
        foreach (var (name, text) in texts)
        {
            found.AddRange(secrets.Where(s => text.Contains(s.Value, StringComparison.Ordinal)).Select(s => $"{s.Key} in {name}"));
        }

        foreach (var directory in directories.Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
            {
                var bytes = File.ReadAllBytes(file);
                found.AddRange(secrets.Where(s => Contains(bytes, s.Value)).Select(s => $"{s.Key} in {file}"));
            }
        }

        return found;
    }

    /// <summary>The files a scan of <paramref name="directories"/> reads, to show it looked where it should.</summary>
    public static List<string> Files(IEnumerable<string> directories) =>
        [.. directories.Where(Directory.Exists).SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))];

    private static bool Contains(byte[] bytes, string secret) =>
        bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) >= 0 || bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(secret)) >= 0;
}
