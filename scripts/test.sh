#!/usr/bin/env bash
# The test command: installs what a fresh machine lacks, builds everything with warnings as errors, then
# runs every tier — unit (no I/O), integration (real emulators), infra (CDK assertions, AOT bootstraps,
# cdk synth, cdk-nag) and end-to-end (scripts/run.sh as a user runs it).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/test.sh [--tier unit|integration|infra|e2e]... [--skip-install] [-h|--help]
  --tier T        run only tier T (repeatable); default: every tier
  --skip-install  do not run scripts/install-deps.sh first
USAGE
}

tiers=()
install=true
while [[ $# -gt 0 ]]; do
  case "$1" in
    --tier) tiers+=("${2:?--tier needs a value}"); shift ;;
    --skip-install) install=false ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ ${#tiers[@]} -eq 0 ]] && tiers=(unit integration infra e2e)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
started=$SECONDS
summary=()

step() { printf '\n==> %s\n' "$*"; }

if [[ $install == true ]]; then
  step "install dependencies"
  scripts/install-deps.sh
fi

step "build (Release, warnings are errors)"
dotnet build Fanout.sln -c Release --nologo -warnaserror -v quiet

# Runs an xunit.v3 test project's executable and records its summary line.
run_tests() {
  local tier=$1 project=$2
  local exe="tests/$project/bin/Release/net10.0/$project"
  local log
  log=$(mktemp)
  step "$tier tests ($project)"
  local t0=$SECONDS
  # The full output goes to the log first, so the exit status is the test run's own.
  set +e
  "$exe" -noColor >"$log" 2>&1
  local status=$?
  set -e
  grep -E '\[(FAIL|SKIP)\]|^\s{6}|Total:' "$log" | grep -vE '^\s+at ' || true
  local line
  line=$(grep -Eo 'Total: [0-9]+, Errors: [0-9]+, Failed: [0-9]+, Skipped: [0-9]+' "$log" | tail -1)
  summary+=("$tier: ${line:-no summary} ($((SECONDS - t0)) s)")
  rm -f "$log"
  if [[ $status -ne 0 ]]; then
    echo "$tier tests failed" >&2
    printf '%s\n' "${summary[@]}" >&2
    exit "$status"
  fi
}

for tier in "${tiers[@]}"; do
  case "$tier" in
    unit) run_tests unit Fanout.UnitTests ;;
    integration)
      run_tests integration Fanout.IntegrationTests
      run_tests integration Fanout.Cli.Tests
      ;;
    infra)
      step "infra: AOT bootstraps, CDK assertions, cdk synth, cdk-nag"
      t0=$SECONDS
      scripts/check-infra.sh
      summary+=("infra: passed ($((SECONDS - t0)) s)")
      ;;
    e2e) run_tests e2e Fanout.EndToEndTests ;;
    *) echo "unknown tier: $tier" >&2; exit 2 ;;
  esac
done

step "summary"
printf '  %s\n' "${summary[@]}"
echo "  wall time: $((SECONDS - started)) s"
