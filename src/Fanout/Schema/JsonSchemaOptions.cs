namespace Fanout.Schema;

/// <summary>How a <see cref="JsonSchema"/> is compiled.</summary>
public sealed record JsonSchemaOptions
{
    /// <summary>The defaults: formats asserted, one-second pattern timeout.</summary>
    public static JsonSchemaOptions Default { get; } = new();

    /// <summary>
    /// When true (the default), <c>format</c> is an assertion for the formats Fanout knows (date-time, date, time,
    /// duration, email, hostname, ipv4, ipv6, uri, uri-reference, iri, iri-reference, uri-template, uuid,
    /// json-pointer, relative-json-pointer, regex); other formats are ignored. When false, <c>format</c> is only an annotation, as draft 2020-12 specifies by default.
    /// </summary>
    public bool AssertFormat { get; init; } = true;

    /// <summary>
    /// Longest time one <c>pattern</c> / <c>patternProperties</c> match may take before the instance is reported
    /// invalid (a guard against catastrophic backtracking). Default one second.
    /// </summary>
    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromSeconds(1);
}
