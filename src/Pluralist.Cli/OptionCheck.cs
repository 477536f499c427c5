using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Pluralist.Cli;

/// <summary>
/// Refuses unknown options, for every command of a tree. Left alone, System.CommandLine takes an unknown <c>--name</c> as
/// a value when the option before it accepts several words (<c>world render --prompt a park --sed 5</c> would draw the
/// words "sed" and "5") or as a positional argument. Here a token that looks like an option and is not one of the
/// resolved command's options (its own and the recursive ones of the commands above it) is a usage error naming it
/// and listing the valid options; usage errors exit 1, with the command's help.
/// </summary>
/// <remarks>
/// A token looks like an option when it starts with <c>-</c>, is longer than one character and is not a number
/// (<c>-0.5</c> is a value). A value that starts with <c>-</c> is written attached to its option, <c>--name=-x</c> (or
/// <c>--name:-x</c>); a positional argument that does comes after <c>--</c>, which ends the options. Response files
/// (<c>@file</c>) are off: <c>@</c> is an ordinary character, so every token is checked.
/// </remarks>
public static class OptionCheck
{
    /// <summary>Parses <paramref name="args"/> against <paramref name="root"/> and adds an error for every unknown option.</summary>
    public static ParseResult Parse(Command root, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(args);
        var parse = root.Parse(args, Configuration());
        var unknown = UnknownOptions(parse.CommandResult, args);
        if (unknown.Count == 0)
        {
            return parse;
        }

        // The parser reports errors through validators; one on the resolved command carries this error, for this parse only.
        var command = parse.CommandResult.Command;
        var message = Message(parse.CommandResult, unknown);
        Action<CommandResult> validator = result => result.AddError(message);
        command.Validators.Add(validator);
        try
        {
            return root.Parse(args, Configuration());
        }
        finally
        {
            command.Validators.Remove(validator);
        }
    }

    /// <summary>The tokens of <paramref name="args"/> that look like options but are not options of <paramref name="command"/>.</summary>
    public static IReadOnlyList<string> UnknownOptions(CommandResult command, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(args);
        var valid = ValidOptions(command).SelectMany(o => o.Aliases.Prepend(o.Name)).ToHashSet(StringComparer.Ordinal);
        var unknown = new List<string>();
        foreach (var arg in args)
        {
            if (arg == "--")
            {
                break; // the rest are positional arguments
            }

            if (!LooksLikeOption(arg) || valid.Contains(arg))
            {
                continue;
            }

            // --name=value and --name:value give a value to a known option.
            var split = arg.AsSpan().IndexOfAny('=', ':');
            if (split > 0 && valid.Contains(arg[..split]))
            {
                continue;
            }

            unknown.Add(arg);
        }

        return unknown;
    }

    /// <summary>Whether <paramref name="token"/> would be read as an option name: <c>-x</c> or <c>--name</c>, not <c>-</c> and not a number.</summary>
    public static bool LooksLikeOption(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return token.Length > 1 && token[0] == '-' && !double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
    }

    /// <summary>The options <paramref name="command"/> accepts: its own, then the recursive ones of the commands above it.</summary>
    public static IReadOnlyList<Option> ValidOptions(CommandResult command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var options = new List<Option>(command.Command.Options);
        for (var parent = command.Parent as CommandResult; parent is not null; parent = parent.Parent as CommandResult)
        {
            options.AddRange(parent.Command.Options.Where(o => o.Recursive && !options.Contains(o)));
        }

        return options;
    }

    private static string Message(CommandResult command, IReadOnlyList<string> unknown)
    {
        var path = new List<string>();
        for (CommandResult? c = command; c is not null; c = c.Parent as CommandResult)
        {
            path.Insert(0, c.Parent is null ? "pluralist" : c.Command.Name);
        }

        var options = ValidOptions(command).Where(o => !o.Hidden).Select(o => o.Aliases.Count == 0 ? o.Name : $"{o.Name} ({string.Join(", ", o.Aliases.Order(StringComparer.Ordinal))})");
        var what = unknown.Count == 1 ? $"unknown option '{unknown[0]}'" : $"unknown options {string.Join(", ", unknown.Select(u => $"'{u}'"))}";
        return $"{what} for '{string.Join(' ', path)}'; its options are {string.Join(", ", options)}. A value that starts with '-' is written attached: --option=VALUE.";
    }

    // No response files: '@' starts no file name, and every token the parser sees is one checked here.
    private static ParserConfiguration Configuration() => new() { ResponseFileTokenReplacer = null };
}
