using Pluralist.Web;

var app = await PluralistWebApp.CreateAsync(args);
await app.RunAsync();

namespace Pluralist.Web
{
    /// <summary>Entry point type, public so tests can host the app.</summary>
    public partial class Program;
}
