using Microsoft.AspNetCore.Http.HttpResults;
using Pluralist.Core.Model;

namespace Pluralist.Web.Participation.Tasks;

/// <summary>The participant and study an answer is for, or the problem that refused it (<see cref="TaskResults.CurrentAsync"/>).</summary>
public sealed record TaskCaller(Participant? Participant, Study? Study, ProblemHttpResult? Refused);
