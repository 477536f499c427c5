using System.CommandLine;
using Pluralist.Data;
using Pluralist.Studies;
using Pluralist.Studies.Accounts;
using Pluralist.Studies.Console;
using Pluralist.Studies.Console.Evaluation;

namespace Pluralist.Cli;

/// <summary><c>pluralist study evaluation STUDY --aligned A --base B</c>: blind A/B evaluation pairs with matched seeds over held-out prompts.</summary>
public static class StudyEvaluationCommand
{
    public static Command Create()
    {
        var study = new Argument<string>("STUDY") { Description = "The study's key or id." };
        var aligned = new Option<string>("--aligned") { Description = "The aligned model's generator name (A; shown as image_1 in exports).", Required = true };
        var baseline = new Option<string>("--base") { Description = "The base model's generator name (B; image_0).", Required = true };
        var seeds = new Option<int>("--seeds") { Description = "Matched seeds per prompt: pairs of the two models' images made with the same seed (default 1, at most 64).", DefaultValueFactory = _ => 1 };
        var training = new Option<string?>("--training") { Description = "The training dataset folder (dataset build, JSONL or Parquet): prompts in its train split are refused, named, so the evaluation runs on held-out prompts." };
        var skip = new Option<bool>("--skip-trained") { Description = "With --training: leave the trained prompts out (and name them) instead of refusing." };
        var batch = new Option<long?>("--batch") { Description = "Put the pairs in this batch (id)." };
        var command = new Command("evaluation", "Create blind A/B evaluation pairs between two generators of a study's pool: per prompt, up to N pairs whose images share their seed; prompts the aligned model was trained on are refused with --training. Pairs that exist are not made twice.")
        {
            study, aligned, baseline, seeds, training, skip, batch,
        };
        command.SetAction(CliContext.Run(async (parse, ct) =>
        {
            var (data, options) = CliContext.Resolve(parse);
            if (parse.GetValue(skip) && parse.GetValue(training) is null)
            {
                throw new CliInputException("--skip-trained needs --training");
            }

            var trained = parse.GetValue(training) is { } dir ? await TrainingPrompts.ReadAsync(dir, ct).ConfigureAwait(false) : null;
            await StudyLookup.RequireCurrentSchemaAsync(options, ct).ConfigureAwait(false);
            await using var db = PluralistDatabase.CreateContext(options);
            var target = await StudyLookup.FindStudyAsync(db, parse.GetValue(study)!, ct).ConfigureAwait(false);
            if (parse.GetValue(batch) is { } b && target.Batches.All(x => x.Id != b))
            {
                throw new CliInputException($"--batch {b}: study {target.Key} has no such batch");
            }

            var console = new ConsoleService(db, new OutboxEmailSender(data, TimeProvider.System));
            var design = new EvaluationDesign(parse.GetValue(aligned)!, parse.GetValue(baseline)!, parse.GetValue(seeds), trained, parse.GetValue(skip), parse.GetValue(batch));
            var made = await new EvaluationStudies(db, console).CreateEvaluationAsync(null, target, design, ct).ConfigureAwait(false);
            Console.WriteLine($"created {made.Pairs} evaluation pairs over {made.Prompts} prompts in study {target.Key}: {made.MatchedBySeed} with the same seed for both models, " +
                $"{made.ByOrder} of images without seeds (paired in order), {made.AlreadyThere} existed already");
            foreach (var p in made.NoCommonSeed)
            {
                Console.WriteLine($"  no seed in common, no pair: '{p}'");
            }

            foreach (var p in made.TrainingPromptsLeftOut)
            {
                Console.WriteLine($"  in the training dataset, left out: '{p}'");
            }

            if (trained is not null)
            {
                Console.WriteLine($"held out: no evaluation pair's prompt is among the {trained.Count} prompts of the training split");
            }

            return 0;
        }));
        return command;
    }
}
