using System.Text.Json;

namespace Fanout.Schema;

/// <summary>minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf.</summary>
internal static class NumberKeywords
{
    public static void Compile(SchemaObject s, List<Keyword> into)
    {
        Bound(s, into, "minimum", c => c >= 0, ">=");
        Bound(s, into, "exclusiveMinimum", c => c > 0, ">");
        Bound(s, into, "maximum", c => c <= 0, "<=");
        Bound(s, into, "exclusiveMaximum", c => c < 0, "<");
        if (s.Has("multipleOf"))
        {
            var divisor = s.Number("multipleOf");
            if (divisor.Double <= 0)
            {
                throw s.Invalid("multipleOf", "multipleOf must be greater than 0");
            }

            into.Add(new MultipleOfKeyword(s.PathOf("multipleOf"), divisor));
        }
    }

    private static void Bound(SchemaObject s, List<Keyword> into, string keyword, Func<int, bool> holds, string op)
    {
        if (s.Has(keyword))
        {
            into.Add(new BoundKeyword(s.PathOf(keyword), s.Number(keyword), holds, op));
        }
    }

    private sealed class BoundKeyword(string path, Number limit, Func<int, bool> holds, string op) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            if (instance.ValueKind != JsonValueKind.Number)
            {
                return true;
            }

            var value = Number.From(instance);
            return holds(value.CompareTo(limit)) || Fail(evaluation, at, $"must be {op} {limit}, got {value}");
        }
    }

    private sealed class MultipleOfKeyword(string path, Number divisor) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            if (instance.ValueKind != JsonValueKind.Number)
            {
                return true;
            }

            var value = Number.From(instance);
            return value.IsMultipleOf(divisor) || Fail(evaluation, at, $"must be a multiple of {divisor}, got {value}");
        }
    }
}
