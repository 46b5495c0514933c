namespace Fanout.Schema;

/// <summary>A schema could not be compiled: it is invalid, or uses something Fanout's validator does not support.</summary>
public sealed class JsonSchemaException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JsonSchemaException(string schemaPath, string message, Exception? inner = null)
        : base(schemaPath.Length == 0 ? message : $"{schemaPath}: {message}", inner)
    {
        SchemaPath = schemaPath;
    }

    /// <summary>JSON Pointer to the offending place in the schema document ("" for the root).</summary>
    public string SchemaPath { get; }
}
