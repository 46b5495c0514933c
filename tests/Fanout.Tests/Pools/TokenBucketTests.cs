using Fanout.Providers.Pools;

namespace Fanout.Tests.Pools;

public class TokenBucketTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_bucket_holds_one_burst_of_the_per_minute_limit()
    {
        var bucket = new TokenBucket(600, TimeSpan.FromSeconds(1), T0);

        Assert.Equal(10, bucket.Capacity);
        Assert.Equal(TimeSpan.Zero, bucket.WaitFor(10, T0));
        Assert.Equal(60_000, new TokenBucket(60_000, TimeSpan.FromSeconds(60), T0).Capacity);
    }

    [Fact]
    public void Taking_empties_the_bucket_and_it_refills_continuously()
    {
        var bucket = new TokenBucket(600, TimeSpan.FromSeconds(1), T0);
        bucket.Take(10, T0);

        Assert.Equal(TimeSpan.FromMilliseconds(100), bucket.WaitFor(1, T0));
        Assert.Equal(TimeSpan.FromMilliseconds(500), bucket.WaitFor(5, T0));
        Assert.Equal(TimeSpan.Zero, bucket.WaitFor(5, T0.AddMilliseconds(500)));
    }

    [Fact]
    public void A_request_larger_than_the_bucket_waits_for_a_full_bucket_then_leaves_a_debt()
    {
        var bucket = new TokenBucket(60_000, TimeSpan.FromSeconds(1), T0);
        bucket.Take(400, T0);

        Assert.Equal(TimeSpan.FromMilliseconds(400), bucket.WaitFor(5_000, T0));
        bucket.Take(5_000, T0.AddMilliseconds(400));
        Assert.Equal(-4_000, bucket.Level, 6);
        Assert.Equal(TimeSpan.FromSeconds(4), bucket.WaitFor(0, T0.AddMilliseconds(400)));
    }

    [Fact]
    public void Giving_back_never_fills_the_bucket_above_its_capacity()
    {
        var bucket = new TokenBucket(60_000, TimeSpan.FromSeconds(1), T0);
        bucket.Take(300, T0);
        bucket.Take(-500, T0);

        Assert.Equal(1_000, bucket.Level, 6);
    }
}
