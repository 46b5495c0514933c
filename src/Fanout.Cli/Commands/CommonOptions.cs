using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Fanout.Plans;

namespace Fanout.Cli.Commands;

/// <summary>Arguments and options several commands share. Each call makes a new symbol: a symbol has one parent.</summary>
internal static class CommonOptions
{
    public static Argument<string> Plan() => NotEmpty(new Argument<string>("PLAN") { Description = "The plan file (YAML or JSON)" });

    public static Option<string[]> Inputs() => new("--input", "-i")
    {
        Description = "A plan input: NAME=VALUE (VALUE is JSON, else a string), NAME=@FILE (the file's content), or @FILE.json (an object of inputs). Repeatable",
        HelpName = "NAME=VALUE",
        Arity = ArgumentArity.ZeroOrMore,
        DefaultValueFactory = _ => [],
    };

    public static Option<int?> Concurrency() =>
        new Option<int?>("--concurrency", "-c")
        {
            Description = $"Most tasks running at once (default: the plan's concurrency, else {RunOptions.DefaultConcurrency})",
            HelpName = "N",
        }.Between(1, PlanLimits.MaxConcurrency);

    public static Option<bool> Json(string description) => new("--json") { Description = description };

    /// <summary>An argument that must not be empty (<c>validate ''</c> names no file).</summary>
    public static Argument<string> NotEmpty(Argument<string> argument)
    {
        argument.Validators.Add(result =>
        {
            if (result.Tokens is [{ Value: var value }] && string.IsNullOrWhiteSpace(value))
            {
                result.AddError($"{argument.Name} must not be empty");
            }
        });
        return argument;
    }

    // Numbers are parsed here rather than by System.CommandLine's converters so that every bad value, out of range or
    // not a number at all, is one message naming the option and the range.

    /// <summary>The option takes an integer from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Option<int?> Between(this Option<int?> option, int min, int max)
    {
        option.CustomParser = result => ParseInt(result, option.Name, min, max);
        return option;
    }

    /// <inheritdoc cref="Between(Option{int?}, int, int)"/>
    public static Option<int> Between(this Option<int> option, int min, int max)
    {
        option.CustomParser = result => ParseInt(result, option.Name, min, max) ?? 0;
        return option;
    }

    /// <summary>The option takes a number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Option<decimal?> Between(this Option<decimal?> option, decimal min, decimal max)
    {
        option.CustomParser = result =>
        {
            var text = Token(result);
            if (decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            {
                return value;
            }

            result.AddError($"{option.Name} must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, got '{text}'");
            return null;
        };
        return option;
    }

    private static int? ParseInt(ArgumentResult result, string name, int min, int max)
    {
        var text = Token(result);
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        result.AddError($"{name} must be an integer from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, got '{text}'");
        return null;
    }

    private static string Token(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
}
