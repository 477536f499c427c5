using System.CommandLine;
using Pluralist.Core.Model;
using Pluralist.Data;
using Pluralist.Studies.Accounts;

namespace Pluralist.Cli;

/// <summary><c>pluralist staff add</c>: console accounts for researchers, liaisons and admins.</summary>
public static class StaffCommands
{
    public static Command Create()
    {
        var staff = new Command("staff", "Console accounts for researchers, community liaisons and admins.");
        var email = new Argument<string>("EMAIL") { Description = "The person's email address (their sign-in name)." };
        var role = new Option<string>("--role") { Description = "liaison, researcher (default) or admin.", DefaultValueFactory = _ => "researcher" };
        var stdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input (at least 12 characters) instead of generating one." };
        var add = new Command("add", "Create a console account, or set a new password and role for an existing one. A generated password is printed once.") { email, role, stdin };
        add.SetAction(CliContext.Run(async (parse, ct) =>
        {
            if (!Tokens.TryParse(parse.GetValue(role), out Role r) || r == Role.Participant)
            {
                throw new CliInputException($"--role '{parse.GetValue(role)}' is not liaison, researcher or admin");
            }

            var password = parse.GetValue(stdin) ? (await Console.In.ReadLineAsync(ct).ConfigureAwait(false))?.Trim() ?? "" : StaffAccounts.NewPassword();
            var (data, options) = CliContext.Resolve(parse);
            data.EnsureCreated();
            await PluralistDatabase.MigrateAsync(options, ct: ct).ConfigureAwait(false);
            await using var db = PluralistDatabase.CreateContext(options);
            var (account, created) = await StaffAccounts.SetAsync(db, parse.GetValue(email)!, r, password, ct).ConfigureAwait(false);
            Console.WriteLine($"{(created ? "created" : "updated")} {account.Email} ({r.ToToken()}); sign in at /console/login");
            if (!parse.GetValue(stdin))
            {
                Console.WriteLine($"password: {password}");
            }

            return 0;
        }));
        staff.Subcommands.Add(add);
        return staff;
    }
}
