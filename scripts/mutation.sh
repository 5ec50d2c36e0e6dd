#!/usr/bin/env bash
# Mutation testing (Stryker.NET, Microsoft Testing Platform runner) over the code whose tests must be able to fail:
# the shared libraries, every service's Core/ folder and the intake validator. Prints each target's score and every
# surviving mutant, and exits non-zero when a target scores below --break-at.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/mutation.sh [--target NAME]... [--break-at PCT] [--concurrency N] [--list] [-h|--help]
  --target NAME     run only this target (repeatable); see --list; default: every target
  --break-at PCT    fail when a target's mutation score is below PCT (default: 80)
  --concurrency N   parallel Stryker test sessions (default: number of cores)
  --list            print the targets and exit
Reports (JSON and HTML) go to artifacts/mutation/<target>/.
USAGE
}

# name | project to mutate | files to mutate (globs relative to that project, space-separated)
targets=(
  "contracts|Fanout.Contracts.csproj|**/*.cs"
  "functions-common|Fanout.Functions.Common.csproj|**/*.cs"
  "orders|Fanout.Orders.csproj|**/*.cs"
  "orderintake-core|Fanout.OrderIntake.csproj|**/Core/**/*.cs"
  "sms-core|Fanout.Sms.csproj|**/Core/**/*.cs"
  "email-core|Fanout.Email.csproj|**/Core/**/*.cs"
  "inventory-core|Fanout.Inventory.csproj|**/Core/**/*.cs"
  "orderstatus-core|Fanout.OrderStatus.csproj|**/Core/**/*.cs"
  "awsshims-signin|Fanout.AwsShims.csproj|**/Events/JwtClaimText.cs **/Cognito/**/*.cs"
)

selected=()
break_at=80
concurrency=$(nproc)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --target) selected+=("${2:?--target needs a name}"); shift ;;
    --break-at) break_at="${2:?--break-at needs a number}"; shift ;;
    --concurrency) concurrency="${2:?--concurrency needs a number}"; shift ;;
    --list) printf '%s\n' "${targets[@]}" | cut -d'|' -f1; exit 0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null

out="$root/artifacts/mutation"
mkdir -p "$out"
failed=()
for entry in "${targets[@]}"; do
  IFS='|' read -r name project globs <<<"$entry"
  if [[ ${#selected[@]} -gt 0 && ! " ${selected[*]} " =~ " $name " ]]; then continue; fi
  printf '\n==> mutation testing: %s (%s, %s)\n' "$name" "$project" "$globs"
  rm -rf "${out:?}/$name"
  mutate=()
  read -ra patterns <<<"$globs"
  for glob in "${patterns[@]}"; do mutate+=(--mutate "$glob"); done
  (cd tests/Fanout.UnitTests && dotnet stryker --project "$project" "${mutate[@]}" --test-runner mtp \
    --configuration Release --concurrency "$concurrency" --reporter json --reporter html \
    --output "$out/$name" --skip-version-check --verbosity warning) >"$out/$name.log" 2>&1 || {
      echo "stryker failed for $name; see $out/$name.log" >&2; tail -20 "$out/$name.log" >&2; failed+=("$name"); continue; }
  report=$(find "$out/$name" -name mutation-report.json | head -1)
  node scripts/mutation-summary.mjs "$report" "$name" "$break_at" || failed+=("$name")
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "below ${break_at}% or failed: ${failed[*]}" >&2
  exit 1
fi
echo "every target at or above ${break_at}%"
