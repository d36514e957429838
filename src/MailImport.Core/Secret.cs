using System.Text.Json;
using System.Text.Json.Serialization;

namespace MailImport.Core;

/// <summary>A password held in memory: it never prints or serialises itself.</summary>
/// <remarks>
/// Every type that carries a password carries it as a <see cref="Secret"/>, so a record's generated
/// <c>ToString()</c>, a log template or an exception message can only ever show <see cref="Mask"/>.
/// Serialisation throws rather than masks: a password that reaches a JSON writer is a bug (it would end
/// up in orchestration history or a blob), and masking would hide the bug while losing the password.
/// </remarks>
[JsonConverter(typeof(SecretJsonConverter))]
public sealed class Secret : IEquatable<Secret>
{
    /// <summary>What a secret shows instead of its value, as imapsync prints MASKED.</summary>
    public const string Mask = "***";

    private readonly string value;

    /// <summary>Wraps a password.</summary>
    public Secret(string value) => this.value = value ?? throw new ArgumentNullException(nameof(value));

    /// <summary>Number of UTF-16 code units in the password.</summary>
    public int Length => value.Length;

    /// <summary>The password itself, for the one place that must send it (a LOGIN, a secret store).</summary>
    public string Reveal() => value;

    /// <inheritdoc/>
    public override string ToString() => Mask;

    /// <inheritdoc/>
    public bool Equals(Secret? other) => other is not null && string.Equals(value, other.value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Secret);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(value);
}

/// <summary>Refuses to put a <see cref="Secret"/> into JSON or take one out of it.</summary>
public sealed class SecretJsonConverter : JsonConverter<Secret>
{
    private const string Refusal =
        "A password is never serialised. Store it in the secret store and pass the secret's name instead.";

    /// <inheritdoc/>
    public override Secret Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException(Refusal);

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, Secret value, JsonSerializerOptions options) =>
        throw new NotSupportedException(Refusal);
}
