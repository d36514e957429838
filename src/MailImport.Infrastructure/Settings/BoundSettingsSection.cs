namespace MailImport.Infrastructure.Settings;

/// <summary>One section of settings bound to one options type, as <see cref="ValidatedOptions.AddValidatedOptions{T}"/>
/// registered it: the container's own list of every setting it reads.</summary>
/// <param name="OptionsType">The options type.</param>
/// <param name="SectionName">Its configuration section, such as MailImport:Destination.</param>
public sealed record BoundSettingsSection(Type OptionsType, string SectionName);
