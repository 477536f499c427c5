using Pluralist.Web.Infrastructure;
using Pluralist.Web.Participation;

var builder = WebApplication.CreateBuilder(args);
builder.AddPluralistStorage();
builder.Services.AddParticipantSecurity(builder.Configuration);
builder.Services.AddParticipantLocalization();
builder.Services.AddParticipation();
builder.Services.AddRazorPages();
builder.Services.AddProblemDetails();

var app = builder.Build();
await app.PrepareDatabaseAsync();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseStaticFiles();
app.UseRouting();
app.UseRateLimiter();
app.UseAuthentication();
app.UseAuthorization();
app.MapRazorPages();
app.MapParticipantApi();
app.MapLanguageSwitch();
await app.RunAsync();

namespace Pluralist.Web
{
    /// <summary>Entry point type, public so tests can host the app.</summary>
    public partial class Program;
}
