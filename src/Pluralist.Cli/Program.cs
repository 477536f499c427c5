using Pluralist.Cli;

return await PluralistCommand.RunAsync(args);
