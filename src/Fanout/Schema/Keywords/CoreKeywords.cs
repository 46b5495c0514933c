using System.Text.Json;

namespace Fanout.Schema;

/// <summary>$ref, type, enum, const.</summary>
internal static class CoreKeywords
{
    private static readonly string[] TypeNames = ["null", "boolean", "object", "array", "number", "string", "integer"];

    public static void Compile(SchemaObject s, List<Keyword> into)
    {
        if (s.TryGet("$ref", out var reference))
        {
            if (reference.ValueKind != JsonValueKind.String)
            {
                throw s.Invalid("$ref", "$ref must be a string");
            }

            into.Add(new RefKeyword(s.PathOf("$ref"), s.Reference("$ref", reference.GetString()!)));
        }

        if (s.TryGet("type", out var type))
        {
            var types = type.ValueKind == JsonValueKind.String ? [type.GetString()!] : s.StringArray("type", type);
            if (types.Length == 0 || types.Any(t => !TypeNames.Contains(t)))
            {
                throw s.Invalid("type", $"type must be one of {string.Join(", ", TypeNames)} (or an array of them)");
            }

            into.Add(new TypeKeyword(s.PathOf("type"), types));
        }

        if (s.TryGet("enum", out var values))
        {
            if (values.ValueKind != JsonValueKind.Array)
            {
                throw s.Invalid("enum", "enum must be an array");
            }

            into.Add(new EnumKeyword(s.PathOf("enum"), [.. values.EnumerateArray()]));
        }

        if (s.TryGet("const", out var constant))
        {
            into.Add(new ConstKeyword(s.PathOf("const"), constant));
        }
    }

    private sealed class RefKeyword(string path, SchemaNode target) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation) =>
            target.Validate(instance, at, evaluation);
    }

    private sealed class TypeKeyword(string path, string[] types) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            var actual = JsonValues.TypeName(instance);
            foreach (var type in types)
            {
                if (type == actual || (type == "number" && actual == "integer"))
                {
                    return true;
                }
            }

            var expected = types.Length == 1 ? types[0] : string.Join(", ", types[..^1]) + " or " + types[^1];
            return Fail(evaluation, at, $"must be {expected}, got {actual}");
        }
    }

    private sealed class EnumKeyword(string path, JsonElement[] values) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            foreach (var value in values)
            {
                if (JsonValues.DeepEquals(instance, value))
                {
                    return true;
                }
            }

            return Fail(evaluation, at, values.Length == 0
                ? "no value is allowed (enum is empty)"
                : $"must be one of {string.Join(", ", values.Take(10).Select(v => JsonValues.Render(v, 40)))}{(values.Length > 10 ? ", …" : "")}; got {JsonValues.Render(instance, 40)}");
        }
    }

    private sealed class ConstKeyword(string path, JsonElement value) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation) =>
            JsonValues.DeepEquals(instance, value)
            || Fail(evaluation, at, $"must be {JsonValues.Render(value)}, got {JsonValues.Render(instance, 40)}");
    }
}
