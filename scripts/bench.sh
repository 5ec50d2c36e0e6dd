#!/usr/bin/env bash
# The benchmark of the local system, in one run: (1) the emulators' own ceiling (raw SNS→SQS and DynamoDB
# conditional writes), (2) the highest sustained order rate whose server-side fan-out p99 stays within 100 ms,
# (3) every function's cold start, Native AOT next to a JIT build of the same project, against a fake Lambda
# Runtime API. It builds what the cold starts need, starts `fanout up` on a free port unless one is already
# running (and stops what it started), then runs `fanout bench` with the options given. Not part of scripts/test.sh.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/bench.sh [--skip-install] [--no-build] [fanout bench options...]
  --skip-install   do not run scripts/install-deps.sh first
  --no-build       do not build the AOT and JIT functions (cold starts then use what is already built)
  fanout bench options (scripts/fanout bench --help), e.g.:
    --rates 50,100,150,200,250   offered orders/s, stepped (stops at the first that does not hold; --keep-going)
    --step-seconds 12            how long each rate is offered (after --warmup-seconds 15)
    --cold-start-runs 3          starts per function and build (0 skips cold starts)
    --ceiling-messages 2000      0 skips the emulator ceiling
    --json                       the report as JSON on stdout
USAGE
}

install=true
build=true
args=()
cold_starts=true
for arg in "$@"; do
  case "$arg" in
    --skip-install) install=false ;;
    --no-build) build=false ;;
    -h|--help) usage; exit 0 ;;
    *) args+=("$arg") ;;
  esac
done
# `--cold-start-runs 0` needs no function builds.
for ((i = 0; i < ${#args[@]}; i++)); do
  if [[ ${args[$i]} == --cold-start-runs && ${args[$((i + 1))]:-} == 0 ]] || [[ ${args[$i]} == --cold-start-runs=0 ]]; then
    cold_starts=false
  fi
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log() { echo "bench.sh: $*" >&2; }

if [[ $install == true ]]; then
  scripts/install-deps.sh --skip-nuget >/dev/null
fi

if [[ $build == true && $cold_starts == true ]]; then
  log "building the functions: Native AOT (scripts/build-functions.sh) and JIT (dotnet build -c Release)..."
  scripts/build-functions.sh >&2
  for project in functions/*/; do
    name="$(basename "$project")"
    if [[ -f $project/Program.cs && -f $project/$name.csproj ]]; then
      dotnet build "$project" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
    fi
  done
fi

# Builds the CLI when its sources changed; afterwards every call runs it as built.
scripts/fanout --help >/dev/null
export FANOUT_SKIP_BUILD=1

state="$root/.local/fanout-up.json"
up_pid=""
stop_up() {
  if [[ -n $up_pid ]] && kill -0 "$up_pid" 2>/dev/null; then
    kill -TERM "$up_pid" 2>/dev/null || true
    wait "$up_pid" 2>/dev/null || true
  fi
}
trap stop_up EXIT

running_pid() {
  [[ -f $state ]] || return 1
  local pid
  pid="$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$state" | head -1)"
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

if running_pid; then
  log "using the running fanout up ($state)"
else
  mkdir -p "$root/.local"
  up_log="$root/.local/bench-up.log"
  log "starting fanout up on a free port (its output: .local/bench-up.log)..."
  scripts/fanout up --port 0 >"$up_log" 2>&1 &
  up_pid=$!
  deadline=$((SECONDS + 180))
  until grep -q '^ready in ' "$up_log" 2>/dev/null; do
    if ! kill -0 "$up_pid" 2>/dev/null; then
      log "fanout up exited before it was ready:"
      cat "$up_log" >&2
      exit 1
    fi
    if ((SECONDS > deadline)); then
      log "fanout up was not ready within 180 s"
      exit 1
    fi
    sleep 0.5
  done
fi

# `scripts/bench.sh --json > report.json`: only the report reaches stdout.
scripts/fanout bench "${args[@]}"
