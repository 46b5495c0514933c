namespace Fanout.Tests.Schema;

/// <summary>
/// THE list of official-suite files and groups the validator does not run, with why. docs/json-schema.md shows the
/// same list (a test keeps the two equal); everything else in the suite must pass.
/// </summary>
internal static class SuiteSkips
{
    /// <summary>A whole file (Group is null) or one group of a file.</summary>
    public sealed record Skip(string File, string? Group, string Reason);

    public static readonly Skip[] All =
    [
        new("dynamicRef.json", null, "$dynamicRef / $dynamicAnchor are not supported"),
        new("optional/dynamicRef.json", null, "$dynamicRef / $dynamicAnchor are not supported"),
        new("unevaluatedItems.json", "unevaluatedItems with $dynamicRef", "$dynamicRef is not supported"),
        new("unevaluatedProperties.json", "unevaluatedProperties with $dynamicRef", "$dynamicRef is not supported"),
        new("refRemote.json", null, "remote $ref is not supported"),
        new("ref.json", "remote ref, containing refs itself", "needs the draft 2020-12 meta-schema (a remote $ref)"),
        new("defs.json", "validate definition against metaschema", "needs the draft 2020-12 meta-schema (a remote $ref)"),
        new("optional/cross-draft.json", null, "remote $ref to an older draft"),
        new("vocabulary.json", null, "$vocabulary and custom meta-schemas are not supported"),
        new("optional/format-assertion.json", null, "$vocabulary and custom meta-schemas are not supported"),
        new("optional/dependencies-compatibility.json", null, "the pre-2019 'dependencies' keyword is not supported (use dependentRequired / dependentSchemas)"),
        new("optional/format/hostname.json", "validation of A-label (punycode) host names", "IDNA2008 rules for punycode labels are not checked"),
        new("optional/format/idn-email.json", null, "format idn-email is not asserted"),
        new("optional/format/idn-hostname.json", null, "format idn-hostname is not asserted"),
    ];

    public static bool Skips(string file, string group) =>
        All.Any(s => s.File == file && (s.Group is null || s.Group == group));
}
