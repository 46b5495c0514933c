using System.ClientModel;
using Fanout.Simulator;
using Microsoft.Extensions.Time.Testing;
using OpenAI.Chat;

namespace Fanout.Tests.Simulator;

/// <summary>The per-key buckets and the header formats, without and with HTTP.</summary>
public class LimiterTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(20, "20ms")]
    [InlineData(1000, "1s")]
    [InlineData(1500, "1.5s")]
    [InlineData(360_000, "6m0s")]
    [InlineData(90_250, "1m30.25s")]
    [InlineData(3_600_000, "1h0m0s")]
    public void Reset_durations_are_written_as_Go_does(int milliseconds, string expected) =>
        Assert.Equal(expected, GoDuration.Format(TimeSpan.FromMilliseconds(milliseconds)));

    [Fact]
    public void Tokens_refill_continuously_and_the_wait_says_when_enough_is_back()
    {
        var time = new FakeTimeProvider();
        var limiter = new KeyLimiter(new SimulatorKey("a", "k") { Tpm = 600 }, time);

        Assert.True(limiter.TryAdmit(500, 0).Admitted);
        var refused = limiter.TryAdmit(200, 0);
        time.Advance(refused.RetryAfter);
        var admitted = limiter.TryAdmit(200, 0);

        Assert.False(refused.Admitted);
        Assert.Equal(TimeSpan.FromSeconds(10), refused.RetryAfter); // 100 missing at 10 per second
        Assert.True(admitted.Admitted);
        Assert.Equal(0, limiter.Tokens!.Value.Remaining);
    }

    [Fact]
    public void Output_charge_is_corrected_to_the_real_count()
    {
        var limiter = new KeyLimiter(new SimulatorKey("a", "k") { Otpm = 1000 }, new FakeTimeProvider());

        limiter.TryAdmit(0, 800);
        limiter.Settle(800, 50);

        Assert.Equal(950, limiter.OutputTokens!.Value.Remaining);
    }

    [Fact]
    public async Task Requests_that_fail_still_count_against_the_rpm()
    {
        await using var server = await SimulatorFixture.Start(new SimulatorKey("a", SimulatorFixture.Key) { Rpm = 2 }, new FakeTimeProvider(),
            new FaultSettings { Script = [HttpFault.ServerError] });
        var client = SimulatorFixture.OpenAI(server);

        var failed = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("1")]));
        await client.CompleteChatAsync([new UserChatMessage("2")]);
        var limited = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("3")]));

        Assert.Equal((500, 429), (failed.Status, limited.Status));
    }

    [Fact]
    public async Task Fault_rate_of_one_fails_every_request_with_the_given_kinds()
    {
        await using var server = await SimulatorFixture.Start(faults: new FaultSettings { Rate = 1, Kinds = [HttpFault.Unavailable] });
        var client = SimulatorFixture.OpenAI(server);

        for (var i = 0; i < 3; i++)
        {
            var e = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage($"q{i}")]));
            Assert.Equal(503, e.Status);
        }
    }
}
