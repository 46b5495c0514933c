using System.Text.Json;

namespace Fanout.Tools;

/// <summary>A plan run as a tool trace: one entry per task (or fan-out item) that declares a footprint, in start order.</summary>
public static class RunTrace
{
    /// <summary>The entries of <paramref name="report"/>'s footprinted tasks that started.</summary>
    public static IEnumerable<ToolTraceEntry> Entries(TaskGraph graph, RunReport report)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(report);
        return report.Tasks
            .Where(row => row.Items is null && row.StartedAt is not null)
            .Select(row => (row, task: graph[graph.IndexOf(row.Parent ?? row.Id)]))
            .Where(x => !x.task.Footprint.IsEmpty)
            .OrderBy(x => x.row.StartedAt)
            .Select(x => new ToolTraceEntry
            {
                Tool = x.task.Kind,
                Args = JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["task"] = x.row.Id }),
                StartedAt = x.row.StartedAt,
                FinishedAt = x.row.FinishedAt,
                ResultSize = x.row.Output is { } output ? System.Text.Encoding.UTF8.GetByteCount(output.GetRawText()) : 0,
                Reads = [.. x.task.Footprint.Reads.Select(r => r.Text)],
                Writes = [.. x.task.Footprint.Writes.Select(w => w.Text)],
            });
    }
}
