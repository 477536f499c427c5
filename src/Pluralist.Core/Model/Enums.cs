namespace Pluralist.Core.Model;

/// <summary>What a person may do in Pluralist. Staff roles are cumulative: admin > researcher > liaison.</summary>
public enum Role
{
    Participant = 0,
    Liaison = 1,
    Researcher = 2,
    Admin = 3,
}

/// <summary>Where a prompt came from (LIVS: workshop prompts and three language-model strategies).</summary>
public enum PromptSource
{
    Human = 0,
    Scenario = 1,
    Llm1 = 2,
    Llm2 = 3,
    Llm3 = 4,
    Template = 5,
}

/// <summary>What a pair is for.</summary>
public enum PairKind
{
    Annotation = 0,
    Evaluation = 1,
    AttentionCheck = 2,
    Gold = 3,
}

/// <summary>Which task a study asks of its participants.</summary>
public enum TaskType
{
    Pairwise = 0,
    Likert = 1,
    Both = 2,
}

/// <summary>What happens to a participant's annotations when they withdraw. Identity markers are always erased.</summary>
public enum WithdrawalPolicy
{
    KeepAnnotations = 0,
    DeleteAnnotations = 1,
}

/// <summary>The kind of answer a client request carries.</summary>
public enum AnswerKind
{
    Comparison = 0,
    Rating = 1,
}

/// <summary>How a batch hands pairs out.</summary>
public enum PairDistribution
{
    Random = 0,
    LeastAnswered = 1,
    Fixed = 2,
}

/// <summary>Quality flags on an image; several may be set.</summary>
[Flags]
public enum ImageFlags
{
    None = 0,
    Broken = 1,
    Distorted = 2,
    Excluded = 4,
}

/// <summary>Why a participant reported an image.</summary>
public enum ImageReportReason
{
    Broken = 0,
    Distorted = 1,
    Other = 2,
}
