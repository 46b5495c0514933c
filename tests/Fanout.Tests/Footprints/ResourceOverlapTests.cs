using Fanout.Footprints;

namespace Fanout.Tests.Footprints;

/// <summary>When two footprint entries touch the same thing: the hard cases of paths, globs, names and case.</summary>
public sealed class ResourceOverlapTests
{
    private static bool Overlap(string a, string b, PathCase pathCase = PathCase.Sensitive, string? baseDirectory = null) =>
        Resource.Parse(a, baseDirectory).Overlaps(Resource.Parse(b, baseDirectory), pathCase);

    [Fact]
    public void Dot_slash_and_the_plain_path_are_the_same_file()
    {
        Assert.True(Overlap("./a.txt", "a.txt"));
        Assert.Equal("a.txt", Resource.Parse("./a.txt").Text);
    }

    [Fact]
    public void Parent_segments_are_resolved_before_comparing()
    {
        Assert.Equal("b/c.txt", Resource.Parse("a/../b//c.txt").Text);
        Assert.True(Overlap("a/../b/c.txt", "b/c.txt"));
        Assert.False(Overlap("a/../b/c.txt", "a/b/c.txt"));
    }

    [Fact]
    public void A_directory_covers_the_files_inside_it()
    {
        Assert.True(Overlap("src", "src/deep/a.cs"));
        Assert.True(Overlap("src/deep/a.cs", "src/"));
    }

    [Fact]
    public void A_sibling_sharing_a_name_prefix_is_not_inside_the_directory()
    {
        Assert.False(Overlap("src", "srcx/a.cs"));
    }

    [Fact]
    public void A_star_matches_within_one_directory_only()
    {
        Assert.True(Overlap("src/*.cs", "src/a.cs"));
        Assert.False(Overlap("src/*.cs", "src/a.md"));
        Assert.False(Overlap("*.cs", "src/a.cs"));
    }

    [Fact]
    public void A_double_star_matches_at_any_depth()
    {
        Assert.True(Overlap("**/*.cs", "src/deep/a.cs"));
        Assert.True(Overlap("src/**", "src"));
        Assert.False(Overlap("src/**/*.cs", "tests/a.cs"));
    }

    [Fact]
    public void Two_globs_overlap_when_some_path_matches_both()
    {
        Assert.True(Overlap("src/*.cs", "src/a*"));
        Assert.True(Overlap("a/**/b.txt", "a/c/*"));
        Assert.False(Overlap("*.cs", "*.md"));
        Assert.False(Overlap("logs/2024-*.txt", "logs/2025-*.txt"));
    }

    [Fact]
    public void A_glob_overlaps_a_directory_it_could_match_inside()
    {
        Assert.True(Overlap("out/*/report.txt", "out/x"));
    }

    [Fact]
    public void Character_classes_match_their_members_and_two_classes_are_assumed_to_meet()
    {
        Assert.True(Overlap("file[0-9].txt", "file5.txt"));
        Assert.False(Overlap("file[0-9].txt", "filex.txt"));
        Assert.False(Overlap("file[!0-9].txt", "file5.txt"));
        Assert.True(Overlap("file[ab].txt", "file[xy].txt"));
    }

    [Fact]
    public void Named_resources_overlap_only_the_same_name()
    {
        Assert.True(Overlap("db:orders", "db:orders"));
        Assert.False(Overlap("db:orders", "db:users"));
        Assert.True(Overlap("url:https://api.example.com/v1", "url:https://api.example.com/v1"));
        Assert.Equal(ResourceKind.Named, Resource.Parse("url:https://api.example.com/v1").Kind);
    }

    [Fact]
    public void A_named_resource_never_overlaps_a_path()
    {
        Assert.False(Overlap("db:orders", "db"));
        Assert.False(Overlap("db:orders", "**"));
    }

    [Fact]
    public void A_dot_slash_path_that_looks_like_a_scheme_is_a_file()
    {
        Assert.Equal(ResourceKind.Path, Resource.Parse("./notes:v2").Kind);
        Assert.True(Overlap("./notes:v2", "./x/../notes:v2"));
        Assert.Equal(ResourceKind.Named, Resource.Parse("notes:v2").Kind);
    }

    [Fact]
    public void Paths_are_case_sensitive_by_default_as_on_Linux()
    {
        Assert.False(Overlap("Src/A.cs", "src/a.cs"));
        Assert.True(Overlap("Src/A.cs", "src/a.cs", PathCase.Insensitive));
        Assert.True(Overlap("SRC/*.CS", "src/a.cs", PathCase.Insensitive));
    }

    [Fact]
    public void A_relative_and_an_absolute_path_are_assumed_to_overlap_without_a_base()
    {
        Assert.True(Overlap("/tmp/x.txt", "y.txt"));
    }

    [Fact]
    public void With_a_base_directory_relative_paths_compare_as_absolute_ones()
    {
        Assert.True(Overlap("/work/plan/a.txt", "a.txt", baseDirectory: "/work/plan"));
        Assert.False(Overlap("/tmp/a.txt", "a.txt", baseDirectory: "/work/plan"));
        Assert.Equal("a.txt", Resource.Parse("a.txt", "/work/plan").Text);
    }

    [Fact]
    public void Everything_overlaps_paths_and_names()
    {
        Assert.True(Overlap("*:*", "db:orders"));
        Assert.True(Overlap("*:*", "a/b"));
    }
}

/// <summary>Which pairs of footprints must run in order, and why.</summary>
public sealed class FootprintConflictTests
{
    [Fact]
    public void Reading_what_an_earlier_call_writes_is_read_after_write()
    {
        var conflict = Footprint.Writing("out/a.txt").ConflictWith(Footprint.Reading("out"));

        Assert.Equal(ConflictKind.ReadAfterWrite, conflict?.Kind);
        Assert.Equal("read-after-write: 'b' reads out, which overlaps out/a.txt that 'a' writes", conflict!.Describe("a", "b"));
    }

    [Fact]
    public void Writing_what_an_earlier_call_reads_is_write_after_read()
    {
        Assert.Equal(ConflictKind.WriteAfterRead, Footprint.Reading("a.txt").ConflictWith(Footprint.Writing("./a.txt"))?.Kind);
    }

    [Fact]
    public void Two_writes_of_the_same_file_are_write_after_write()
    {
        Assert.Equal(ConflictKind.WriteAfterWrite, Footprint.Writing("a.txt").ConflictWith(Footprint.Writing("a.txt"))?.Kind);
    }

    [Fact]
    public void Reads_never_conflict_with_reads()
    {
        Assert.Null(Footprint.Reading("a.txt", "**").ConflictWith(Footprint.Reading("a.txt")));
    }

    [Fact]
    public void Everything_conflicts_with_any_footprint_that_touches_something()
    {
        Assert.NotNull(Footprint.Everything.ConflictWith(Footprint.Reading("db:orders")));
        Assert.Null(Footprint.Everything.ConflictWith(Footprint.None));
    }
}
