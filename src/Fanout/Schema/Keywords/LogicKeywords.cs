using System.Text.Json;

namespace Fanout.Schema;

/// <summary>allOf, anyOf, oneOf, not, if/then/else: applicators that test the same instance against subschemas.</summary>
internal static class LogicKeywords
{
    public static void Compile(SchemaObject s, List<Keyword> into)
    {
        if (s.Has("allOf"))
        {
            into.Add(new AllOfKeyword(s.PathOf("allOf"), s.SchemaArray("allOf")));
        }

        if (s.Has("anyOf"))
        {
            into.Add(new AnyOfKeyword(s.PathOf("anyOf"), s.SchemaArray("anyOf")));
        }

        if (s.Has("oneOf"))
        {
            into.Add(new OneOfKeyword(s.PathOf("oneOf"), s.SchemaArray("oneOf")));
        }

        if (s.Has("not"))
        {
            into.Add(new NotKeyword(s.PathOf("not"), s.Subschema("not")));
        }

        // then/else without if are ignored, as the specification says; they are still compiled (a $ref to them works).
        var then = s.Has("then") ? s.Subschema("then") : null;
        var @else = s.Has("else") ? s.Subschema("else") : null;
        if (s.Has("if"))
        {
            into.Add(new IfKeyword(s.PathOf("if"), s.Subschema("if"), then, @else));
        }
    }

    private sealed class AllOfKeyword(string path, SchemaNode[] schemas) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            // Each branch reports its own errors: "allOf failed" alone would hide which constraint broke.
            var valid = true;
            foreach (var schema in schemas)
            {
                if (!schema.Validate(instance, at, evaluation))
                {
                    valid = false;
                    if (evaluation.IsQuiet)
                    {
                        break;
                    }
                }
            }

            return valid;
        }
    }

    private sealed class AnyOfKeyword(string path, SchemaNode[] schemas) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            // Every branch runs when annotations are collected: each valid one adds what it evaluated.
            var any = false;
            foreach (var schema in schemas)
            {
                if (evaluation.Probe(schema, instance, at))
                {
                    any = true;
                    if (evaluation.Annotations is null)
                    {
                        break;
                    }
                }
            }

            return any || (!evaluation.IsQuiet
                && Fail(evaluation, at, $"must match at least one anyOf schema: {Explain(schemas, instance, at, evaluation)}"));
        }
    }

    private sealed class OneOfKeyword(string path, SchemaNode[] schemas) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            var matched = new List<int>(2);
            for (var i = 0; i < schemas.Length && matched.Count < 2; i++)
            {
                if (evaluation.Probe(schemas[i], instance, at))
                {
                    matched.Add(i);
                }
            }

            return matched.Count switch
            {
                1 => true,
                0 => !evaluation.IsQuiet
                    && Fail(evaluation, at, $"must match exactly one oneOf schema, matched none: {Explain(schemas, instance, at, evaluation)}"),
                _ => Fail(evaluation, at, $"must match exactly one oneOf schema, matched several ([{matched[0]}] and [{matched[1]}])"),
            };
        }
    }

    private sealed class NotKeyword(string path, SchemaNode schema) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation) =>
            // Evaluated apart (like a child): whatever 'not' evaluates is never an annotation of this location.
            !evaluation.Child(schema, instance, at, quiet: true) || Fail(evaluation, at, "must not match the schema in 'not'");
    }

    private sealed class IfKeyword(string path, SchemaNode condition, SchemaNode? then, SchemaNode? @else) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            if (then is null && @else is null && evaluation.Annotations is null)
            {
                return true; // a lone if only matters for the annotations it produces
            }

            var branch = evaluation.Probe(condition, instance, at) ? then : @else;
            return branch is null || branch.Validate(instance, at, evaluation);
        }
    }

    /// <summary>"[0] must be string, got integer; [1] at /name: must be…": the first error of each failed branch.</summary>
    private static string Explain(SchemaNode[] schemas, JsonElement instance, InstancePath at, Evaluation evaluation)
    {
        var prefix = at.ToString();
        var reasons = schemas.Select((schema, i) =>
        {
            var first = evaluation.Capture(schema, instance, at).FirstOrDefault();
            var where = first is null || first.InstancePath == prefix ? "" : $"at {first.InstancePath[prefix.Length..]}: ";
            return $"[{i}] {where}{first?.Message ?? "failed"}";
        });
        return string.Join("; ", reasons);
    }
}
