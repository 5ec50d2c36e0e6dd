#!/usr/bin/env bash
# Checks the deployable stack end to end, without an AWS account: builds the Native AOT functions, runs the
# CDK assertion tests (Amazon.CDK.Assertions, including "every asset holds an executable bootstrap"),
# synthesizes with the CDK CLI exactly as `cdk deploy` would (timed), and runs cdk-nag AwsSolutions over the
# result, then again over the stack that trusts an issuer from context instead of creating a user pool.
# Expects the npm packages to be installed (scripts/install-deps.sh, or `npm ci`).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/check-infra.sh [--configuration Release|Debug] [--arch x64|arm64] [-h|--help]

  --configuration C  build configuration of the infra tests (default: Release, as scripts/test.sh builds)
  --arch A           CPU the functions are built and deployed for (default: x64). arm64 also sets the
                     stack's 'architecture' context and needs the cross toolchain (see build-functions.sh).
USAGE
}

configuration=Release
arch=x64
while [[ $# -gt 0 ]]; do
  case "$1" in
    --configuration) configuration="${2:?--configuration needs a value}"; shift 2 ;;
    --arch) arch="${2:?--arch needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "check-infra: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$arch" in
  x64) cdk_arch=x86_64 ;;
  arm64) cdk_arch=arm64 ;;
  *) echo "check-infra: --arch must be x64 or arm64 (got '$arch')" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Synth needs no AWS account; without this the SDK would probe the EC2 metadata endpoint for credentials.
export AWS_EC2_METADATA_DISABLED=true
# jsii's Node 20 end-of-life banner repeats on every synth; it is a notice, not a problem.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

step() { printf '\n==> %s\n' "$*"; }

if [[ ! -x node_modules/.bin/cdk ]] || ! node -e "require.resolve('cdk-nag')" 2> /dev/null; then
  echo "check-infra: the npm packages are missing; run scripts/install-deps.sh (or npm ci) first" >&2
  exit 1
fi

step "functions: Native AOT build ($arch)"
scripts/build-functions.sh --arch "$arch"

step "infra tests (CDK assertions)"
dotnet build tests/Fanout.Infra.Tests -c "$configuration" --nologo -v quiet
tests_started=$SECONDS
set +e
tests/Fanout.Infra.Tests/bin/"$configuration"/net10.0/Fanout.Infra.Tests -noColor 2>&1 | grep -vE '^\s*!!|^\s+at |^\s*$'
status=${PIPESTATUS[0]}
set -e
if [[ $status -ne 0 ]]; then
  echo "check-infra: infra tests failed" >&2
  exit "$status"
fi
echo "infra tests: $((SECONDS - tests_started)) s"

step "cdk synth (as cdk deploy runs it)"
rm -rf cdk.out
synth_started=$(date +%s%N)
node_modules/.bin/cdk synth --quiet --no-notices -c architecture="$cdk_arch"
synth_ms=$(( ($(date +%s%N) - synth_started) / 1000000 ))
printf 'cdk synth: %d.%d s (cdk synth --quiet; the functions were already built)\n' $((synth_ms / 1000)) $((synth_ms % 1000 / 100))

template=$(node -e "
  const m = require('./cdk.out/manifest.json');
  const s = Object.values(m.artifacts).filter(a => a.type === 'aws:cloudformation:stack');
  console.log('cdk.out/' + s[0].properties.templateFile);")
node -e "
  const t = require('./$template');
  const counts = {};
  for (const r of Object.values(t.Resources)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log('resources in ' + '$template' + ' (' + total + '):');
  for (const [type, n] of Object.entries(counts).sort()) console.log('  ' + String(n).padStart(3) + '  ' + type);"

step "cdk-nag AwsSolutions"
node infra/nag/run-nag.mjs --assembly cdk.out

# The other shape of the stack: an issuer from context instead of the user pool, with CORS on. Its template has
# no Cognito resources and a CORS configuration, so it is checked on its own.
step "cdk synth + cdk-nag with an own issuer (jwtIssuer, jwtAudience, corsAllowedOrigins)"
own_issuer_out="$(mktemp -d)"
trap 'rm -rf "$own_issuer_out"' EXIT
node_modules/.bin/cdk synth --quiet --no-notices -o "$own_issuer_out" -c architecture="$cdk_arch" \
  -c jwtIssuer=https://login.example.com/ -c jwtAudience=shop-web,shop-app -c corsAllowedOrigins=https://shop.example.com
node infra/nag/run-nag.mjs --assembly "$own_issuer_out"

echo
echo "check-infra: passed"
