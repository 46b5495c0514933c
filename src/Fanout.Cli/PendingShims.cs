// TEMPORARY: stand-ins for APIs other branches are adding (plans: InputValues; report: HtmlReport, GraphExport).
// Deleted when those branches are merged into `cli`.
using System.Text.Json;

namespace Fanout.Plans
{
    internal static class InputValues
    {
        public static IReadOnlyDictionary<string, JsonElement> Parse(IEnumerable<string> args, string baseDirectory) =>
            throw new NotImplementedException(baseDirectory + args.Count());
    }
}

namespace Fanout
{
    internal static class HtmlReport
    {
        public static string Render(RunReport report) => throw new NotImplementedException(report.RunId);
    }

    internal static class GraphExport
    {
        public static string ToMermaid(TaskGraph graph, IReadOnlySet<string>? critical) => throw new NotImplementedException(graph.Plan.Name + critical);

        public static string ToDot(TaskGraph graph, IReadOnlySet<string>? critical) => throw new NotImplementedException(graph.Plan.Name + critical);

        public static IReadOnlySet<string> EstimatedCriticalPath(TaskGraph graph, Func<TaskDefinition, TimeSpan>? estimator = null) =>
            throw new NotImplementedException(graph.Plan.Name + estimator);
    }
}
