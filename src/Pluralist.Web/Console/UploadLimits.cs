using System.Security.Claims;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Options;
using Pluralist.Core.Model;
using Pluralist.Data.Imports;

namespace Pluralist.Web.Console;

/// <summary>
/// Size limits on a console page's form posts, applied before anything reads the body (it runs
/// before the antiforgery check, which reads the whole form). Handlers named in
/// <see cref="Uploads"/> may send up to <see cref="ImportLimits.MaxUploadBytes"/> (a pool zip) or
/// <see cref="ImportLimits.MaxCsvUploadBytes"/> (a CSV), and only a signed-in researcher may send
/// that much; other posts get a small limit. Files are streamed by the form reader to temporary
/// files past 64 KiB, never held whole in memory. A body over its limit gets 413 and nothing is read further.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class UploadLimitsAttribute(params string[] uploads) : Attribute, IFilterFactory, IOrderedFilter
{
    /// <summary>Handlers that receive uploads, as <c>Handler=kind</c> with kind <c>zip</c> or <c>csv</c>.</summary>
    public IReadOnlyList<string> Uploads { get; } = uploads;

    // Before the antiforgery filter (1000), as ASP.NET's own request-size filters are.
    public int Order => 900;

    public bool IsReusable => true;

    public IFilterMetadata CreateInstance(IServiceProvider serviceProvider) =>
        new Filter(serviceProvider.GetRequiredService<IOptions<ImportLimits>>().Value, Uploads.Select(u => u.Split('=')).ToDictionary(u => u[0], u => u[1], StringComparer.OrdinalIgnoreCase));

    /// <summary>Form fields besides the file, and the multipart boundaries and headers.</summary>
    public const long FormOverhead = 64 << 10;

    private sealed class Filter(ImportLimits limits, Dictionary<string, string> uploads) : IAsyncAuthorizationFilter, IOrderedFilter
    {
        public int Order => 900;

        public async Task OnAuthorizationAsync(AuthorizationFilterContext context)
        {
            var http = context.HttpContext;
            var request = http.Request;
            if (!HttpMethods.IsPost(request.Method) || !request.HasFormContentType)
            {
                return;
            }

            var handler = request.Query["handler"].ToString();
            var kind = uploads.GetValueOrDefault(handler);
            var (limit, key) = kind switch
            {
                "zip" => (limits.MaxUploadBytes, nameof(ImportLimits.MaxUploadBytes)),
                "csv" => (limits.MaxCsvUploadBytes, nameof(ImportLimits.MaxCsvUploadBytes)),
                _ => (FormOverhead, null),
            };
            if (key is not null && !(http.User.IsInRole(nameof(Role.Researcher)) || http.User.IsInRole(nameof(Role.Admin))))
            {
                // Nobody else may upload: refuse before reading a byte of the body.
                context.Result = http.User.FindFirstValue(ClaimTypes.NameIdentifier) is null
                    ? new RedirectResult("/console/login?back=" + Uri.EscapeDataString(request.Path + request.QueryString))
                    : new StatusCodeResult(StatusCodes.Status403Forbidden);
                return;
            }

            var max = limit + (key is null ? 0 : FormOverhead);
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = max;
            }

            if (request.ContentLength > max)
            {
                context.Result = TooLarge(limit, key);
                return;
            }

            http.Features.Set<IFormFeature>(new FormFeature(request, new FormOptions { MultipartBodyLengthLimit = max, ValueCountLimit = 64 }));
            try
            {
                await request.ReadFormAsync(http.RequestAborted);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                context.Result = TooLarge(limit, key);
            }
            catch (InvalidDataException ex)
            {
                context.Result = ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase)
                    ? TooLarge(limit, key)
                    : Problem(StatusCodes.Status400BadRequest, "The form could not be read", ex.Message);
            }
        }

        private static ContentResult TooLarge(long limit, string? key) => Problem(StatusCodes.Status413PayloadTooLarge, "The upload is too large",
            key is null
                ? $"This form accepts at most {ImportLimits.Size(limit)}."
                : $"The upload is larger than {ImportLimits.Size(limit)}, the limit for this form ({ImportLimits.Section}:{key}). Nothing was stored.");

        // RFC 9457 problem details, written here because no formatter has run yet at this stage.
        private static ContentResult Problem(int status, string title, string detail) => new()
        {
            StatusCode = status,
            ContentType = "application/problem+json; charset=utf-8",
            Content = System.Text.Json.JsonSerializer.Serialize(new { type = "about:blank", title, status, detail }),
        };
    }
}
