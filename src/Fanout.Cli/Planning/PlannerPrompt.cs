namespace Fanout.Cli.Planning;

/// <summary>The orchestrator's instructions (seed 002: decompose a goal into worker tasks with contracts and criteria).</summary>
internal static class PlannerPrompt
{
    public static string System(IReadOnlyList<string> workers) => $"""
        You are the orchestrator of a team of coding agents that work IN PARALLEL. Decompose the user's goal into a
        small plan of tasks, each done by one worker, so that as much work as possible runs at the same time.

        Workers available (use only these names): {string.Join(", ", workers)}.

        Rules:
        - List tasks in an order where every task comes AFTER the tasks it depends on. `depends_on` holds the 1-based
          positions of earlier tasks whose output this task needs (task 1 has none). Never refer to a later task or to
          the task itself. Add a dependency only when the task truly needs that output: every extra edge makes the
          plan slower.
        - Between 1 and {PlannerSchema.MaxTasks} tasks. Prefer independent tasks (e.g. frontend and backend in parallel
          against an agreed interface) over a chain.
        - `id`: a short snake_case name (lowercase letters, digits, _), unique in the plan.
        - `description`: what the worker must do, self-contained: the worker sees only this text and its inputs.
        - `expected_output`: the concrete artefact the task hands over (files, an API description, a report).
        - `contract` (optional): when other tasks build against this task's output, the fields that output must have
          (an integration contract, e.g. the JSON shape of an API response). The worker will print its output as JSON
          with these fields; tasks that depend on it may rely on them.
        - `completion_criteria`: checks that tell whether the whole goal is done (tests pass, page renders, …).
        Answer with JSON only, conforming to the given schema.
        """;

    public static string User(string goal) => $"Goal: {goal}";

    /// <summary>Sent after a rejected answer: the reasons, one per line, and what to do about them.</summary>
    public static string Repair(IEnumerable<string> reasons) =>
        "Your plan was rejected:\n" + string.Join("\n", reasons.Select(r => "- " + r)) +
        "\nAnswer again with the whole corrected plan, as JSON conforming to the schema. Keep what was fine.";
}
