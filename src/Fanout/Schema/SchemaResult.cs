namespace Fanout.Schema;

/// <summary>One reason an instance does not satisfy a schema.</summary>
/// <param name="InstancePath">JSON Pointer to the failing value in the instance ("/pages/2/title"; "" for the root).</param>
/// <param name="SchemaPath">
/// JSON Pointer to the failing keyword in the schema document, after following <c>$ref</c>
/// ("/$defs/page/properties/title/type").
/// </param>
/// <param name="Message">What is wrong, for humans ("must be integer, got string").</param>
public sealed record SchemaError(string InstancePath, string SchemaPath, string Message)
{
    /// <summary>"/pages/2/title: must be string, got integer" (the root shows as "(root)").</summary>
    public override string ToString() => $"{(InstancePath.Length == 0 ? "(root)" : InstancePath)}: {Message}";
}

/// <summary>The outcome of <see cref="JsonSchema.Validate"/>.</summary>
/// <param name="IsValid">True when the instance satisfies the schema.</param>
/// <param name="Errors">Every error found (empty when valid).</param>
public sealed record SchemaResult(bool IsValid, IReadOnlyList<SchemaError> Errors);
