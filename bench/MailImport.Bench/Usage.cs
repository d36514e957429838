namespace MailImport.Bench;

/// <summary>The tool's help text.</summary>
internal static class Usage
{
    private const string Text = """
        MailImport.Bench - the copy benchmark's tool (scripts/bench copy runs it end to end).

        seed --maildir DIR [--messages 5000] [--seed 42] [--giant-megabytes N] [--small]
            Write a deterministic Maildir++ corpus into DIR (a user's maildir): INBOX plus the
            folders .Sent and .Archive; about 75% ~2 KB text/plain, 25% ~50 KB text/html, and
            exactly 10 messages of 2-5 MB with a base64 attachment. LF line ends, as Maildir
            stores them; file mtimes are the messages' dates (Dovecot's INTERNALDATE). With
            --giant-megabytes N the middle message is one of about N million bytes (a base64
            attachment). With --small every message is a short text/plain one (about 600-900 bytes, no
            large ones), for a mailbox of a million. Prints one JSON line: messages, bytes (RFC822.SIZE,
            CRLF), per-folder counts.

        copy --source-host H --source-port P (--source-ssl | --source-plain)
             --source-user U --source-password-env VAR [--source-cert-sha256 HEX]
             --dest-host H --dest-port P (--dest-ssl | --dest-plain)
             --dest-user U --dest-password-env VAR [--dest-cert-sha256 HEX]
             --cursor FILE [--run-id ID]
             [--batch-messages N] [--batch-bytes N]           CopyOptions (engine defaults 100, 16 MiB)
             [--chunk-messages N] [--chunk-bytes N] [--chunk-seconds N]   ChunkBudget (default: ChunkBudget.Default)
             [--repeat N] [--protocol-log DIR] [--verbose] [--memory-detail]
            Run MailboxCopier.CopyChunkAsync until the mailbox is complete and print one JSON line:
            seconds, messages, bytes, chunks (and failures, source totals). Passwords are read from
            the named environment variables, never from the command line. --repeat N runs the job
            N times in this process, each a new run id (ID.2, ID.3, ...): the later runs, reported
            under "repeats", show what a warm host pays for a re-run. "memory" holds the first run's
            peaks: resident set (and its anonymous and file-backed parts), the GC's committed memory and
            heap, the spool's message blocks, bytes allocated, collections; --memory-detail also prints
            to stderr the types allocated most and the mappings of the resident set. Exit 2 when the engine fails
            or gets stuck, 3 when it finishes with failed messages.

        cursor --dir DIR [--messages 1000000]
            The cursor at a mailbox's scale, no server: CPU for N appends to a UID map, sequential
            and sparse (every other source UID), and to save each in one save and read it back; then
            a copy's saves through FileCursorStore in DIR, two a batch of 100 (journal, record), and
            the same for a POP3 mailbox of N Dovecot UIDLs. Prints one JSON line: CPU in ms, head and
            cursor bytes, segments, seconds, segment bytes written per batch.

        cursor-size --cursor FILE
            The bytes of a cursor a copy left (FileCursorStore at FILE): one JSON line with its head's
            bytes, the whole cursor's (head and segments) and the segments it names.

        cursor-noop --cursor FILE [--run-id ID]
            Load the cursor, give it a new run id and save it, as a chunk of a re-run with nothing to
            copy does; prints one JSON line: loadMs, saveMs, messages mapped.

        scale-seed (--passwd FILE --mail-dir DIR | --credentials-only) --credentials FILE [--mailboxes 500]
                   [--messages 3] [--existing-destination DOMAIN]
            Append N source users (s00001 ...) with random passwords to a Dovecot passwd-file, write
            each an INBOX maildir of M messages of about 400 bytes under DIR/LOGIN, and write the
            credential file (login password a line; make it mode 600 first, it keeps its mode). With
            --existing-destination each user is also in the file as LOGIN@DOMAIN, with the same password:
            the destination mailboxes exist before the run. With --credentials-only, only the credential
            file (for scale-host). Prints one JSON line.

        scale-host [--messages 3]
            The local host (MailImport.Local's LocalHost.Build, configured as it is, from MailImport__*
            environment variables) with its mail engine and destination directory in memory: every
            source an INBOX of M messages of 400 bytes, every destination mailbox created in memory.
            scripts/bench scale starts it through scripts/local-host start --assembly.

        scale-poll --url URL --key-file FILE --batch ID --pid PID [--timeout 7200] [--calls FILE]
            GET the batch's status about once a second until the run ends, timing every call, and
            sample the host's peak RSS (VmHWM of PID). Prints one JSON line: the final status, the
            calls made while the run went on with their p50/p95/max ms, the last answer's bytes,
            peakRssMb. --calls FILE writes each call there: when it began, its ms, the page's ms.

        scale-history --connection-string-env VAR --task-hub NAME [--until-file F [--every-ms MS]]
            Read the task hub's history table ({NAME}History) and sum its rows per instance. Prints
            one JSON line: instances, rows and bytes at the last read, and the largest instance with
            its rows and bytes. With --until-file, read it every MS ms (default 5000) until F exists,
            then once more, and give each instance at the largest it was seen (the run purges
            finished groups and mailboxes): also instancesSeen and reads.

        scale-page --url URL --key-file FILE --batch ID [--chromium PATH] [--turn-every S] [--timeout S]
            Open the import page on the batch in Chromium (default /usr/bin/chromium) and turn its
            pages of lines every S seconds (default 3) until the run ends. Prints one JSON line:
            status, firstRowsMs, turns, turnP50Ms, turnP95Ms, turnMaxMs, maxLagMs (a 50 ms timer's
            worst lateness), longTasks and longestTaskMs (main-thread tasks over 50 ms), maxRows.
        """;

    public static int Print(TextWriter writer, int exitCode)
    {
        writer.WriteLine(Text);
        return exitCode;
    }
}
