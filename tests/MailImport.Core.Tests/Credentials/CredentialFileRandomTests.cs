using System.Text;
using MailImport.Core.Credentials;
using MailImport.Core.Errors;
using MailImport.Core.Rules;
using Xunit.Abstractions;

namespace MailImport.Core.Tests.Credentials;

/// <summary>Thousands of random and mutated files: the parser returns results or its own errors, and what it
/// accepts obeys every rule and survives a round trip through the grammar.</summary>
public class CredentialFileRandomTests(ITestOutputHelper output)
{
    private const int Iterations = 4000;

    // Characters that matter to the grammar and the rules, weighted by repetition.
    private static readonly string[] Pieces =
    [
        " ", " ", " ", "\t", "\"", "\"", "\"\"", "\n", "\n", "\r\n", "\r",
        "a", "b", "z", "Q", "0", "7", "@", ".", "-", "_", "!", "#", ":", ";",
        "ivan", "maria.k", "user@old.example", "Secret12", "pas sword", "x",
        "ж", "а", "€", "😀", "\u00A0", "\u0001", "\u007F", "\u2028", "\uFEFF",
    ];

    private const string MutationBytes = "\" \t\r\n\0@.-_aZ9";

    [Fact]
    public void Parse_RandomFiles_OnlyResultsOrOwnErrors()
    {
        var seed = SeedFromEnvironment();
        output.WriteLine($"seed {seed} (set MAILIMPORT_TEST_SEED to replay)");
        var random = new Random(seed);
        var accepted = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var bytes = i % 2 == 0 ? RandomText(random) : Mutate(random, ValidFile(random));
            var result = CredentialFile.Parse(bytes);
            AssertWellFormed(result);
            accepted += result.Entries.Count;
        }

        output.WriteLine($"{Iterations} files, {accepted} entries accepted");
        // The generator must reach the accepting paths too, or the round-trip check proves nothing.
        Assert.True(accepted > Iterations / 2, $"only {accepted} entries accepted");
    }

    [Fact]
    public void Parse_RandomJson_OnlyResultsOrOwnErrors()
    {
        var random = new Random(SeedFromEnvironment());
        for (var i = 0; i < Iterations; i++)
        {
            var json = Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Range(0, random.Next(1, 5)).Select(_ =>
                $$"""{"login":"{{Escape(Field(random))}}","password":"{{Escape(Field(random))}}"}""")) + "]");
            var result = CredentialJson.Parse(i % 3 == 0 ? json : Mutate(random, json));
            AssertWellFormed(result);
        }
    }

    private static void AssertWellFormed(CredentialParseResult result)
    {
        Assert.All(result.Problems, p =>
        {
            Assert.False(string.IsNullOrWhiteSpace(p.Message));
            Assert.Equal(p.Code, ErrorCatalog.Get(p.Code).Code);
        });

        if (result.FileProblem is not null)
        {
            Assert.Empty(result.Entries);
            Assert.Single(result.Problems);
            return;
        }

        Assert.All(result.Problems, p => Assert.InRange(p.LineNumber, 1, int.MaxValue));
        var problemLines = result.Problems.Select(p => p.LineNumber).ToHashSet();
        Assert.All(result.Entries, e =>
        {
            Assert.Empty(DestinationRules.CheckUsername(e.DestinationUsername));
            Assert.Empty(DestinationRules.CheckPassword(e.DestinationPassword!, e.DestinationUsername));
            Assert.DoesNotContain(e.LineNumber, problemLines);
        });
        Assert.Equal(result.Entries.Count, result.Entries.Select(e => DestinationRules.MailboxKey(e.DestinationUsername)).Distinct().Count());
        Assert.True(result.Entries.Select(e => e.LineNumber).SequenceEqual(result.Entries.Select(e => e.LineNumber).Order()), "entries out of order");

        // Round trip: every accepted entry written back in the canonical quoted form parses to itself.
        var canonical = string.Join("\n", result.Entries.Select(e =>
            $"{Quote(e.SourceLogin)} {Quote(e.SourcePassword!.Reveal())} {Quote(e.DestinationUsername)} {Quote(e.DestinationPassword!.Reveal())}"));
        if (result.Entries.Count > 0)
        {
            var again = CredentialFile.Parse(Encoding.UTF8.GetBytes(canonical));
            Assert.Empty(again.Problems);
            Assert.Equal(
                result.Entries.Select(e => (e.SourceLogin, e.SourcePassword!.Reveal(), e.DestinationUsername, e.DestinationPassword!.Reveal())),
                again.Entries.Select(e => (e.SourceLogin, e.SourcePassword!.Reveal(), e.DestinationUsername, e.DestinationPassword!.Reveal())));
        }
    }

    private static byte[] RandomText(Random random)
    {
        var text = new StringBuilder();
        var count = random.Next(0, 120);
        for (var i = 0; i < count; i++)
        {
            text.Append(Pieces[random.Next(Pieces.Length)]);
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static byte[] ValidFile(Random random)
    {
        var lines = Enumerable.Range(0, random.Next(1, 12)).Select(i => random.Next(3) switch
        {
            0 => $"user{i} Secret{i:00}",
            1 => $"user{i}@old.example \"pass word{i}\" user{i}.new NewPass{i}",
            _ => $"\"user {i}\" \"p\"\"w{i}\" u{i} Pw{i}!x{i}",
        });
        return Encoding.UTF8.GetBytes(string.Join(random.Next(2) == 0 ? "\n" : "\r\n", lines));
    }

    private static byte[] Mutate(Random random, byte[] input)
    {
        var bytes = new List<byte>(input);
        var mutations = random.Next(1, 6);
        for (var m = 0; m < mutations; m++)
        {
            var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    bytes.RemoveAt(at);
                    break;
                case 1:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 2 when bytes.Count > 0:
                    bytes[at] = (byte)MutationBytes[random.Next(MutationBytes.Length)];
                    break;
                case 3:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(Pieces[random.Next(Pieces.Length)]));
                    break;
                default:
                    if (bytes.Count > 1)
                    {
                        var length = random.Next(1, Math.Min(16, bytes.Count - at) + 1);
                        bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, Math.Min(length, bytes.Count - at)));
                    }

                    break;
            }
        }

        return [.. bytes];
    }

    private static string Field(Random random) =>
        string.Concat(Enumerable.Range(0, random.Next(0, 6)).Select(_ => Pieces[random.Next(Pieces.Length)]));

    private static string Escape(string value) =>
        System.Text.Json.JsonEncodedText.Encode(value).ToString();

    private static string Quote(string field) => "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static int SeedFromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable("MAILIMPORT_TEST_SEED"), out var seed) ? seed : 20261126;
}
