using Fanout.Execution;
using Fanout.Plans;

namespace Fanout.Tests.Agents;

/// <summary>
/// The argv each preset builds, as the CLIs document their headless mode — Claude Code: <c>claude -p PROMPT
/// --output-format json</c> with <c>--permission-mode</c> and <c>--allowedTools</c>; Codex: <c>codex exec --json
/// [--sandbox MODE] PROMPT</c>; Gemini CLI: <c>gemini -p PROMPT --output-format json</c> with <c>--approval-mode</c> and
/// <c>--allowed-tools</c> — and each CLI's JSON result read into answer, tokens, cost and session.
/// </summary>
public sealed class AgentPresetTests
{
    private static PlanDefinition Parse(string yaml) => PlanLoader.Parse(yaml, "plan.yaml", Path.GetTempPath());

    private static string[] Argv(string worker, string options = "")
    {
        var plan = Parse($$"""
            name: p
            workers: { aider: [aider, --yes, --message], fake: { preset: claude, program: ./bin/claude } }
            tasks:
              - { id: t, worker: {{worker}}, prompt: "Fix the bug; don't 'quote' $HOME"{{options}} }
            """);
        var body = (AgentBody)plan.Tasks[0].Body;
        return [.. plan.Worker(body.Worker)!.Argv(body)];
    }

    private const string Prompt = "Fix the bug; don't 'quote' $HOME";

    [Fact]
    public void Claude_code_runs_print_mode_with_json_output_and_the_plans_permission_mode_and_allowed_tools()
    {
        Assert.Equal(["claude", "-p", Prompt, "--output-format", "json"], Argv("claude"));
        Assert.Equal(
            ["claude", "-p", Prompt, "--output-format", "json", "--permission-mode", "acceptEdits", "--allowedTools", "Read,Edit,Bash(git diff:*)"],
            Argv("claude", ", permission_mode: acceptEdits, allowed_tools: [Read, Edit, 'Bash(git diff:*)']"));
        Assert.Equal(["./bin/claude", "-p", Prompt, "--output-format", "json"], Argv("fake"));
    }

    [Fact]
    public void Codex_runs_exec_with_json_events_and_the_sandbox_the_permission_mode_maps_to()
    {
        Assert.Equal(["codex", "exec", "--json", Prompt], Argv("codex"));
        Assert.Equal(["codex", "exec", "--json", "--sandbox", "workspace-write", Prompt], Argv("codex", ", permission_mode: acceptEdits"));
        Assert.Equal(["codex", "exec", "--json", "--sandbox", "read-only", Prompt], Argv("codex", ", permission_mode: plan"));
    }

    [Fact]
    public void Gemini_cli_runs_prompt_mode_with_json_output_and_the_approval_mode_and_allowed_tools()
    {
        Assert.Equal(["gemini", "-p", Prompt, "--output-format", "json"], Argv("gemini"));
        Assert.Equal(
            ["gemini", "-p", Prompt, "--output-format", "json", "--approval-mode", "auto_edit", "--allowed-tools", "read_file", "--allowed-tools", "write_file"],
            Argv("gemini", ", permission_mode: acceptEdits, allowed_tools: [read_file, write_file]"));
    }

    [Fact]
    public void A_plain_command_gets_the_prompt_appended_and_refuses_preset_options_at_their_line()
    {
        Assert.Equal(["aider", "--yes", "--message", Prompt], Argv("aider"));

        var e = Assert.Throws<PlanException>(() => Parse("""
            name: p
            workers: { aider: [aider, --message] }
            tasks:
              - { id: a, worker: aider, prompt: x, permission_mode: acceptEdits }
              - { id: b, worker: codex, prompt: x, allowed_tools: [Read] }
              - { id: c, worker: claude, prompt: x, permission_mode: yolo }
            """));
        Assert.Contains(e.Diagnostics, d => d.Message.StartsWith("task 'a': worker 'aider' is a plain command", StringComparison.Ordinal) && d.Location!.Line == 4);
        Assert.Contains(e.Diagnostics, d => d.Message.StartsWith("task 'b': worker 'codex' (codex) has no per-tool allow list", StringComparison.Ordinal) && d.Location!.Line == 5);
        Assert.Contains(e.Diagnostics, d => d.Message.Contains("'permission_mode' must be one of: default, acceptEdits, plan, bypassPermissions; got 'yolo'", StringComparison.Ordinal));
    }

    [Fact]
    public void Claude_codes_json_result_gives_answer_usage_cost_and_session()
    {
        var result = AgentResult.Parse(AgentCli.Claude, """
            {"type":"result","subtype":"success","is_error":false,"duration_ms":2100,"num_turns":2,"result":"Wrote it.","session_id":"4f1c","total_cost_usd":0.0123,"usage":{"input_tokens":10,"cache_creation_input_tokens":200,"cache_read_input_tokens":3000,"output_tokens":40}}
            """);

        Assert.Equal(new AgentResult("Wrote it.", false, new TokenUsage(3210, 40, 3000), 0.0123m, "4f1c"), result);
    }

    [Fact]
    public void Codex_json_events_give_the_last_agent_message_summed_usage_and_the_thread_id()
    {
        var result = AgentResult.Parse(AgentCli.Codex, """
            {"type":"thread.started","thread_id":"0199a213-81c0-7800-8aa1-bbab2a035a53"}
            {"type":"turn.started"}
            {"type":"item.completed","item":{"id":"item_0","type":"reasoning","text":"Looking at the repo"}}
            {"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","aggregated_output":"src\n","exit_code":0,"status":"completed"}}
            {"type":"item.completed","item":{"id":"item_2","type":"agent_message","text":"Fixed the bug in src/app.py."}}
            {"type":"turn.completed","usage":{"input_tokens":24763,"cached_input_tokens":24448,"output_tokens":122}}
            """);
        var failed = AgentResult.Parse(AgentCli.Codex, """
            {"type":"thread.started","thread_id":"t-2"}
            {"type":"turn.started"}
            {"type":"error","message":"stream disconnected before completion"}
            {"type":"turn.failed","error":{"message":"stream disconnected before completion"}}
            """);

        Assert.Equal(new AgentResult("Fixed the bug in src/app.py.", false, new TokenUsage(24763, 122, 24448), null, "0199a213-81c0-7800-8aa1-bbab2a035a53"), result);
        Assert.Equal(("stream disconnected before completion", true, "t-2"), (failed!.Text, failed.IsError, failed.SessionId));
    }

    [Fact]
    public void Gemini_clis_json_gives_the_response_tokens_over_every_model_and_its_errors()
    {
        var result = AgentResult.Parse(AgentCli.Gemini, """
            {"session_id":"c2a1","response":"Done: added the endpoint.","stats":{"models":{"gemini-2.5-pro":{"api":{"totalRequests":2,"totalErrors":0,"totalLatencyMs":5053},"tokens":{"prompt":24939,"candidates":20,"total":25113,"cached":21263,"thoughts":154,"tool":0}},"gemini-2.5-flash":{"api":{"totalRequests":1},"tokens":{"prompt":100,"candidates":5,"total":105,"cached":0,"thoughts":0,"tool":0}}},"tools":{"totalCalls":1},"files":{"totalLinesAdded":3,"totalLinesRemoved":0}}}
            """);
        var failed = AgentResult.Parse(AgentCli.Gemini, """{"error":{"type":"ApiError","message":"Quota exceeded","code":429}}""");

        Assert.Equal(new AgentResult("Done: added the endpoint.", false, new TokenUsage(25039, 179, 21263), null, "c2a1"), result);
        Assert.Equal(("Quota exceeded", true), (failed!.Text, failed.IsError));
    }
}
