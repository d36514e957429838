# scripts/lib/common.sh - sourced first by every script in scripts/: the helpers they all use, written once.
# A script sources it right after `set -euo pipefail`, which also ends the script's header: `usage` prints the
# header (line 2 up to that line) as the script's --help.
#   PROG  the script's name, which starts every message it writes to stderr
#   REPO  the repository (the parent of scripts/)

PROG=${0##*/}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Quiet dotnet for every script that runs it (and harmless for those that do not): no telemetry, no banner.
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# ---------------------------------------------------------------- messages ---

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
# die2 MESSAGE: as die, with exit status 2 (the state on disk or a port is not what the command needs).
die2() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 2; }
say() { printf '%s: %s\n' "$PROG" "$*" >&2; }

# dispatch COMMAND ARGS...: runs cmd_COMMAND (a '-' in COMMAND is a '_' in the function's name) with ARGS;
# -h, --help and help print the header; no command prints it to stderr and exits 1.
dispatch() {
    [[ $# -ge 1 ]] || { usage >&2; exit 1; }
    local cmd=$1
    shift
    case $cmd in
        -h | --help | help) usage; return 0 ;;
    esac
    [[ $cmd =~ ^[a-z][a-z0-9-]*$ ]] && declare -F "cmd_${cmd//-/_}" >/dev/null \
        || die "unknown command '$cmd' (see '$PROG --help')"
    "cmd_${cmd//-/_}" "$@"
}

# ------------------------------------------------------------------ checks ---

valid_port() { # valid_port OPTION VALUE
    [[ $2 =~ ^[0-9]{1,5}$ ]] && (($2 >= 1 && $2 <= 65535)) || die "$1: invalid port '$2'"
}

need_dotnet() { command -v dotnet >/dev/null || die "the .NET 10 SDK (dotnet) is not on PATH; install it first"; }

# ------------------------------------------------------------------- clock ---

now_ms() { # milliseconds since the epoch, without forking where bash can
    if [[ -n ${EPOCHREALTIME:-} ]]; then
        local t=${EPOCHREALTIME/[^0-9]/}
        echo $((10#$t / 1000))
    else
        local t; t=$(date +%s%N); echo $((t / 1000000))
    fi
}
seconds_since() { local ms=$(($(now_ms) - $1)); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); } # seconds_since T0_MS
elapsed() { printf '%ss' "$(seconds_since "$1")"; }                                              # elapsed T0_MS: "1.234s"

# --------------------------------------------------------------- processes ---

alive() { # alive PID: exists and is not a zombie (PID 1 here may reap slowly)
    local st
    st=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $st && $st != Z && $st != X ]]
}

# wait_gone PID SECONDS: waits until PID has ended; fails if it still runs after SECONDS.
wait_gone() {
    local deadline=$(($(now_ms) + $2 * 1000))
    while alive "$1"; do
        (($(now_ms) < deadline)) || return 1
        sleep 0.05
    done
}

# close_inherited_fds: in a subshell about to exec a server, closes every descriptor above 2, so no pipe of the
# caller stays open (`$(scripts/X start)` returns at once) and the server holds no lock of the script's.
close_inherited_fds() {
    local fd
    for fd in "/proc/$BASHPID/fd/"*; do
        fd=${fd##*/}
        [[ $fd =~ ^[0-9]+$ ]] && ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null || true
    done
}

tcp_open() { (exec 3<>"/dev/tcp/${HOST:-127.0.0.1}/$1" && exec 3>&- 3<&-) 2>/dev/null; } # tcp_open PORT

# ---------------------------------------------------------------- packages ---

as_root() { # run a command as root (directly or via sudo), apt never asking questions
    if [[ $EUID -eq 0 ]]; then env DEBIAN_FRONTEND=noninteractive "$@"
    elif command -v sudo >/dev/null; then sudo -n env DEBIAN_FRONTEND=noninteractive "$@"
    else die "'$*' needs root (and sudo is not available)"
    fi
}

pkg_installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == 'install ok installed' ]]; }

apt_has_candidates() { # all given packages have an install candidate in the current lists
    local p cand
    for p in "$@"; do
        cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
        [[ -n $cand && $cand != "(none)" ]] || return 1
    done
}

# apt_install PACKAGE...: installs them; when that fails (stale package lists), apt-get update and once more.
apt_install() {
    as_root apt-get install -y -q --no-install-recommends "$@" \
        || { as_root apt-get update -q && as_root apt-get install -y -q --no-install-recommends "$@"; }
}
