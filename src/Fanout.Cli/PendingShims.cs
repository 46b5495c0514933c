// TEMPORARY: stand-ins for APIs the `report` branch is adding (HtmlReport, GraphExport). Deleted when it is merged.
namespace Fanout;

internal static class HtmlReport
{
    public static string Render(RunReport report) => "<html>" + report.RunId + "</html>";
}

internal static class GraphExport
{
    public static string ToMermaid(TaskGraph graph, IReadOnlySet<string>? critical) => throw new NotImplementedException(graph.Plan.Name + critical);

    public static string ToDot(TaskGraph graph, IReadOnlySet<string>? critical) => throw new NotImplementedException(graph.Plan.Name + critical);

    public static IReadOnlyList<string> EstimatedCriticalPath(TaskGraph graph, Func<TaskDefinition, TimeSpan>? estimator = null) =>
        throw new NotImplementedException(graph.Plan.Name + estimator);
}
