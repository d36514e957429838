# scripts/lib/import-api.sh - sourced by scripts/demo and scripts/bench: the import API driven with curl, the way
# README shows it. The key goes in a header read from a process substitution, so it is never in a process's argv.
# JSON is read with node, which Azurite already needs on this machine.

# import_api_json FIELD...: reads JSON on stdin, prints each dotted FIELD (e.g. status, totals.messagesCopied).
import_api_json() {
    node -e '
        let text = ""; process.stdin.on("data", d => text += d).on("end", () => {
            const json = JSON.parse(text);
            for (const path of process.argv.slice(1)) {
                const value = path.split(".").reduce((v, k) => v == null ? v : v[k], json);
                console.log(value == null ? "" : typeof value === "object" ? JSON.stringify(value) : value);
            }
        });' "$@"
}

# import_api_call METHOD URL KEY [curl options...]: the body on stdout; fails, printing the answer, unless 2xx.
import_api_call() {
    local method=$1 url=$2 key=$3 answer code
    shift 3
    answer=$(curl -sS -X "$method" -H @<(printf 'x-functions-key: %s\n' "$key") -w '\n%{http_code}' "$@" "$url") || return 1
    code=${answer##*$'\n'}
    answer=${answer%$'\n'*}
    if [[ $code != 2?? ]]; then
        printf 'HTTP %s from %s %s: %s\n' "$code" "$method" "${url%%\?*}" "$answer" >&2
        return 1
    fi
    printf '%s\n' "$answer"
}

# import_api_start API KEY FILE SETTINGS_JSON: uploads a credential file, prints the batch id.
import_api_start() {
    local answer
    answer=$(import_api_call POST "$1/api/imports" "$2" -F "file=@$3;type=text/plain" -F "settings=$4") || return 1
    import_api_json batchId <<<"$answer"
}

# import_api_wait API KEY BATCH TIMEOUT_SECONDS [--quiet]: polls the status until the run ends; prints a progress line
# when the totals change (unless --quiet) and finally the run's status (Completed, Failed, Terminated).
import_api_wait() {
    local api=$1 key=$2 batch=$3 timeout=$4 quiet=${5:-} deadline status line last=
    deadline=$((SECONDS + timeout))
    while :; do
        local answer
        answer=$(import_api_call GET "$api/api/imports/$batch" "$key") || return 1
        { read -r status; read -r line; } < <(import_api_json status totals <<<"$answer")
        if [[ -z $quiet && $line != "$last" ]]; then
            node -e '
                const t = JSON.parse(process.argv[1]);
                const mb = b => (b / 1048576).toFixed(1);
                console.error(`  ${process.argv[2]}: ${t.messagesCopied}/${t.messagesTotal} messages, ${mb(t.bytesCopied)}/${mb(t.bytesTotal)} MB copied, ${t.messagesFailed} failed`);
            ' "$line" "$status"
            last=$line
        fi
        case $status in
            Completed | Failed | Terminated) echo "$status"; return 0 ;;
        esac
        ((SECONDS < deadline)) || { echo "the batch did not finish within $timeout s (still $status)" >&2; return 1; }
        sleep 1
    done
}
