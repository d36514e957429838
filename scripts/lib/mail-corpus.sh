# scripts/lib/mail-corpus.sh - sourced by scripts/bench and scripts/demo: generated mail (folders, HTML, attachments,
# flags; bench/MailImport.Bench "seed") written straight into a Dovecot user's maildir. Needs REPO (the repository),
# which lib/common.sh sets.

MAIL_CORPUS_TOOL_DIR="$REPO/.run/bench-tool"
MAIL_CORPUS_TOOL="$MAIL_CORPUS_TOOL_DIR/MailImport.Bench.dll"

# mail_corpus_build: publishes the tool (Release, ReadyToRun, as a deployed worker would run the engine it also holds).
mail_corpus_build() {
    dotnet publish "$REPO/bench/MailImport.Bench/MailImport.Bench.csproj" -c Release -r linux-x64 --self-contained false \
        -p:PublishReadyToRun=true -o "$MAIL_CORPUS_TOOL_DIR" -nologo -v:quiet -clp:NoSummary >&2
}

# mail_corpus_seed INSTANCE USER MESSAGES SEED [SEED-OPTIONS...]: writes the corpus, prints its summary (JSON) and makes
# Dovecot see it; further options go to the tool's "seed" (e.g. --giant-megabytes 100).
mail_corpus_seed() {
    local maildir owner=${MAILIMPORT_DOVECOT_MAIL_USER:-mail}
    maildir=$("$REPO/scripts/dovecot" maildir "$1" "$2") || return 1
    dotnet "$MAIL_CORPUS_TOOL" seed --maildir "$maildir" --messages "$3" --seed "$4" "${@:5}" || return 1
    # As root Dovecot keeps mail as the mail user: files written here must be handed to it.
    [[ $EUID -ne 0 ]] || chown -R "$owner:$owner" "$maildir"
    "$REPO/scripts/dovecot" resync "$1" "$2" >&2
}
