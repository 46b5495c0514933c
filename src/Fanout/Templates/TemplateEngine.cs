using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using HandlebarsDotNet;

namespace Fanout.Templates;

/// <summary>
/// Renders Handlebars templates over a <see cref="TemplateScope"/>. Output is not HTML-escaped (prompts and argv are
/// not HTML). Every path outside a guarding block (<c>#if</c>, <c>#each</c>…) must resolve, otherwise rendering fails
/// with the path and the part of it that exists. The <c>json</c> helper writes a value as JSON.
/// </summary>
public static class TemplateEngine
{
    private static readonly IHandlebars Handlebars = CreateHandlebars();
    private static readonly ConcurrentDictionary<string, HandlebarsTemplate<object, object>> Cache = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="text"/> contains template syntax at all (plain strings skip the engine).</summary>
    public static bool IsTemplate(string text) => text.Contains("{{", StringComparison.Ordinal);

    /// <summary>The syntax error of <paramref name="template"/>, or null when it compiles.</summary>
    public static string? SyntaxError(string template)
    {
        try
        {
            Compile(template);
            return null;
        }
        catch (TemplateException e)
        {
            return e.Message;
        }
    }

    /// <summary>Renders <paramref name="template"/>; throws <see cref="TemplateException"/> on syntax errors and unresolved paths.</summary>
    public static string Render(string template, TemplateScope scope)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(scope);
        if (!IsTemplate(template))
        {
            return template;
        }

        var compiled = Compile(template);
        foreach (var reference in TemplateScanner.References(template))
        {
            if (!reference.Guarded && !PathExpression.TryResolve(scope.Json, reference.Path, out _, out var prefix))
            {
                throw new TemplateException(prefix.Length == 0
                    ? $"'{reference.Path}' is undefined: '{reference.Root}' is not in scope"
                    : $"'{reference.Path}' is undefined: '{prefix}' has no '{PathExpression.Split(reference.Path)[PathExpression.Split(prefix).Length]}'");
            }
        }

        try
        {
            return compiled(scope.Objects);
        }
        catch (Exception e) when (e is HandlebarsException or InvalidOperationException)
        {
            throw new TemplateException(e.Message, e);
        }
    }

    private static HandlebarsTemplate<object, object> Compile(string template) =>
        Cache.GetOrAdd(template, static t =>
        {
            // Fanout's own rules first: what they reject, Handlebars would compile and then fail on when rendering.
            if (TemplateRules.Problem(t) is { } problem)
            {
                throw new TemplateException(problem);
            }

            try
            {
                return Handlebars.Compile(t);
            }
            catch (Exception e) when (e is HandlebarsException or InvalidOperationException or ArgumentException)
            {
                // Handlebars.Net reports some malformed templates with a bare InvalidOperationException or
                // ArgumentNullException (a second {{else}}, a block with no value); they are syntax errors all the same.
                throw new TemplateException(e.Message.ReplaceLineEndings(" ").Trim(), e);
            }
        });

    private static IHandlebars CreateHandlebars()
    {
        var handlebars = HandlebarsDotNet.Handlebars.Create(new HandlebarsConfiguration { NoEscape = true, FormatProvider = CultureInfo.InvariantCulture });
        handlebars.Configuration.FormatterProviders.Add(new JsonValueFormatter());
        handlebars.RegisterHelper("json", (writer, _, arguments) =>
            writer.WriteSafeString(arguments.Length == 0 ? "null" : JsonSerializer.Serialize(arguments[0])));
        handlebars.RegisterHelper("eq", (_, arguments) =>
            arguments.Length == 2 && Equals(arguments[0]?.ToString(), arguments[1]?.ToString()));
        return handlebars;
    }
}

/// <summary>
/// Writes objects and arrays as JSON and booleans as <c>true</c>/<c>false</c>. Handlebars.Net would otherwise write a
/// dictionary's key/value pairs as .NET type names and <c>True</c>, which is never what a prompt or argv wants.
/// </summary>
internal sealed class JsonValueFormatter : HandlebarsDotNet.IO.IFormatterProvider, HandlebarsDotNet.IO.IFormatter
{
    public bool TryCreateFormatter(Type type, out HandlebarsDotNet.IO.IFormatter formatter)
    {
        formatter = this;
        return type == typeof(bool) || typeof(Dictionary<string, object?>).IsAssignableFrom(type) || typeof(List<object?>).IsAssignableFrom(type);
    }

    public void Format<T>(T value, in HandlebarsDotNet.EncodedTextWriter writer) =>
        writer.Write(value is bool b ? (b ? "true" : "false") : JsonSerializer.Serialize<object?>(value), encode: false);
}
