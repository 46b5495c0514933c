using System.Text.Json;

namespace Fanout.Schema;

/// <summary>prefixItems, items, contains (with minContains/maxContains), minItems, maxItems, uniqueItems.</summary>
internal static class ArrayKeywords
{
    public static void Compile(SchemaObject s, List<Keyword> into)
    {
        var prefix = s.Has("prefixItems") ? s.SchemaArray("prefixItems") : [];
        if (prefix.Length > 0)
        {
            into.Add(new PrefixItemsKeyword(s.PathOf("prefixItems"), prefix));
        }

        if (s.TryGet("items", out var items))
        {
            if (items.ValueKind == JsonValueKind.Array)
            {
                throw s.Invalid("items", "items must be a schema (draft 2020-12 spells the tuple form prefixItems)");
            }

            into.Add(new ItemsKeyword(s.PathOf("items"), s.Subschema("items"), prefix.Length));
        }

        if (s.Has("contains"))
        {
            var min = s.Has("minContains") ? s.NonNegativeInteger("minContains") : 1;
            int? max = s.Has("maxContains") ? s.NonNegativeInteger("maxContains") : null;
            into.Add(new ContainsKeyword(s.PathOf("contains"), s.Subschema("contains"), min, max));
        }

        if (s.Has("minItems"))
        {
            into.Add(new CountKeyword(s.PathOf("minItems"), s.NonNegativeInteger("minItems"), isMinimum: true));
        }

        if (s.Has("maxItems"))
        {
            into.Add(new CountKeyword(s.PathOf("maxItems"), s.NonNegativeInteger("maxItems"), isMinimum: false));
        }

        if (s.TryGet("uniqueItems", out var unique))
        {
            if (unique.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                throw s.Invalid("uniqueItems", "uniqueItems must be a boolean");
            }

            if (unique.ValueKind == JsonValueKind.True)
            {
                into.Add(new UniqueItemsKeyword(s.PathOf("uniqueItems")));
            }
        }
    }

    private sealed class PrefixItemsKeyword(string path, SchemaNode[] schemas) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            if (instance.ValueKind != JsonValueKind.Array)
            {
                return true;
            }

            var valid = true;
            var i = 0;
            foreach (var item in instance.EnumerateArray())
            {
                if (i >= schemas.Length)
                {
                    break;
                }

                if (!evaluation.Child(schemas[i], item, at.Item(i)))
                {
                    valid = false;
                    if (evaluation.IsQuiet)
                    {
                        break;
                    }
                }

                i++;
            }

            evaluation.Annotations?.AddItemsBefore(Math.Min(instance.GetArrayLength(), schemas.Length));
            return valid;
        }
    }

    private sealed class ItemsKeyword(string path, SchemaNode schema, int start) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            if (instance.ValueKind != JsonValueKind.Array || instance.GetArrayLength() <= start)
            {
                return true;
            }

            if (schema.IsFalse)
            {
                return Fail(evaluation, at, $"must have at most {start} {JsonValues.Plural(start, "item", "items")}, got {instance.GetArrayLength()}");
            }

            evaluation.Annotations?.AddItemsBefore(int.MaxValue);
            var valid = true;
            var i = 0;
            foreach (var item in instance.EnumerateArray())
            {
                if (i >= start && !evaluation.Child(schema, item, at.Item(i)))
                {
                    valid = false;
                    if (evaluation.IsQuiet)
                    {
                        break;
                    }
                }

                i++;
            }

            return valid;
        }
    }

    private sealed class ContainsKeyword(string path, SchemaNode schema, int min, int? max) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            if (instance.ValueKind != JsonValueKind.Array)
            {
                return true;
            }

            var count = 0;
            var i = 0;
            foreach (var item in instance.EnumerateArray())
            {
                if (evaluation.Child(schema, item, at.Item(i), quiet: true))
                {
                    count++;
                    evaluation.Annotations?.AddItem(i);
                }

                i++;
            }

            if (count < min)
            {
                return Fail(evaluation, at, $"must contain at least {min} {JsonValues.Plural(min, "item", "items")} matching 'contains', got {count}");
            }

            return max is not { } most || count <= most
                || Fail(evaluation, at, $"must contain at most {most} {JsonValues.Plural(most, "item", "items")} matching 'contains', got {count}");
        }
    }

    private sealed class CountKeyword(string path, int limit, bool isMinimum) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            if (instance.ValueKind != JsonValueKind.Array)
            {
                return true;
            }

            var count = instance.GetArrayLength();
            return (isMinimum ? count >= limit : count <= limit)
                || Fail(evaluation, at, $"must have at {(isMinimum ? "least" : "most")} {limit} {JsonValues.Plural(limit, "item", "items")}, got {count}");
        }
    }

    private sealed class UniqueItemsKeyword(string path) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            if (instance.ValueKind != JsonValueKind.Array)
            {
                return true;
            }

            var items = instance.EnumerateArray().ToArray();
            for (var i = 0; i < items.Length; i++)
            {
                for (var j = i + 1; j < items.Length; j++)
                {
                    if (JsonValues.DeepEquals(items[i], items[j]))
                    {
                        return Fail(evaluation, at, $"must not contain duplicate items (items {i} and {j} are equal)");
                    }
                }
            }

            return true;
        }
    }
}
