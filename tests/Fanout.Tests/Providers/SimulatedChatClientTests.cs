using System.Text.Json;
using Fanout.Providers.Simulation;
using Fanout.Providers.Tokens;
using Fanout.Time;
using Microsoft.Extensions.AI;
using static Fanout.Tests.Providers.SimHelpers;

namespace Fanout.Tests.Providers;

public class SimulatedChatClientTests
{
    private static readonly LatencyModel Instant = LatencyModel.Fixed(TimeSpan.Zero);

    [Fact]
    public void Same_request_gets_the_same_answer_from_any_client()
    {
        var (a, _) = Timed(clock => new SimulatedChatClient(Settings(Instant), clock).GetResponseAsync(Ask("write a poem")));
        var (b, _) = Timed(clock => new SimulatedChatClient(Settings(Instant), clock).GetResponseAsync(Ask("write a poem")));
        Assert.Equal(a.Text, b.Text);
        Assert.Equal(a.Usage!.OutputTokenCount, b.Usage!.OutputTokenCount);
    }

    [Fact]
    public void Different_prompts_get_different_answers()
    {
        var (a, _) = Timed(clock => new SimulatedChatClient(Settings(Instant), clock).GetResponseAsync(Ask("write a poem")));
        var (b, _) = Timed(clock => new SimulatedChatClient(Settings(Instant), clock).GetResponseAsync(Ask("write a song")));
        Assert.NotEqual(a.Text, b.Text);
    }

    [Fact]
    public void Asking_twice_gives_the_same_answer()
    {
        var ((first, second), _) = Timed(async clock =>
        {
            var client = new SimulatedChatClient(Settings(LatencyModel.Uniform(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2))), clock);
            return (await client.GetResponseAsync(Ask("q")), await client.GetResponseAsync(Ask("q")));
        });
        Assert.Equal(first.Text, second.Text);
    }

    [Fact]
    public void Fixed_latency_takes_exactly_that_long()
    {
        var (_, elapsed) = Timed(clock => new SimulatedChatClient(Settings(LatencyModel.Fixed(TimeSpan.FromMilliseconds(800))), clock).GetResponseAsync(Ask("q")));
        Assert.Equal(TimeSpan.FromMilliseconds(800), elapsed);
    }

    [Fact]
    public void Per_output_token_time_adds_to_the_latency()
    {
        var settings = Settings(LatencyModel.Fixed(TimeSpan.FromMilliseconds(100)), perToken: TimeSpan.FromMilliseconds(2));
        var (response, elapsed) = Timed(clock => new SimulatedChatClient(settings, clock).GetResponseAsync(Ask("q")));
        Assert.Equal(TimeSpan.FromMilliseconds(100 + 2 * response.Usage!.OutputTokenCount!.Value), elapsed);
    }

    [Fact]
    public void Uniform_latency_stays_within_its_bounds_and_spreads_over_them()
    {
        var settings = Settings(LatencyModel.Uniform(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5)));
        var samples = Latencies(settings, 200);
        Assert.All(samples, s => Assert.InRange(s, 3000, 5000));
        Assert.True(samples.Min() < 3200 && samples.Max() > 4800, $"min {samples.Min()} max {samples.Max()}");
    }

    [Fact]
    public void Lognormal_latency_has_the_configured_median_and_a_right_tail()
    {
        var settings = Settings(LatencyModel.LogNormal(TimeSpan.FromSeconds(2), 0.3));
        var samples = Latencies(settings, 400).Order().ToList();
        var median = samples[samples.Count / 2];
        Assert.InRange(median, 1850, 2150);
        // e^(0.3·1.645) ≈ 1.64: about 5% of samples lie above 3.28 s.
        var above = samples.Count(s => s > 3280);
        Assert.InRange(above, 5, 40);
    }

    [Fact]
    public void A_model_entry_overrides_the_star_entry_and_inherits_the_rest()
    {
        var settings = Settings(LatencyModel.Fixed(TimeSpan.FromMilliseconds(500)), perToken: TimeSpan.FromMilliseconds(1)) with { };
        settings = settings with
        {
            Models = settings.Models.Add("gpt-image-1", new ModelSimulation { Latency = LatencyModel.Fixed(TimeSpan.FromSeconds(4)) }),
        };
        var image = settings.For("gpt-image-1");
        Assert.Equal(LatencyModel.Fixed(TimeSpan.FromSeconds(4)), image.Latency);
        Assert.Equal(TimeSpan.FromMilliseconds(1), image.PerOutputToken);
        Assert.Equal(LatencyModel.Fixed(TimeSpan.FromMilliseconds(500)), settings.For("other").Latency);
    }

    [Fact]
    public void Text_answers_have_a_length_within_the_output_token_range()
    {
        var settings = Settings(Instant, outputTokens: (50, 80));
        var (tokens, _) = Timed(async clock =>
        {
            var client = new SimulatedChatClient(settings, clock);
            var counts = new List<long>();
            for (var i = 0; i < 60; i++)
            {
                var response = await client.GetResponseAsync(Ask($"prompt {i}"));
                Assert.Equal((response.Text.Length + 3) / 4, response.Usage!.OutputTokenCount!.Value);
                counts.Add(response.Usage.OutputTokenCount!.Value);
            }

            return counts;
        });
        Assert.All(tokens, t => Assert.InRange(t, 49, 80));
        Assert.True(tokens.Distinct().Count() > 10);
    }

    [Fact]
    public void Max_output_tokens_caps_the_answer_and_reports_length()
    {
        var (response, _) = Timed(clock => new SimulatedChatClient(Settings(Instant, outputTokens: (500, 600)), clock)
            .GetResponseAsync(Ask("q"), new ChatOptions { MaxOutputTokens = 20 }));
        Assert.InRange(response.Usage!.OutputTokenCount!.Value, 19, 20);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
    }

    [Fact]
    public void With_the_tokenizer_a_prompt_counts_as_the_model_tokenizes_it_with_chat_framing()
    {
        var settings = Settings(Instant) with { UseTokenizer = true };
        var (response, _) = Timed(clock => new SimulatedChatClient(settings, clock).GetResponseAsync(Ask("tiktoken is great!"), new ChatOptions { ModelId = "gpt-4o" }));
        Assert.Equal(3 + 6 + 3, response.Usage!.InputTokenCount);
    }

    [Fact]
    public void With_the_tokenizer_a_json_answer_is_tokenized_and_a_text_answer_keeps_its_drawn_length()
    {
        var settings = Settings(Instant, outputTokens: (40, 40)) with { UseTokenizer = true };
        var (json, _) = Timed(clock => new SimulatedChatClient(settings, clock).GetResponseAsync(Ask("q"), Json()));
        var (text, _) = Timed(clock => new SimulatedChatClient(settings, clock).GetResponseAsync(Ask("q")));
        Assert.Equal(ModelTokenizer.Count("gpt-4o-mini", json.Text), json.Usage!.OutputTokenCount);
        Assert.InRange(text.Usage!.OutputTokenCount!.Value, 39, 40);
    }

    [Fact]
    public void Input_tokens_are_a_quarter_of_the_message_characters()
    {
        var messages = new List<ChatMessage> { new(ChatRole.System, new string('s', 40)), new(ChatRole.User, new string('u', 21)) };
        var (response, _) = Timed(clock => new SimulatedChatClient(Settings(Instant), clock).GetResponseAsync(messages));
        Assert.Equal(16, response.Usage!.InputTokenCount); // ceil(61 / 4)
        Assert.Equal("gpt-4o-mini", response.ModelId);
    }

    [Fact]
    public void Json_with_a_schema_fits_the_schema()
    {
        const string schema = """{"type":"object","required":["title","tags"],"properties":{"title":{"type":"string"},"tags":{"type":"array","items":{"type":"string"},"minItems":2}},"additionalProperties":false}""";
        var (response, _) = Timed(clock => new SimulatedChatClient(Settings(Instant), clock).GetResponseAsync(Ask("outline"), Json(schema)));
        Assert.Empty(SchemaConformance.Check(schema, System.Text.Json.Nodes.JsonNode.Parse(response.Text)));
    }

    [Fact]
    public void Json_without_a_schema_is_an_object()
    {
        var (response, _) = Timed(clock => new SimulatedChatClient(Settings(Instant), clock).GetResponseAsync(Ask("anything"), Json()));
        using var document = JsonDocument.Parse(response.Text);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
    }

    [Fact]
    public void Failure_rate_fails_about_that_share_of_calls_and_counts_them()
    {
        var settings = Settings(Instant, failureRate: 0.3, failures: SimulatedFault.ServerError);
        var ((failed, client), _) = Timed(async clock =>
        {
            var c = new SimulatedChatClient(settings, clock);
            var n = 0;
            for (var i = 0; i < 1000; i++)
            {
                try
                {
                    await c.GetResponseAsync(Ask($"p{i}"));
                }
                catch (TaskFailedException e) when (e.Retryable)
                {
                    n++;
                }
            }

            return (n, c);
        });
        Assert.InRange(failed, 250, 350);
        Assert.Equal(failed, client.InjectedFaults[SimulatedFault.ServerError]);
    }

    [Fact]
    public void Retrying_a_failing_request_eventually_succeeds()
    {
        var settings = Settings(Instant, failureRate: 0.5, failures: SimulatedFault.ServerError);
        var (attempts, _) = Timed(async clock =>
        {
            var client = new SimulatedChatClient(settings, clock);
            var counts = new List<int>();
            for (var i = 0; i < 40; i++)
            {
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        await client.GetResponseAsync(Ask($"p{i}"));
                        counts.Add(attempt);
                        break;
                    }
                    catch (TaskFailedException) when (attempt < 20)
                    {
                    }
                }
            }

            return counts;
        });
        Assert.Equal(40, attempts.Count);
        Assert.Contains(attempts, a => a > 1);
    }

    [Fact]
    public void Rate_limit_is_a_retryable_rate_limited_failure()
    {
        var e = FirstFailure(SimulatedFault.RateLimit);
        var limited = Assert.IsType<RateLimitedException>(e);
        Assert.True(limited.Retryable);
        Assert.NotNull(limited.RetryAfter);
    }

    [Fact]
    public void Bad_request_is_not_retryable()
    {
        var e = Assert.IsType<TaskFailedException>(FirstFailure(SimulatedFault.BadRequest));
        Assert.False(e.Retryable);
        Assert.Contains("400", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Timeout_hangs_until_the_caller_cancels()
    {
        var settings = Settings(Instant, failureRate: 1, failures: SimulatedFault.Timeout);
        var (outcome, elapsed) = Timed(async clock =>
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30), clock);
            try
            {
                await new SimulatedChatClient(settings, clock).GetResponseAsync(Ask("q"), cancellationToken: cancel.Token);
                return "answered";
            }
            catch (OperationCanceledException)
            {
                return "cancelled";
            }
        });
        Assert.Equal("cancelled", outcome);
        Assert.Equal(TimeSpan.FromSeconds(30), elapsed);
    }

    [Fact]
    public void Timeout_without_cancellation_fails_after_the_network_timeout()
    {
        var settings = Settings(Instant, failureRate: 1, failures: SimulatedFault.Timeout) with { NetworkTimeout = TimeSpan.FromSeconds(100) };
        var (error, elapsed) = Timed(async clock =>
        {
            try
            {
                await new SimulatedChatClient(settings, clock).GetResponseAsync(Ask("q"));
                return null;
            }
            catch (TaskFailedException e)
            {
                return e;
            }
        });
        Assert.True(error!.Retryable);
        Assert.Equal(TimeSpan.FromSeconds(100), elapsed);
    }

    [Fact]
    public void Malformed_json_is_unparseable_when_json_was_asked()
    {
        var settings = Settings(Instant, failureRate: 1, failures: SimulatedFault.MalformedJson);
        var ((response, client), _) = Timed(async clock =>
        {
            var c = new SimulatedChatClient(settings, clock);
            return (await c.GetResponseAsync(Ask("q"), Json()), c);
        });
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(response.Text));
        Assert.Equal(1, client.InjectedFaults[SimulatedFault.MalformedJson]);
    }

    [Fact]
    public void Malformed_json_fault_leaves_text_answers_alone()
    {
        var settings = Settings(Instant, failureRate: 1, failures: SimulatedFault.MalformedJson);
        var ((response, client), _) = Timed(async clock =>
        {
            var c = new SimulatedChatClient(settings, clock);
            return (await c.GetResponseAsync(Ask("q")), c);
        });
        Assert.NotEmpty(response.Text);
        Assert.Empty(client.InjectedFaults);
    }

    [Fact]
    public void Concurrent_calls_of_one_request_each_get_their_own_occurrence()
    {
        var client = new SimulatedChatClient(Settings(Instant), TimeProvider.System);
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 500, _ => ids.Add(client.GetResponseAsync(Ask("same")).GetAwaiter().GetResult().ResponseId!));
        Assert.Equal(500, client.Calls);
        Assert.Equal(500, ids.Distinct().Count());
    }

    private static Exception FirstFailure(SimulatedFault fault)
    {
        var settings = Settings(Instant, failureRate: 1, failures: fault);
        var (error, _) = Timed(async clock =>
        {
            try
            {
                await new SimulatedChatClient(settings, clock).GetResponseAsync(Ask("q"));
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        });
        return error ?? throw new InvalidOperationException("no failure");
    }

    private static List<double> Latencies(SimulationSettings settings, int count)
    {
        var clock = new VirtualClock();
        var client = new SimulatedChatClient(settings, clock);
        var samples = new List<double>();
        for (var i = 0; i < count; i++)
        {
            var start = clock.GetUtcNow();
            VirtualTime.Run(clock, () => client.GetResponseAsync(Ask($"prompt number {i}")));
            samples.Add((clock.GetUtcNow() - start).TotalMilliseconds);
        }

        return samples;
    }
}
