using Pluralist.Studies.Console.Dataset;

namespace Pluralist.Web.Console.Dataset;

/// <summary>What the ratings partial (shared by the console and the public viewer) draws, with the links and image URLs of its host.</summary>
public sealed record RatingsPart(LikertView View, LikertFilter Filter, bool SeesParticipants, string KeptLink, string DroppedLink, string PreviousLink, string NextLink,
    Func<long, string> Thumbnail, Func<long, string> FullImage);
