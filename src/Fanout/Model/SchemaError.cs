namespace Fanout;

/// <summary>One reason an instance breaks a <see cref="CompiledSchema"/>.</summary>
/// <param name="InstancePath">JSON Pointer to the failing value ("/pages/2/title"; "" for the whole instance).</param>
/// <param name="Message">What is wrong, for the person or the model that fixes it ("must be string, got integer").</param>
public sealed record SchemaError(string InstancePath, string Message)
{
    /// <summary>"/pages/2/title: must be string, got integer" (the whole instance shows as "(root)").</summary>
    public override string ToString() => $"{(InstancePath.Length == 0 ? "(root)" : InstancePath)}: {Message}";

    /// <summary>The first <paramref name="max"/> errors joined by "; ", then how many more there are.</summary>
    public static string Summarize(IReadOnlyList<SchemaError> errors, int max)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var listed = string.Join("; ", errors.Take(max));
        return errors.Count > max ? $"{listed}; … and {errors.Count - max} more" : listed;
    }
}
