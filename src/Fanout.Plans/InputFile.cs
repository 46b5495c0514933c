using System.Globalization;
using System.Text;
using Mono.Unix;

namespace Fanout.Plans;

/// <summary>
/// The one way Fanout reads a file a user names: a plan, a prompt or schema file next to it, an <c>@file</c> input, a
/// <c>--providers</c> or simulator config. Regular files only, and at most <see cref="MaxBytes"/>: a FIFO would block the
/// open until some writer appears, and <c>/dev/zero</c> or a huge file would fill memory, so both fail at once with a
/// reason instead.
/// </summary>
public static class InputFile
{
    /// <summary>The largest file read (8 MiB): far above any plan or prompt, far below what hurts.</summary>
    public const long MaxBytes = 8 << 20;

    /// <summary>The text of <paramref name="path"/> (UTF-8 unless a byte-order mark says otherwise).</summary>
    /// <exception cref="InputFileException">The file is missing, not a regular file, too large or unreadable.</exception>
    public static string ReadText(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
        {
            throw new InputFileException($"a directory, not a file: {fullPath}");
        }

        if (!File.Exists(fullPath))
        {
            throw new InputFileException($"no such file: {fullPath}");
        }

        CheckRegular(fullPath);
        try
        {
            using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (stream.Length > MaxBytes)
            {
                throw TooLarge(fullPath, stream.Length);
            }

            // One byte more than the length, to notice a file that grows while it is read.
            var buffer = new byte[stream.Length + 1];
            var read = 0;
            while (read < buffer.Length && stream.Read(buffer, read, buffer.Length - read) is var n and > 0)
            {
                read += n;
            }

            if (read > stream.Length)
            {
                throw new InputFileException($"changed while it was being read: {fullPath}");
            }

            using var reader = new StreamReader(new MemoryStream(buffer, 0, read), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return reader.ReadToEnd();
        }
        catch (UnauthorizedAccessException)
        {
            throw new InputFileException($"permission denied: {fullPath}");
        }
        catch (IOException e) when (e is not InputFileException)
        {
            throw new InputFileException($"{e.Message.TrimEnd('.')}: {fullPath}");
        }
    }

    private static void CheckRegular(string fullPath)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // stat(2), following links: a link to a regular file is fine, a link to a FIFO is not.
        var type = new UnixFileInfo(fullPath).FileType;
        if (type != FileTypes.RegularFile)
        {
            var what = type switch
            {
                FileTypes.Fifo => "a FIFO (named pipe)",
                FileTypes.CharacterDevice => "a character device",
                FileTypes.BlockDevice => "a block device",
                FileTypes.Socket => "a socket",
                _ => "a special file",
            };
            throw new InputFileException($"{what}, not a regular file: {fullPath}");
        }
    }

    private static InputFileException TooLarge(string fullPath, long bytes) =>
        new($"too large ({bytes.ToString(CultureInfo.InvariantCulture)} bytes or more; the limit is {MaxBytes >> 20} MiB): {fullPath}");
}

/// <summary>A file could not be read by <see cref="InputFile.ReadText"/>; the message is the reason, ending with the full path.</summary>
public sealed class InputFileException : IOException
{
    /// <summary>Creates the exception with its reason.</summary>
    public InputFileException(string message)
        : base(message)
    {
    }
}
