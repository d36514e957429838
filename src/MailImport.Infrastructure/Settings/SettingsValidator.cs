using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace MailImport.Infrastructure.Settings;

/// <summary>Validates options by their data annotations and names each failure by its setting
/// (MailImport:Destination:ImapPort), the name a person puts in local.settings.json or the app settings.</summary>
internal sealed class SettingsValidator<T>(string sectionName) : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(results.Select(r =>
            $"{string.Join(" or ", r.MemberNames.DefaultIfEmpty("").Select(m => m.Length == 0 ? sectionName : $"{sectionName}:{m}"))}: {r.ErrorMessage}"));
    }
}
