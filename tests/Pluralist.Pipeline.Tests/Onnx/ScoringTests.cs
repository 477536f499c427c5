using System.Globalization;
using Pluralist.Core.Text;
using Pluralist.Pipeline.Images;
using Pluralist.Pipeline.Onnx;
using Pluralist.Pipeline.Scoring;
using Pluralist.Pipeline.Selection;

namespace Pluralist.Pipeline.Tests.Onnx;

/// <summary>CLIP-architecture scorers (CLIP score, PickScore/HPSv2 preference) and the automatic evaluator on the tiny ONNX CLIP.</summary>
public sealed class ScoringTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pluralist-scoring-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    [Fact]
    public void Preference_scores_are_the_models_own_logits_and_clip_score_is_100_times_the_positive_cosine()
    {
        using var model = OnnxClipModel.Load(Golden.ModelFolder);
        var files = Golden.Images.Select(i => i.File).Where(f => !f.EndsWith(".jpg", StringComparison.Ordinal)).ToArray();
        var all = Golden.Images.Select(i => i.File).ToList();
        var images = files.Select(f => ImageCodec.DecodeFile(Path.Combine(Golden.ImageFolder, f))).ToArray();
        var captions = Golden.Captions.Select(c => c.Text).ToArray();
        var logits = Golden.Matrix("logits_per_image");
        var pick = new OnnxClipScorer(model, ScoreKind.Preference).Score(captions, images);
        var clipScore = new OnnxClipScorer(model, ScoreKind.ClipScore).Score(captions, images);
        for (int i = 0; i < files.Length; i++)
        {
            for (int j = 0; j < captions.Length; j++)
            {
                // PyTorch's logits_per_image = exp(logit_scale) * cos, here exp(3.5) = 33.1 (not CLIP's 100).
                Assert.Equal(logits[all.IndexOf(files[i])][j], pick[i][j].Score, 1e-4);
                Assert.Equal(100 * Math.Max(0, pick[i][j].Cosine), clipScore[i][j].Score, 1e-9);
            }
        }

        Assert.Contains(clipScore.SelectMany(r => r), s => s.Cosine < 0 && s.Score == 0);
    }

    [Fact]
    public void Shares_ranks_and_pair_preferences_stay_within_one_prompt()
    {
        using var model = OnnxClipModel.Load(Golden.ModelFolder);
        var evaluator = new AutomaticEvaluator(new OnnxClipScorer(model, ScoreKind.Preference));
        Assert.Equal(7, evaluator.Criteria.Count);
        Assert.Equal(CriterionPrompts.Overall, evaluator.Criteria[0].Criterion);
        string[] ids = ["wide.png", "tall.png", "big.png", "square.png"];
        var p = evaluator.ScorePrompt("1", "a park with benches under maple trees", ids, ids.Select(f => ImageCodec.DecodeFile(Path.Combine(Golden.ImageFolder, f))).ToArray());
        for (int c = 0; c < p.Criteria.Count; c++)
        {
            Assert.Equal(1.0, Enumerable.Range(0, ids.Length).Sum(i => p.Share(c, i)), 1e-12);
            Assert.Equal(Enumerable.Range(1, ids.Length), Enumerable.Range(0, ids.Length).Select(i => p.Rank(c, i)).Order());
            int best = Enumerable.Range(0, ids.Length).MaxBy(i => p.Scores[i][c].Score);
            Assert.Equal(1, p.Rank(c, best));
            // P(image_1) - P(image_0) of the two-image softmax; -1 = image_0 preferred; antisymmetric.
            double s0 = p.Scores[0][c].Score, s1 = p.Scores[1][c].Score;
            double pref = p.Preference(c, ids[0], ids[1]);
            Assert.Equal(Math.Exp(s1) / (Math.Exp(s0) + Math.Exp(s1)) - Math.Exp(s0) / (Math.Exp(s0) + Math.Exp(s1)), pref, 1e-12);
            Assert.Equal(-pref, p.Preference(c, ids[1], ids[0]), 1e-15);
            Assert.Equal(0, p.Preference(c, ids[2], ids[2]));
        }

        // The overall criterion is the prompt itself; other criteria add their words and change the scores.
        Assert.NotEqual(p.Scores[0][0].Score, p.Scores[0][1].Score);
        var other = evaluator.ScorePrompt("2", "une rue calme la nuit", ["small.png"], [ImageCodec.DecodeFile(Path.Combine(Golden.ImageFolder, "small.png"))]);
        var ex = Assert.Throws<ArgumentException>(() => p.Preference(0, ids[0], "small.png"));
        Assert.Contains("same prompt only", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1.0, other.Share(0, 0), 12);
    }

    [Fact]
    public void Criteria_files_are_read_and_their_errors_located()
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "criteria.csv");
        File.WriteAllText(path, "criterion,template\noverall,{prompt}\nshade,\"{prompt}, with shade from trees\"\n");
        var list = CriterionPrompts.Load(path);
        Assert.Equal(["overall", "shade"], list.Select(c => c.Criterion));
        Assert.Equal("a park, with shade from trees", list[1].Text("a park"));
        Assert.Equal("{prompt}, un lieu sûr, de jour comme de nuit", CriterionPrompts.Default("fr")[2].Template);

        File.WriteAllText(path, "criterion,template\nShade!,{prompt} shade\nsafety,a safe place\nsafety,{prompt} safe\n");
        var ex = Assert.Throws<InvalidDataException>(() => CriterionPrompts.Load(path));
        Assert.Contains("criteria.csv:2:1 (criterion): 'Shade!' is not a key", ex.Message, StringComparison.Ordinal);
        Assert.Contains("criteria.csv:3:2 (template): must contain {prompt}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("criteria.csv:4:1 (criterion): 'safety' appears twice", ex.Message, StringComparison.Ordinal);
        File.WriteAllText(path, "name,text\nx,{prompt}\n");
        ex = Assert.Throws<InvalidDataException>(() => CriterionPrompts.Load(path));
        Assert.Contains("(criterion): required column is missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_generation_folder_is_scored_per_prompt_and_criterion_and_selected_with_the_onnx_embedder()
    {
        var job = new GenerationJob(new WorldImageGenerator(), new GenerationJobOptions { OutputFolder = _dir, Variants = 5, Width = 40, Height = 40, Seed = 3 });
        await job.RunAsync([new GenerationPrompt("1", "a park with benches under maple trees"), new GenerationPrompt("2", "une rue calme la nuit")]);
        using var model = OnnxClipModel.Load(Golden.ModelFolder);
        var evaluator = new AutomaticEvaluator(new OnnxClipScorer(model, ScoreKind.Preference),
            [new CriterionPrompt("overall", "{prompt}"), new CriterionPrompt("safety", "{prompt}, a safe place")]);
        var results = evaluator.ScoreFolder(_dir);
        Assert.Equal(["1", "2"], results.Select(r => r.PromptId));

        var scores = ReadCsv(Path.Combine(_dir, "scores.csv"));
        Assert.Equal(2 * 5 * 2, scores.Rows.Count);
        foreach (var g in scores.Rows.GroupBy(r => (scores.Raw(r, "prompt"), scores.Raw(r, "criterion"))))
        {
            Assert.Equal(1.0, g.Sum(r => double.Parse(scores.Raw(r, "share")!, CultureInfo.InvariantCulture)), 1e-9);
            Assert.Equal([1, 2, 3, 4, 5], g.Select(r => int.Parse(scores.Raw(r, "rank")!, CultureInfo.InvariantCulture)).Order());
        }

        var row = scores.Rows.First(r => scores.Raw(r, "prompt") == "1" && scores.Raw(r, "criterion") == "safety");
        Assert.Equal("a park with benches under maple trees, a safe place", scores.Raw(row, "text"));
        Assert.Equal("preference:onnx-clip:tiny-clip", scores.Raw(row, "scorer"));
        var pairs = ReadCsv(Path.Combine(_dir, "score-pairs.csv"));
        Assert.Equal(2 * 10 * 2, pairs.Rows.Count); // C(5, 2) pairs per prompt and criterion, none across prompts
        Assert.All(pairs.Rows, r => Assert.Equal(scores.Raw(scores.Rows.First(s => scores.Raw(s, "file") == pairs.Raw(r, "image_0")), "prompt"), pairs.Raw(r, "prompt")));
        Assert.All(pairs.Rows, r => Assert.Equal(pairs.Raw(r, "prompt"), scores.Raw(scores.Rows.First(s => scores.Raw(s, "file") == pairs.Raw(r, "image_1")), "prompt")));

        var report = FolderSelection.Run(_dir, new OnnxClipImageEmbedder(model), new SelectionOptions { K = 3, RandomDraws = 10, Method = SelectionMethod.QualityWeighted },
            quality: AutomaticEvaluator.ImageTextQuality(_dir, new OnnxClipScorer(model, ScoreKind.Preference)));
        Assert.All(report.Results, r => Assert.Equal(3, r.Selected.Count));
        Assert.Contains("onnx-clip:tiny-clip", File.ReadAllText(Path.Combine(_dir, "selection.csv")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prompt_without_text_or_a_broken_image_is_named_and_nothing_is_written()
    {
        var job = new GenerationJob(new WorldImageGenerator(), new GenerationJobOptions { OutputFolder = _dir, Variants = 3, Width = 40, Height = 40 });
        await job.RunAsync([new GenerationPrompt("1", "a park at night")]);
        using var model = OnnxClipModel.Load(Golden.ModelFolder);
        var evaluator = new AutomaticEvaluator(new OnnxClipScorer(model, ScoreKind.ClipScore));
        var file = Directory.GetFiles(Path.Combine(_dir, "images", "1"), "*.png").Order(StringComparer.Ordinal).First();
        var original = File.ReadAllBytes(file);
        File.WriteAllText(file, "broken");
        var ex = Assert.Throws<InvalidDataException>(() => evaluator.ScoreFolder(_dir));
        Assert.Contains(Path.GetFileName(file), ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "scores.csv")));

        File.WriteAllBytes(file, original);
        var manifest = Path.Combine(_dir, "manifest.csv");
        // Empty the text column, third from the end before language and source (none of the three holds a comma): a
        // manifest that does not record the prompt.
        File.WriteAllLines(manifest, File.ReadAllLines(manifest).Select((l, i) =>
        {
            if (i == 0)
            {
                return l;
            }

            int beforeLanguage = l.LastIndexOf(',', l.LastIndexOf(',') - 1);
            int beforeText = l.LastIndexOf(',', beforeLanguage - 1);
            return l[..(beforeText + 1)] + l[beforeLanguage..];
        }));
        ex = Assert.Throws<InvalidDataException>(() => evaluator.ScoreFolder(_dir));
        Assert.Contains("manifest.csv (text): prompt 1 has no prompt text", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "scores.csv")));
        Assert.False(File.Exists(Path.Combine(_dir, "score-pairs.csv")));
    }

    private static CsvTable ReadCsv(string path)
    {
        var errors = new List<CsvError>();
        using var reader = new StreamReader(path);
        var table = CsvTable.Parse(reader, path, errors);
        Assert.Empty(errors);
        return table;
    }
}
