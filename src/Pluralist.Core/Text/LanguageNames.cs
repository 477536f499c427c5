using System.Globalization;

namespace Pluralist.Core.Text;

/// <summary>The English name of a language tag's language, for prompts to a language model and for the console.</summary>
public static class LanguageNames
{
    /// <summary>
    /// "English", "French", or the culture's English name for another tag's base language (<c>de-CH</c> → German); null
    /// when the runtime knows no such culture.
    /// </summary>
    public static string? English(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        var language = tag.Split('-')[0].ToLowerInvariant();
        switch (language)
        {
            case "en":
                return "English";
            case "fr":
                return "French";
        }

        try
        {
            return CultureInfo.GetCultureInfo(language).EnglishName;
        }
        catch (CultureNotFoundException)
        {
            return null;
        }
    }
}
