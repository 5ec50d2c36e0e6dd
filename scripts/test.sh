#!/usr/bin/env bash
# The test command: installs what a fresh machine lacks, builds everything with warnings as errors, then
# runs every tier — unit (no I/O), integration (real emulators), infra (CDK assertions, AOT bootstraps,
# cdk synth, cdk-nag) and end-to-end (scripts/run.sh as a user runs it).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/test.sh [--tier unit|integration|infra|e2e]... [--skip-install] [--skip-build] [-h|--help]
  --tier T        run only tier T (repeatable); default: every tier
  --skip-install  do not run scripts/install-deps.sh first
  --skip-build    do not build the solution first (use the binaries already built)

The last line of output is always the sum over every test run, alone:
  N passed, N failed, N skipped
also when a tier fails (it then counts what ran) and the script exits non-zero. A step that fails without
reporting test counts (a build, cdk synth, cdk-nag, a test run that crashed) counts as 1 failed, so the line
never reads "0 failed" when the exit code says otherwise. The exit code is the truth either way.
USAGE
}

tiers=()
install=true
build=true
while [[ $# -gt 0 ]]; do
  case "$1" in
    --tier) tiers+=("${2:?--tier needs a value}"); shift ;;
    --skip-install) install=false ;;
    --skip-build) build=false ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ ${#tiers[@]} -eq 0 ]] && tiers=(unit integration infra e2e)
for tier in "${tiers[@]}"; do
  case "$tier" in
    unit|integration|infra|e2e) ;;
    *) echo "unknown tier: $tier" >&2; usage >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
started=$SECONDS
summary=()
passed=0
failed=0
skipped=0
# What is running now, named in the summary if it fails; and whether that failure is already in the totals.
phase="start"
counted=false

step() { printf '\n==> %s\n' "$*"; }

# Runs on every exit, success or failure, so the totals line is always the last line of output.
finish() {
  local status=$?
  trap - EXIT
  if [[ $status -ne 0 && $counted == false ]]; then
    failed=$((failed + 1))
    summary+=("$phase: failed (exit $status) without test counts; counted as 1 failed")
  fi
  step "summary"
  [[ ${#summary[@]} -gt 0 ]] && printf '  %s\n' "${summary[@]}"
  echo "  wall time: $((SECONDS - started)) s"
  echo "$passed passed, $failed failed, $skipped skipped"
  exit "$status"
}
trap finish EXIT

# Adds one xunit.v3 run to the totals from its summary line
# ("Total: N, Errors: N, Failed: N, Skipped: N, Not Run: N"): passed = Total - Failed - Skipped - Not Run,
# and Errors (failures outside a test, e.g. a fixture's) count as failed.
# Args: label, log file, the run's exit status, seconds it took.
tally() {
  local label=$1 log=$2 status=$3 seconds=$4
  local line
  line=$(grep -Eo 'Total: [0-9]+, Errors: [0-9]+, Failed: [0-9]+, Skipped: [0-9]+(, Not Run: [0-9]+)?' "$log" | tail -1 || true)
  if [[ -z $line ]]; then
    summary+=("$label: no summary ($seconds s)")
    return
  fi
  local total errors fails skips not_run
  total=$(sed -E 's/.*Total: ([0-9]+).*/\1/' <<<"$line")
  errors=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
  fails=$(sed -E 's/.*Failed: ([0-9]+).*/\1/' <<<"$line")
  skips=$(sed -E 's/.*Skipped: ([0-9]+).*/\1/' <<<"$line")
  not_run=0
  [[ $line == *"Not Run:"* ]] && not_run=$(sed -E 's/.*Not Run: ([0-9]+).*/\1/' <<<"$line")
  passed=$((passed + total - fails - skips - not_run))
  failed=$((failed + fails + errors))
  skipped=$((skipped + skips))
  # A failing run whose failures are in the totals needs no extra count in finish().
  [[ $status -ne 0 && $((fails + errors)) -gt 0 ]] && counted=true
  summary+=("$label: $line ($seconds s)")
}

if [[ $install == true ]]; then
  phase="install dependencies"
  step "$phase"
  scripts/install-deps.sh
fi

if [[ $build == true ]]; then
  phase="build"
  step "build (Release, warnings are errors)"
  dotnet build Fanout.sln -c Release --nologo -warnaserror -v quiet
fi

# Runs an xunit.v3 test project's executable and records its summary line.
run_tests() {
  local tier=$1 project=$2
  local exe="tests/$project/bin/Release/net10.0/$project"
  local log
  log=$(mktemp)
  phase="$tier tests ($project)"
  step "$phase"
  local t0=$SECONDS
  # The full output goes to the log first, so the exit status is the test run's own.
  set +e
  "$exe" -noColor >"$log" 2>&1
  local status=$?
  set -e
  grep -E '\[(FAIL|SKIP)\]|^\s{6}|Total:' "$log" | grep -vE '^\s+at ' || true
  tally "$tier ($project)" "$log" "$status" $((SECONDS - t0))
  rm -f "$log"
  if [[ $status -ne 0 ]]; then
    echo "$tier tests failed" >&2
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
      phase="infra (scripts/check-infra.sh)"
      step "infra: AOT bootstraps, CDK assertions, cdk synth, cdk-nag"
      t0=$SECONDS
      log=$(mktemp)
      # check-infra.sh shows its own progress; a copy is kept to read the CDK assertion tests' summary line.
      set +e
      scripts/check-infra.sh 2>&1 | tee "$log"
      status=${PIPESTATUS[0]}
      set -e
      tally infra "$log" "$status" $((SECONDS - t0))
      rm -f "$log"
      if [[ $status -ne 0 ]]; then
        echo "infra checks failed" >&2
        exit "$status"
      fi
      summary+=("infra: cdk synth and cdk-nag passed")
      ;;
    e2e) run_tests e2e Fanout.EndToEndTests ;;
  esac
done
