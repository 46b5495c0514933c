using System.Collections.Immutable;

namespace Fanout.Tests.Images;

/// <summary>Artifacts in run.json and report.html.</summary>
public class ImageReportTests
{
    private static RunReport Report(ImmutableArray<string>? artifacts) => new()
    {
        RunId = "r",
        Plan = "p",
        Tasks = [new TaskReport { Id = "images[3]", Kind = "image", Status = TaskState.Succeeded, Artifacts = artifacts }],
    };

    [Fact]
    public void Report_links_each_artifact_relative_to_the_run_directory()
    {
        var html = HtmlReport.Render(Report(["artifacts/images.3-0.png", "artifacts/images.3-1.png"]));

        Assert.Contains("""<a href="artifacts/images.3-0.png">artifacts/images.3-0.png</a>""", html);
        Assert.Contains("""<a href="artifacts/images.3-1.png">artifacts/images.3-1.png</a>""", html);
    }

    [Fact]
    public void Artifact_names_are_escaped_in_links()
    {
        var html = HtmlReport.Render(Report(["artifacts/a b\"<.png"]));

        Assert.Contains("""<a href="artifacts/a%20b%22%3C.png">""", html);
        Assert.DoesNotContain("b\"<.png\">", html);
    }

    [Fact]
    public void Run_json_has_artifacts_only_for_tasks_that_wrote_some()
    {
        Assert.Contains("\"artifacts\": [", Report(["artifacts/x-0.png"]).ToJson());
        Assert.DoesNotContain("\"artifacts\"", Report(null).ToJson());
        Assert.Equal(["artifacts/x-0.png"], RunReport.FromJson(Report(["artifacts/x-0.png"]).ToJson()).Tasks[0].Artifacts!.Value.ToArray());
    }
}
