using System.Text;
using System.Text.Json;
using MailImport.Core.Credentials;
using MailImport.Core.Reports;

namespace MailImport.Core.Tests.Credentials;

/// <summary>Puts a canary password into every place a credential list can break and proves it never comes out.</summary>
public class PasswordLeakTests
{
    private const string Canary = "CANARY";

    // Each line breaks (or passes) in a different way, always with the canary inside a password field.
    private static readonly string[] Lines =
    [
        "valid1 CANARYpw1",
        "valid2 \"CANARY pw 2\" valid2x CANARYpw3",
        "unterminated \"CANARY pw",
        "after \"CANARY\"pw",
        "three CANARYpw4 newlogin",
        "five CANARY pw 5 x",
        "control CANARY\u0001pw",
        "badchar \"CANARY§pw\"",
        "toolong CANARYCANARYCANARYCANARY",
        "newpw CAN xnew CANARYpw",
        "user10@example.org Secret12 user9 CANARY/9",
        "dup1 CANARYpw6",
        "dup1 CANARYpw7",
        "emptyfield CANARYpw8 \"\" CANARYpw9",
    ];

    private static readonly string[] JsonInputs =
    [
        """[{"login":"a","password":"CANARYpw1"},{"login":"b","password":"CANARY bad"}]""",
        """[{"login":"a","password": CANARYnotquoted}]""",
        """[{"login":"a","password":"CANARY\u0001"}]""",
        """[{"login":"a","password":"CANARYpw1","newPassword":"CANARY=bad"}]""",
        """[{"login":"a","password":"CANARYpw1","extra":"CANARYpw2"}]""",
        """[{"login":"a","password":"CANARYpw1","login":"CANARYpw3"}]""",
        """[{"login":"a","password":"CANARYpw1",""",
    ];

    public static TheoryData<string> Outputs() => new(AllOutputs().Distinct());

    private static List<string> AllOutputs()
    {
        var outputs = new List<string>();
        var results = new List<CredentialParseResult>
        {
            CredentialFile.Parse(Encoding.UTF8.GetBytes(string.Join("\n", Lines))),
        };
        results.AddRange(Lines.Select(line => CredentialFile.Parse(Encoding.UTF8.GetBytes(line))));
        results.AddRange(JsonInputs.Select(json => CredentialJson.Parse(Encoding.UTF8.GetBytes(json))));

        foreach (var result in results)
        {
            outputs.Add(result.ToString());
            outputs.Add(JsonSerializer.Serialize(result.Problems));
            outputs.Add(JsonSerializer.Serialize(MailboxReport.ForInvalidLines(result)));
            foreach (var problem in result.Problems)
            {
                outputs.Add(problem.ToString());
            }

            foreach (var entry in result.Entries)
            {
                outputs.Add(entry.ToString());
                outputs.Add($"{entry}");
                outputs.Add(entry.SourcePassword!.ToString());
            }
        }

        return outputs;
    }

    [Fact]
    public void Canaries_ReachTheParser()
    {
        // Guards the test itself: the canary must really be in the passwords it checks for.
        var result = CredentialFile.Parse(Encoding.UTF8.GetBytes(string.Join("\n", Lines)));

        Assert.Contains(result.Entries, e => e.SourcePassword!.Reveal().Contains(Canary, StringComparison.Ordinal));
        Assert.Equal([3, 4, 5, 6, 7, 8, 9, 11, 13, 14], result.Problems.Select(p => p.LineNumber).Distinct());
    }

    [Theory]
    [MemberData(nameof(Outputs))]
    public void Output_NeverContainsThePassword(string output)
    {
        Assert.DoesNotContain(Canary, output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Serialising_AnEntry_Throws()
    {
        var entry = Assert.Single(CredentialFile.Parse(Encoding.UTF8.GetBytes(Lines[0])).Entries);

        var error = Assert.Throws<NotSupportedException>(() => JsonSerializer.Serialize(entry));
        Assert.DoesNotContain(Canary, error.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Deserialising_ASecret_Throws()
    {
        Assert.Throws<NotSupportedException>(() => JsonSerializer.Deserialize<Secret>("\"CANARYpw1\""));
    }
}
