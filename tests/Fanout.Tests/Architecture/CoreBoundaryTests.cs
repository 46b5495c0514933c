using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Fanout.Tests.Architecture;

/// <summary>The core is the model, graph, scheduler, limits, events and report: it must stay testable on a fake clock,
/// so it references no process, file-system or network API. Executors that need them live in Fanout.Execution.</summary>
public sealed class CoreBoundaryTests
{
    private static readonly string[] Forbidden =
    [
        "System.Diagnostics.Process", "System.Diagnostics.ProcessStartInfo",
        "System.IO.File", "System.IO.FileInfo", "System.IO.FileStream", "System.IO.Directory", "System.IO.DirectoryInfo",
        "System.IO.FileSystemInfo", "System.IO.FileSystemWatcher", "System.IO.RandomAccess",
        "System.Net.Http.HttpClient", "System.Net.Http.HttpMessageHandler", "System.Net.Sockets.Socket",
        "System.Net.Sockets.TcpClient", "System.Net.WebRequest",
    ];

    [Fact]
    public void The_core_assembly_references_no_process_file_system_or_network_type()
    {
        var used = ReferencedTypes(typeof(Scheduler).Assembly.Location);

        Assert.Empty(used.Where(t => Forbidden.Contains(t)).Order());
    }

    [Fact]
    public void The_reference_scan_sees_what_an_executor_assembly_uses()
    {
        // The scan itself must be able to fail: Fanout.Execution starts processes and writes files.
        var used = ReferencedTypes(typeof(ProcessExecutor).Assembly.Location);

        Assert.Contains("System.Diagnostics.Process", used);
        Assert.Contains("System.IO.File", used);
    }

    private static HashSet<string> ReferencedTypes(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var handle in metadata.TypeReferences)
        {
            var type = metadata.GetTypeReference(handle);
            names.Add($"{metadata.GetString(type.Namespace)}.{metadata.GetString(type.Name)}");
        }

        return names;
    }
}
