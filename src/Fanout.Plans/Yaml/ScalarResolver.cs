using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Fanout.Plans.Yaml;

/// <summary>
/// Resolves plain scalars with the YAML 1.2 core schema, the JSON-compatible one: <c>true</c>/<c>false</c>,
/// <c>null</c>/<c>~</c>/empty, integers and floats; everything else, and anything quoted, is a string. (YAML 1.1's
/// <c>yes</c>/<c>no</c>/<c>on</c>/<c>off</c> booleans are strings here, so <c>on_failure: continue</c> stays text.)
/// </summary>
internal static partial class ScalarResolver
{
    private const string StrTag = "tag:yaml.org,2002:str";

    public static ScalarNode Resolve(Scalar scalar, SourceLocation location)
    {
        var forcedString = !scalar.Tag.IsEmpty && (scalar.Tag.Value == StrTag || scalar.Tag.IsNonSpecific);
        var type = forcedString || scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any)
            ? ScalarType.String
            : TypeOf(scalar.Value);
        return new ScalarNode(location, scalar.Value, type);
    }

    internal static ScalarType TypeOf(string plain) => plain switch
    {
        "" or "~" or "null" or "Null" or "NULL" => ScalarType.Null,
        "true" or "True" or "TRUE" or "false" or "False" or "FALSE" => ScalarType.Boolean,
        _ when Integer().IsMatch(plain) => ScalarType.Integer,
        _ when Float().IsMatch(plain) => ScalarType.Number,
        _ => ScalarType.String,
    };

    [GeneratedRegex("^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")]
    private static partial Regex Float();
}
