namespace Fanout.Tests.Pools;

public class TokenBucketTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_bucket_holds_its_window_of_the_per_minute_limit_and_starts_full()
    {
        var bucket = new TokenBucket(150_000, TokenBucket.DefaultWindow, T0);

        Assert.Equal(150_000, bucket.Capacity);
        Assert.Equal(TimeSpan.Zero, bucket.TimeUntilAdmit(150_000, T0));
        Assert.Equal(10, new TokenBucket(600, TimeSpan.FromSeconds(1), T0).Capacity);
    }

    [Fact]
    public void The_whole_minute_can_be_spent_up_front_and_then_it_refills_continuously()
    {
        var bucket = new TokenBucket(150_000, TokenBucket.DefaultWindow, T0);
        for (var i = 0; i < 500; i++)
        {
            Assert.Equal(TimeSpan.Zero, bucket.TimeUntilAdmit(300, T0));
            bucket.Reserve(300, T0);
        }

        // 2,500 tokens a second: the next 300 are there 120 ms later.
        Assert.Equal(TimeSpan.FromMilliseconds(120), bucket.TimeUntilAdmit(300, T0));
        Assert.Equal(TimeSpan.Zero, bucket.TimeUntilAdmit(300, T0.AddMilliseconds(120)));
    }

    [Fact]
    public void Settling_refunds_unused_output_but_never_above_capacity()
    {
        var bucket = new TokenBucket(8_000, TokenBucket.DefaultWindow, T0);
        bucket.Reserve(8_000, T0);
        Assert.Equal(TimeSpan.FromSeconds(7.5), bucket.TimeUntilAdmit(1_000, T0));

        bucket.Settle(reserved: 8_000, used: 200, T0);

        Assert.Equal(TimeSpan.Zero, bucket.TimeUntilAdmit(1_000, T0));
        bucket.Settle(reserved: 1_000, used: 0, T0);
        Assert.Equal(8_000, bucket.Level, 6);
    }

    [Fact]
    public void The_time_until_admission_is_never_longer_than_the_bucket_takes_to_fill()
    {
        var bucket = new TokenBucket(60_000, TimeSpan.FromSeconds(1), T0);
        bucket.Reserve(400, T0);
        Assert.Equal(TimeSpan.FromMilliseconds(400), bucket.TimeUntilAdmit(5_000, T0));

        // Larger than this 1 s bucket (but within the minute): it may go into debt, and the debt is waited out.
        bucket.Reserve(5_000, T0.AddMilliseconds(400));
        Assert.Equal(-4_000, bucket.Level, 6);
        Assert.Equal(TimeSpan.FromSeconds(1), bucket.RefillTime);
        Assert.Equal(TimeSpan.FromSeconds(1), bucket.TimeUntilAdmit(0, T0.AddMilliseconds(400)));
    }

    [Fact]
    public void A_charge_larger_than_both_the_bucket_and_the_minute_can_never_be_admitted()
    {
        var minute = new TokenBucket(8_000, TokenBucket.DefaultWindow, T0);
        var second = new TokenBucket(8_000, TimeSpan.FromSeconds(1), T0);

        Assert.False(minute.CanEverAdmit(128_000));
        Assert.True(minute.CanEverAdmit(8_000));
        Assert.True(second.CanEverAdmit(8_000));
        Assert.False(second.CanEverAdmit(8_001));
    }

    [Fact]
    public void A_reported_remaining_is_brought_up_to_now_by_what_refilled_since_the_request_was_sent()
    {
        var bucket = new TokenBucket(60_000, TokenBucket.DefaultWindow, T0); // 1,000 a second
        bucket.Reserve(50_000, T0);

        // Sent at T0, answered 1 s later: the provider said 4,000 remained, so it holds at most 5,000 now.
        var now = T0.AddSeconds(1);
        bucket.Correct(4_000, T0, now);
        Assert.Equal(5_000, bucket.Level, 6);

        // Only ever down: a higher report leaves the level alone.
        bucket.Correct(50_000, T0, now);
        Assert.Equal(5_000, bucket.Level, 6);
    }

    [Fact]
    public void The_time_to_admit_a_run_counts_the_initial_allowance()
    {
        // 600 requests of 300 tokens against 150,000 TPM: 150,000 go at once, the last 30,000 take 12 s.
        Assert.Equal(TimeSpan.FromSeconds(12), TokenBucket.TimeToAdmit(600 * 300, TokenBucket.CapacityOf(150_000, TokenBucket.DefaultWindow), 150_000));
        Assert.Equal(TimeSpan.Zero, TokenBucket.TimeToAdmit(600, TokenBucket.CapacityOf(1_200, TokenBucket.DefaultWindow), 1_200));
    }
}
