using System.Globalization;

namespace MailImport.Bench;

/// <summary>A wrong command line: the message says what to fix.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>"--name value" options and bare "--flag"s; every option must be read, so a typo cannot pass silently.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);
    private readonly HashSet<string> flags = new(StringComparer.Ordinal);
    private readonly HashSet<string> read = new(StringComparer.Ordinal);

    public CommandLine(IReadOnlyList<string> args, IReadOnlySet<string> knownFlags)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || name.Length == 2)
            {
                throw new UsageException($"unexpected argument '{name}'");
            }

            if (knownFlags.Contains(name))
            {
                flags.Add(name);
            }
            else if (i + 1 < args.Count)
            {
                if (!values.TryAdd(name, args[++i]))
                {
                    throw new UsageException($"{name} is given twice");
                }
            }
            else
            {
                throw new UsageException($"{name} needs a value");
            }
        }
    }

    public bool Flag(string name)
    {
        read.Add(name);
        return flags.Contains(name);
    }

    public string? Optional(string name)
    {
        read.Add(name);
        return values.GetValueOrDefault(name);
    }

    public string Required(string name) => Optional(name) ?? throw new UsageException($"{name} is required");

    public long Number(string name, long fallback, long min, long max)
    {
        if (Optional(name) is not { } text)
        {
            return fallback;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new UsageException($"{name} must be a whole number from {min} to {max}, not '{text}'");
        }

        return value;
    }

    public int Number(string name, int fallback, int min, int max) => (int)Number(name, (long)fallback, min, max);

    /// <summary>Call after reading every option: anything left over is a mistake.</summary>
    public void RejectUnread()
    {
        var unknown = values.Keys.Concat(flags).Where(n => !read.Contains(n)).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"unknown option {string.Join(", ", unknown)}");
        }
    }
}
