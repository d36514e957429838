using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MailImport.Infrastructure.Settings;

/// <summary>The one way options are registered: bound from their section, validated by their data annotations (and
/// <see cref="System.ComponentModel.DataAnnotations.IValidatableObject"/>) when the host starts, one type a section.</summary>
public static class ValidatedOptions
{
    /// <summary>Binds <typeparamref name="T"/> from <paramref name="sectionName"/> and validates it at start, so a bad
    /// setting stops the host with its name instead of failing the first import that reads it.</summary>
    /// <exception cref="InvalidOperationException">Another options type binds <paramref name="sectionName"/> already.</exception>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, string sectionName)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(sectionName);
        var bound = services.Select(d => d.ImplementationInstance).OfType<BoundSettingsSection>()
            .FirstOrDefault(b => string.Equals(b.SectionName, sectionName, StringComparison.OrdinalIgnoreCase));
        if (bound is not null && bound.OptionsType != typeof(T))
        {
            // Two types on one section read each other's keys as their own, and neither's validation sees the other's.
            throw new InvalidOperationException($"{sectionName} is bound to {bound.OptionsType.Name} already; {typeof(T).Name} needs a section of its own.");
        }

        if (bound is null)
        {
            services.AddSingleton(new BoundSettingsSection(typeof(T), sectionName));
            services.AddSingleton<IValidateOptions<T>>(new SettingsValidator<T>(sectionName));
        }

        // ValidateOnStart: the host runs every registered validator before it starts (IStartupValidator), see
        // https://learn.microsoft.com/dotnet/core/extensions/options#options-validation
        return services.AddOptions<T>().BindConfiguration(sectionName).ValidateOnStart();
    }
}
