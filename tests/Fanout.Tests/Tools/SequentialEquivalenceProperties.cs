using CsCheck;

namespace Fanout.Tests.Tools;

/// <summary>
/// The promise of a tool batch: run in parallel wherever footprints allow, it gives exactly the results and the final
/// files of running the same calls one by one in call order. Each case is a random batch of reads, appends, writes,
/// directory listings and glob searches over a small file tree, with random durations on a virtual clock (so
/// overlapping calls really do interleave, deterministically). CsCheck shrinks a failing batch to a minimal one and
/// prints its seed.
/// </summary>
public sealed class SequentialEquivalenceProperties
{
    private static readonly Gen<FileTree.Op[]> Batches =
        Gen.Select(Gen.Int[0, FileTree.Tools.Length - 1], Gen.Int[0, 7], Gen.Int[0, 9], Gen.Int[1, 5], (tool, target, text, ms) => new FileTree.Op(tool, target, text, ms))
            .Array[1, 10];

    [Fact]
    public void A_parallel_batch_gives_the_results_and_files_of_sequential_execution()
    {
        Batches.Sample(ops =>
        {
            var expectedTree = new FileTree();
            var expected = expectedTree.RunSequentially(ops);
            var tree = new FileTree();

            var (results, _) = FileTree.RunBatch(tree, ops);

            Assert.Equal(expected, results);
            Assert.Equal(expectedTree.Snapshot(), tree.Snapshot());
        }, iter: 3000, print: ops => string.Join(" ", ops.Select(o => o.ToString())));
    }

    [Fact]
    public void A_sequential_batch_gives_the_same_results_as_a_parallel_one()
    {
        Batches.Sample(ops =>
        {
            var (parallel, _) = FileTree.RunBatch(new FileTree(), ops);
            var (sequential, _) = FileTree.RunBatch(new FileTree(), ops, sequential: true);

            Assert.Equal(sequential, parallel);
        }, iter: 1000, print: ops => string.Join(" ", ops.Select(o => o.ToString())));
    }

    [Fact]
    public void Without_footprints_two_appends_to_one_file_lose_an_update()
    {
        // The property above can fail: this is the race footprints prevent.
        FileTree.Op[] ops = [new(1, 0, 1, 3), new(1, 1, 2, 3)];
        var expected = new FileTree();
        expected.RunSequentially(ops);
        var tree = new FileTree();

        FileTree.RunBatch(tree, ops, footprints: false);

        Assert.Equal("a.txt=A12;d/e/z.txt=Z;d/x.txt=X", expected.Snapshot());
        Assert.NotEqual(expected.Snapshot(), tree.Snapshot());
    }
}
