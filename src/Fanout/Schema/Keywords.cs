namespace Fanout.Schema;

/// <summary>
/// Compiles the keywords of one schema object, family by family (one file each under <c>Keywords/</c>).
/// Keywords Fanout does not know are ignored, as draft 2020-12 asks; keywords it knows but does not implement are
/// refused, because ignoring them would accept instances the schema's author meant to reject.
/// </summary>
internal static class Keywords
{
    private static readonly Dictionary<string, string> Unsupported = new(StringComparer.Ordinal)
    {
        ["$dynamicRef"] = "$dynamicRef is not supported (use $ref)",
        ["$recursiveRef"] = "$recursiveRef (draft 2019-09) is not supported (use $ref)",
    };

    public static Keyword[] Compile(SchemaObject schema)
    {
        foreach (var (keyword, message) in Unsupported)
        {
            if (schema.Has(keyword))
            {
                throw schema.Invalid(keyword, message);
            }
        }

        var keywords = new List<Keyword>();
        CoreKeywords.Compile(schema, keywords);
        LogicKeywords.Compile(schema, keywords);
        NumberKeywords.Compile(schema, keywords);
        StringKeywords.Compile(schema, keywords);
        ArrayKeywords.Compile(schema, keywords);
        ObjectKeywords.Compile(schema, keywords);
        UnevaluatedKeywords.Compile(schema, keywords); // last: reads what the others evaluated
        return [.. keywords];
    }
}
