#!/usr/bin/env bash
# Installs what Fanout needs beyond the base toolchain (.NET SDK, Node.js): the pinned npm packages (the
# emulators, the CDK CLI, cdk-nag) from the committed lockfile, a Java 17+ runtime for DynamoDB Local, and
# the NuGet packages. Safe to run again: each step is skipped when already satisfied.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/install-deps.sh [--skip-nuget] [-h|--help]
  --skip-nuget   do not run `dotnet restore`
USAGE
}

skip_nuget=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --skip-nuget) skip_nuget=true ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
step() { printf '\n==> %s\n' "$*"; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1
  fi
}

apt_updated=false
apt_install() {
  command -v apt-get >/dev/null || { echo "apt-get is not available: install $* by hand" >&2; return 1; }
  if [[ $apt_updated == false ]]; then as_root apt-get update -qq; apt_updated=true; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

step ".NET SDK"
if ! command -v dotnet >/dev/null; then
  echo "The .NET SDK is not installed. Install the version in global.json (https://dot.net) and re-run." >&2
  exit 1
fi
dotnet --version

step "Node.js"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt_install nodejs npm
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if (( node_major < 20 )); then
  echo "Node.js >= 20 is required (found $(node --version))." >&2
  exit 1
fi
node --version

step "npm packages (from package-lock.json)"
# A stamp records which lockfile node_modules was installed from; a changed lockfile reinstalls.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.fanout-lockfile.sha256
if [[ -f $stamp && "$(cat "$stamp")" == "$lock_hash" ]]; then
  echo "node_modules matches package-lock.json"
else
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > "$stamp"
fi

step "Java (for DynamoDB Local)"
java_major=0
if command -v java >/dev/null; then
  java_major=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1)
fi
if (( java_major < 17 )); then
  apt_install openjdk-17-jre-headless
fi
java -version 2>&1 | head -1

if [[ $skip_nuget == false ]]; then
  step "NuGet packages"
  dotnet restore Fanout.sln --verbosity quiet
fi

step "dependencies ready"
