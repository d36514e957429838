namespace MailImport.Mail.Errors;

/// <summary>Which server a failure came from.</summary>
public enum MailSide
{
    /// <summary>The old provider's server we read from.</summary>
    Source,
    /// <summary>The destination IMAP server we append to.</summary>
    Destination,
}
