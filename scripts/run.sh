#!/usr/bin/env bash
# The run command: installs what is missing, then runs `fanout up` through scripts/fanout (which builds the CLI
# when its sources changed) — the whole system on this machine (emulators including cognito-local, topology,
# demo users, HTTP API on 127.0.0.1:5080, every consumer) until Ctrl-C.
# Options after the script name go to `fanout up` (e.g. --port 5081, --emulator localstack).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/run.sh [--skip-install] [fanout up options...]
  --skip-install     do not run scripts/install-deps.sh first
  --port N           HTTP port (default 5080)
  --emulator E       embedded (default) | localstack | external
  --visibility-timeout S, --stock-file F, --verbose   see `fanout up --help`
USAGE
}

install=true
args=()
for arg in "$@"; do
  case "$arg" in
    --skip-install) install=false ;;
    -h|--help) usage; exit 0 ;;
    *) args+=("$arg") ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [[ $install == true ]]; then
  scripts/install-deps.sh --skip-nuget >/dev/null
fi

# exec (here and in scripts/fanout): the CLI takes this shell's pid, so Ctrl-C and SIGTERM reach it directly.
exec scripts/fanout up "${args[@]}"
