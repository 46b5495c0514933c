using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Fanout.Server;

/// <summary>Who made a request: a token's name, or the anonymous local user when the server has no tokens.</summary>
internal sealed record Caller(string Name, bool Admin)
{
    private const string Key = "fanout.caller";

    public static readonly Caller Local = new("local", Admin: true);

    public static Caller Of(HttpContext context) => (Caller)context.Items[Key]!;

    public void Attach(HttpContext context) => context.Items[Key] = this;

    /// <summary>Whether this caller may see or cancel a run owned by <paramref name="owner"/>.</summary>
    public bool CanSee(string owner) => Admin || string.Equals(owner, Name, StringComparison.Ordinal);
}

/// <summary>Bearer-token checks, in constant time over fixed-length digests so neither content nor length leaks.</summary>
internal sealed class TokenChecker(IReadOnlyList<ApiToken> tokens)
{
    private readonly (ApiToken Token, byte[] Digest)[] _tokens = [.. tokens.Select(t => (t, Digest(t.Value)))];

    public bool Required => _tokens.Length > 0;

    /// <summary>The caller the header proves, or null.</summary>
    public Caller? Authenticate(string? authorization)
    {
        if (!Required)
        {
            return Caller.Local;
        }

        const string Scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var given = Digest(authorization[Scheme.Length..].Trim());
        ApiToken? match = null;
        // Every token is compared, so the time taken does not say which one (or whether any) matched.
        foreach (var (token, digest) in _tokens)
        {
            if (CryptographicOperations.FixedTimeEquals(given, digest))
            {
                match = token;
            }
        }

        return match is null ? null : new Caller(match.Name, match.Admin);
    }

    private static byte[] Digest(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}
