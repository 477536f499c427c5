using Pluralist.Diffusion;
using Pluralist.Pipeline.Raters;
using Pluralist.Studies.Raters;
using Pluralist.World.Imaging;
using Pluralist.World.Simulation;

namespace Pluralist.Cli.Tests;

/// <summary>The offline persona rater read through the same <see cref="SyntheticRater"/> a model server is.</summary>
public class OfflinePersonaRaterTests
{
    [Fact]
    public void Coded_markers_map_to_the_world_profile_and_missing_ones_to_the_baseline()
    {
        var p = OfflinePersonaChatClient.Profile(new Dictionary<string, string> { ["age-band"] = "65-74", ["gender"] = "woman", ["disability"] = "mobility", ["languages"] = "other" });
        Assert.Equal(new IdentityProfile(true, AgeBand.Senior, false, LanguageBackground.Allophone, Gender.Woman), p);
        Assert.Equal(AgeBand.Youth, OfflinePersonaChatClient.Profile(new Dictionary<string, string> { ["age-band"] = "25-34" }).Age);
        Assert.Equal(AgeBand.Adult, OfflinePersonaChatClient.Profile(new Dictionary<string, string> { ["age"] = "41" }).Age);
        Assert.Equal(IdentityProfile.Baseline, OfflinePersonaChatClient.Profile(new Dictionary<string, string>()));
    }

    private static RaterImage Image(byte shade)
    {
        var img = new RgbaImage(64, 64);
        for (int i = 0; i < img.Pixels.Length; i++)
        {
            img.Pixels[i] = (i % 4) == 3 ? (byte)255 : (byte)((shade + (i / 256)) % 256);
        }

        return new RaterImage(Png.Encode(img), "image/png");
    }

    [Fact]
    public async Task It_answers_valid_reproducible_json_and_refuses_what_the_world_cannot_judge()
    {
        using var client = new OfflinePersonaChatClient(PerceptionProbe.Load(CliRunner.Shipped("probe32.safetensors")));
        var rater = new SyntheticRater(client, new RaterOptions { Model = OfflinePersonaChatClient.ModelName });
        var persona = new RaterPersona([new PersonaMarker("disability", "Disability", "mobility")]);
        RaterScale[] criteria = [new("accessibility", "Accessibility", "Easy to get around"), new("safety", "Safety", "Feels safe")];
        var request = new PairRatingRequest("A square", Image(10), Image(200), criteria, persona);

        var one = await rater.RatePairAsync(request);
        var two = await rater.RatePairAsync(request);
        Assert.Equal(RatingStatus.Ok, one.Status);
        Assert.Equal(one.Values, two.Values);
        Assert.All(one.Values, v => Assert.InRange(v, -1, 1));
        Assert.Equal(2, client.ImagesPerceived);

        var likert = await rater.RateLikertAsync(new LikertRatingRequest("A square", Image(10), criteria, RaterPersona.None));
        Assert.Equal(RatingStatus.Ok, likert.Status);
        Assert.All(likert.Values, v => Assert.True(v is >= 1 and <= 5 && v == Math.Floor(v)));

        var harm = await rater.RateLikertAsync(new LikertRatingRequest("A square", Image(10), [new RaterScale("harm-self", "How harmful is this image to you?", "")], persona));
        Assert.Equal(RatingStatus.Refused, harm.Status);
        Assert.Contains("harm-self", harm.Error, StringComparison.Ordinal);
    }
}
