#!/usr/bin/env bash
# Builds every Lambda function of the shared topology as a Native AOT executable and lays it out the way
# provided.al2023 and the CDK stack expect: artifacts/lambda/<Function>/bootstrap.
# The function list comes from the topology itself (`Fanout.Infra list-functions`), so a new function in
# FanoutTopology is built without touching this script. Skips the build when nothing under functions/ changed.
set -euo pipefail

usage() {
  cat <<USAGE
Usage: scripts/build-functions.sh [--arch x64|arm64] [--out DIR] [--force] [-h|--help]

  --arch x64|arm64  CPU to build for (default: x64, or \$FANOUT_LAMBDA_ARCH). Must match the stack's
                    'architecture' context (x86_64 or arm64). arm64 on an x86_64 host cross-compiles and
                    needs: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  --out DIR         Where to put <Function>/bootstrap (default: artifacts/lambda)
  --force           Rebuild even when the sources have not changed
USAGE
}

# Progress goes to stderr: this runs as cdk.json's build step, and `cdk synth > template.yaml` must get
# only the template on stdout.
log() { echo "build-functions: $*" >&2; }

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
arch="${FANOUT_LAMBDA_ARCH:-x64}"
out_dir="$repo_root/artifacts/lambda"
force=false

while [[ $# -gt 0 ]]; do
  case "$1" in
    --arch) arch="${2:?--arch needs a value}"; shift 2 ;;
    --out) out_dir="$(realpath -m "${2:?--out needs a value}")"; shift 2 ;;
    --force) force=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) log "unknown argument '$1'"; usage >&2; exit 2 ;;
  esac
done

case "$arch" in
  x64|x86_64|amd64) arch=x64; rid=linux-x64; elf_machine=62 ;;
  arm64|aarch64) arch=arm64; rid=linux-arm64; elf_machine=183 ;;
  *) log "--arch must be x64 or arm64 (got '$arch')"; exit 2 ;;
esac

cd "$repo_root"
build_root="$repo_root/artifacts/build"
stamp_file="$out_dir/.build-stamp"

# Everything that can change a function binary: its sources, the shared build rules, the SDK pin, this script.
sources_stamp() {
  {
    echo "arch=$arch"
    find functions -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' -o -name '*.json' \) \
      -not -path '*/bin/*' -not -path '*/obj/*' -print0 | sort -z | xargs -0 sha256sum
    sha256sum Directory.Build.props Directory.Packages.props global.json nuget.config BannedSymbols.txt "${BASH_SOURCE[0]}"
  } | sha256sum | cut -d' ' -f1
}

stamp="$(sources_stamp)"
if [[ "$force" == false && -f "$stamp_file" && -f "$out_dir/.functions" && "$(cat "$stamp_file")" == "$stamp" ]]; then
  missing=false
  while read -r name; do
    [[ -x "$out_dir/$name/bootstrap" ]] || missing=true
  done < "$out_dir/.functions"
  if [[ "$missing" == false ]]; then
    log "up to date ($out_dir, $arch); use --force to rebuild"
    exit 0
  fi
fi

publish_args=()
host="$(uname -m)"
if [[ "$arch" == arm64 && "$host" == x86_64 ]]; then
  # Cross-compiling: the Native AOT targets assume clang (they pass --target=); Debian's GNU cross
  # compiler already knows its target, so a wrapper drops that flag.
  if ! command -v aarch64-linux-gnu-gcc > /dev/null; then
    log "arm64 on an x86_64 host needs the cross toolchain: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
    exit 1
  fi
  mkdir -p "$build_root/toolchain"
  cat > "$build_root/toolchain/aarch64-cc" <<'WRAPPER'
#!/usr/bin/env bash
args=()
for a in "$@"; do [[ "$a" == --target=* ]] || args+=("$a"); done
exec aarch64-linux-gnu-gcc "${args[@]}"
WRAPPER
  chmod +x "$build_root/toolchain/aarch64-cc"
  publish_args+=("-p:CppCompilerAndLinker=$build_root/toolchain/aarch64-cc" "-p:ObjCopyName=aarch64-linux-gnu-objcopy")
elif [[ "$arch" == x64 && "$host" != x86_64 ]]; then
  log "building x64 on a $host host is not supported here; use --arch arm64 (and the arm64 architecture context)"
  exit 1
fi

log "listing the topology's functions"
# Keep only the "<Name> <project path>" lines, whatever else `dotnet run` prints.
mapfile -t functions < <(dotnet run --project infra/Fanout.Infra -- list-functions | awk 'NF == 2 && $2 ~ /\//')
if [[ ${#functions[@]} -eq 0 ]]; then
  log "the topology lists no functions"
  exit 1
fi

mkdir -p "$out_dir"
rm -f "$stamp_file"
: > "$out_dir/.functions.new"
for line in "${functions[@]}"; do
  read -r name project <<< "$line"
  assembly="$(basename "$project")"
  started=$SECONDS
  log "publishing $name ($project) for $rid"
  # A separate artifacts path keeps this Release/RID build out of the bin/ and obj/ folders that IDEs and
  # test runs use, so the two never fight over the same files.
  dotnet publish "$project" -c Release -r "$rid" --artifacts-path "$build_root" -o "$build_root/publish/$name-$rid" \
    -nologo -v quiet "${publish_args[@]}" >&2
  binary="$build_root/publish/$name-$rid/$assembly"
  if [[ ! -f "$binary" ]]; then
    log "expected the native executable $binary after publishing $project"
    exit 1
  fi
  # ELF e_machine (bytes 18-19): 62 is x86-64, 183 is AArch64.
  machine="$(od -An -tu2 -j18 -N2 "$binary" | tr -d ' ')"
  if [[ "$machine" != "$elf_machine" ]]; then
    log "$binary is ELF machine $machine, expected $elf_machine ($arch)"
    exit 1
  fi
  # provided.al2023 ships glibc 2.34: a binary asking for a newer symbol version would fail at cold start.
  if command -v objdump > /dev/null; then
    glibc="$(objdump -T "$binary" | grep -o 'GLIBC_[0-9.]*' | sort -V | tail -1)"
    if [[ "$(printf '%s\n' "$glibc" GLIBC_2.34 | sort -V | tail -1)" != GLIBC_2.34 ]]; then
      log "$binary needs $glibc, newer than the GLIBC_2.34 of provided.al2023"
      exit 1
    fi
  else
    glibc="unchecked (no objdump)"
  fi
  rm -rf "$out_dir/$name"
  mkdir -p "$out_dir/$name"
  cp "$binary" "$out_dir/$name/bootstrap"
  chmod 755 "$out_dir/$name/bootstrap"
  echo "$name" >> "$out_dir/.functions.new"
  log "$name -> $out_dir/$name/bootstrap ($(du -h "$out_dir/$name/bootstrap" | cut -f1), needs $glibc, $((SECONDS - started))s)"
done

mv "$out_dir/.functions.new" "$out_dir/.functions"
echo "$stamp" > "$stamp_file"
log "built ${#functions[@]} functions for $arch into $out_dir"
