using System.Diagnostics;
using System.Globalization;

namespace Fanout.Execution;

/// <summary>
/// Each process task runs as the leader of a session of its own (started through <c>setsid</c>), so that everything
/// it starts — background children, children that moved to another process group, grandchildren whose parent has
/// exited — can still be found and killed: every process whose session id is the task's. It also keeps a terminal's
/// Ctrl+C away from tasks: Fanout, not the signal, decides how a cancelled task ends.
/// </summary>
internal static class ProcessSession
{
    /// <summary>util-linux's <c>setsid</c>, where installed. Called by a process that is not a group leader, it
    /// execs the program in place, so the task's pid is its session id.</summary>
    private static readonly string? Setsid = OperatingSystem.IsLinux()
        ? new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists)
        : null;

    /// <summary>Whether tasks get a session of their own here (Linux with <c>setsid</c>; elsewhere the process tree is killed).</summary>
    public static bool Available => Setsid is not null;

    /// <summary>Makes <paramref name="start"/> run <paramref name="program"/> in a new session, when possible; false
    /// when there is no such program (a name is looked up on the PATH the process will get).</summary>
    public static bool Prepare(ProcessStartInfo start, string program)
    {
        if (Setsid is null)
        {
            start.FileName = program;
            return true;
        }

        // Resolved here: once setsid runs, a missing program would only be its exit code 127.
        if (Resolve(program, start) is not { } resolved)
        {
            return false;
        }

        start.FileName = Setsid;
        start.ArgumentList.Insert(0, resolved);
        return true;
    }

    private static string? Resolve(string program, ProcessStartInfo start)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            var full = Path.GetFullPath(program, start.WorkingDirectory.Length > 0 ? start.WorkingDirectory : Environment.CurrentDirectory);
            return File.Exists(full) ? full : null;
        }

        var path = start.Environment.TryGetValue("PATH", out var value) ? value : null;
        return (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(candidate => File.Exists(candidate) && !Directory.Exists(candidate));
    }

    /// <summary>SIGKILLs <paramref name="process"/> and every process in its session, until a scan finds none (a
    /// process may fork while the first ones are killed).</summary>
    public static void KillAll(Process process)
    {
        if (Setsid is null)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }

            return;
        }

        for (var round = 0; round < 10; round++)
        {
            var members = Members(process.Id);
            if (members.Count == 0)
            {
                return;
            }

            foreach (var pid in members)
            {
                try
                {
                    using var member = Process.GetProcessById(pid);
                    member.Kill();
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // Gone meanwhile.
                }
            }
        }
    }

    /// <summary>Live processes (not zombies) whose session id is <paramref name="session"/>, from /proc.</summary>
    internal static List<int> Members(int session)
    {
        var members = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // exited while listed
            }

            // "pid (comm) state ppid pgrp session …": comm may hold spaces and parentheses, so split after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 3 && fields[0] != "Z" && fields[3] == session.ToString(CultureInfo.InvariantCulture))
            {
                members.Add(pid);
            }
        }

        return members;
    }
}
