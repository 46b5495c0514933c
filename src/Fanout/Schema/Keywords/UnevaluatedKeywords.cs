using System.Text.Json;

namespace Fanout.Schema;

/// <summary>
/// unevaluatedProperties, unevaluatedItems: apply to what no other keyword of this schema, nor any valid subschema
/// applied in place (allOf, anyOf, oneOf, if/then/else, dependentSchemas, $ref), evaluated. Compiled last so they
/// run after every sibling has recorded its annotations.
/// </summary>
internal static class UnevaluatedKeywords
{
    public static void Compile(SchemaObject s, List<Keyword> into)
    {
        if (s.Has("unevaluatedItems"))
        {
            into.Add(new UnevaluatedItemsKeyword(s.PathOf("unevaluatedItems"), s.Subschema("unevaluatedItems")));
        }

        if (s.Has("unevaluatedProperties"))
        {
            into.Add(new UnevaluatedPropertiesKeyword(s.PathOf("unevaluatedProperties"), s.Subschema("unevaluatedProperties")));
        }
    }

    private sealed class UnevaluatedItemsKeyword(string path, SchemaNode schema) : Keyword(path)
    {
        public override bool NeedsAnnotations => true;

        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            var seen = evaluation.Annotations!;
            if (instance.ValueKind != JsonValueKind.Array)
            {
                return true;
            }

            var valid = true;
            var i = 0;
            foreach (var item in instance.EnumerateArray())
            {
                if (!seen.HasItem(i))
                {
                    var ok = schema.IsFalse
                        ? Fail(evaluation, at.Item(i), "item is not allowed (unevaluatedItems is false)")
                        : evaluation.Child(schema, item, at.Item(i));
                    if (!ok)
                    {
                        valid = false;
                        if (evaluation.IsQuiet)
                        {
                            break;
                        }
                    }
                }

                i++;
            }

            seen.AddItemsBefore(int.MaxValue);
            return valid;
        }
    }

    private sealed class UnevaluatedPropertiesKeyword(string path, SchemaNode schema) : Keyword(path)
    {
        public override bool NeedsAnnotations => true;

        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            var seen = evaluation.Annotations!;
            if (instance.ValueKind != JsonValueKind.Object)
            {
                return true;
            }

            var valid = true;
            foreach (var property in instance.EnumerateObject())
            {
                if (seen.HasProperty(property.Name))
                {
                    continue;
                }

                var ok = schema.IsFalse
                    ? Fail(evaluation, at, $"property '{property.Name}' is not allowed (unevaluatedProperties is false)")
                    : evaluation.Child(schema, property.Value, at.Property(property.Name));
                seen.AddProperty(property.Name);
                if (!ok)
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
}
