using System.CommandLine;

namespace Fanout.Cli.Commands;

/// <summary>Arguments and options several commands share. Each call makes a new symbol: a symbol has one parent.</summary>
internal static class CommonOptions
{
    public static Argument<string> Plan() => new("PLAN") { Description = "The plan file (YAML or JSON)" };

    public static Option<string[]> Inputs() => new("--input", "-i")
    {
        Description = "A plan input: NAME=VALUE (VALUE is JSON, else a string), NAME=@FILE (the file's content), or @FILE.json (an object of inputs). Repeatable",
        HelpName = "NAME=VALUE",
        Arity = ArgumentArity.ZeroOrMore,
        DefaultValueFactory = _ => [],
    };

    public static Option<int?> Concurrency()
    {
        var option = new Option<int?>("--concurrency", "-c")
        {
            Description = $"Most tasks running at once (default: the plan's concurrency, else {RunOptions.DefaultConcurrency})",
            HelpName = "N",
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1)
            {
                result.AddError("--concurrency must be at least 1");
            }
        });
        return option;
    }

    public static Option<bool> Json(string description) => new("--json") { Description = description };
}
