namespace Fanout.Templates;

/// <summary>A template could not be rendered: a syntax error or a reference that does not resolve.</summary>
public sealed class TemplateException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TemplateException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
