#!/usr/bin/env bash
# Builds the warden container image `localhost/warden:<version>` (version from RELEASE.json)
# without pulling anything: it stages a root filesystem (the release binary, exactly the shared
# libraries and loader `ldd` resolves for it, a CA bundle, RELEASE.json, /etc/passwd and
# /etc/group for uid/gid 10001) and builds the `FROM scratch` Containerfile over it with buildah
# (or podman when buildah is missing).
#
#   scripts/build-image.sh [--binary PATH] [--target-dir DIR] [--tool buildah|podman] [--tag TAG]
#
#   --binary PATH      put this warden binary in the image instead of building one
#   --target-dir DIR   cargo target directory of the release build (default: target/image, so
#                      the build never waits on, or invalidates, another build's target dir)
#   --tool T           buildah or podman (default: $WARDEN_IMAGE_TOOL, else the first installed)
#   --tag TAG          image name (default: localhost/warden:<version>)
#
# Environment: WARDEN_IMAGE_SOURCE (the org.opencontainers.image.source label, default below),
# SSL_CERT_FILE (the CA bundle to copy, default /etc/ssl/certs/ca-certificates.crt), CARGO.
# The last line on stdout is the image's tag.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

binary=""
target_dir="target/image"
tool="${WARDEN_IMAGE_TOOL:-}"
tag=""
source_url="${WARDEN_IMAGE_SOURCE:-https://github.com/example/warden}"
ca_bundle="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"

die() { echo "build-image: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
        --target-dir) target_dir="${2:?--target-dir needs a directory}"; shift 2 ;;
        --tool) tool="${2:?--tool needs buildah or podman}"; shift 2 ;;
        --tag) tag="${2:?--tag needs a name}"; shift 2 ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done

if [ -z "$tool" ]; then
    for candidate in buildah podman; do
        if command -v "$candidate" >/dev/null; then tool="$candidate"; break; fi
    done
fi
case "$tool" in
    buildah|podman) command -v "$tool" >/dev/null || die "$tool is not installed" ;;
    "") die "neither buildah nor podman is installed (Debian: apt-get install buildah)" ;;
    *) die "--tool must be buildah or podman, not $tool" ;;
esac

# RELEASE.json is flat: its one "version" key names the release (the others end in _version).
version="$(sed -n 's/.*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' RELEASE.json | head -n 1)"
[ -n "$version" ] || die "no \"version\" in RELEASE.json"
tag="${tag:-localhost/warden:$version}"

if [ -z "$binary" ]; then
    # Embed HEAD explicitly, so the binary's git_commit and the revision label are one value.
    if [ -z "${WARDEN_GIT_COMMIT:-}" ] && commit="$(git rev-parse --verify HEAD 2>/dev/null)"; then
        export WARDEN_GIT_COMMIT="$commit"
    fi
    echo "build-image: cargo build --release --locked --bin warden --target-dir $target_dir" >&2
    "${CARGO:-cargo}" build --release --locked --bin warden --target-dir "$target_dir" >&2
    binary="$target_dir/release/warden"
fi
[ -x "$binary" ] || die "$binary is not an executable"

# The image describes the binary it carries: version and revision come from the binary itself.
printed="$("$binary" --version --json)" || die "$binary --version --json failed"
binary_version="$(printf '%s' "$printed" | sed -n 's/.*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')"
[ "$binary_version" = "$version" ] ||
    die "$binary is version '$binary_version' but RELEASE.json says '$version'"
revision="$(printf '%s' "$printed" | sed -n 's/.*"git_commit"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')"
revision="${revision:-unknown}"

[ -f "$ca_bundle" ] || die "no CA bundle at $ca_bundle (Debian: ca-certificates; or set SSL_CERT_FILE)"

stage="$(mktemp -d "${TMPDIR:-/tmp}/warden-image.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
root="$stage/rootfs"
mkdir -p "$root/usr/local/bin" "$root/usr/share/warden" "$root/etc/ssl/certs"
install -m 0755 "$binary" "$root/usr/local/bin/warden"

# Exactly what the dynamic loader resolves for the binary, copied (symlinks followed) at the
# paths it resolved them to, plus the loader itself (the binary's PT_INTERP path).
libs=0
while read -r line; do
    case "$line" in
        *"not found"*) die "ldd: $line" ;;
        *"=> /"*) path="${line#*=> }"; path="${path%% (*}" ;;
        /*) path="${line%% (*}" ;;
        *) continue ;;    # linux-vdso.so.1 (no file), "statically linked"
    esac
    mkdir -p "$root$(dirname "$path")"
    cp -L "$path" "$root$path"
    chmod 0755 "$root$path"
    libs=$((libs + 1))
done < <(ldd "$binary" 2>/dev/null || true)
echo "build-image: $libs shared object(s) from ldd" >&2

install -m 0644 "$ca_bundle" "$root/etc/ssl/certs/ca-certificates.crt"
install -m 0644 RELEASE.json "$root/usr/share/warden/RELEASE.json"
printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
    'warden:x:10001:10001:warden:/nonexistent:/sbin/nologin' >"$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'warden:x:10001:' >"$root/etc/group"
printf '%s\n' 'passwd: files' 'group: files' 'hosts: files dns' >"$root/etc/nsswitch.conf"
chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/nsswitch.conf"
mkdir -m 1777 "$root/tmp"

args=(--file "$repo/Containerfile" --tag "$tag"
    --build-arg "VERSION=$version" --build-arg "REVISION=$revision"
    --build-arg "SOURCE=$source_url")
echo "build-image: $tool build $tag (revision $revision)" >&2
previous="$("$tool" images --quiet --no-trunc "$tag" 2>/dev/null || true)"
if [ "$tool" = buildah ]; then
    buildah bud --layers=false "${args[@]}" "$stage" >&2
else
    podman build --layers=false "${args[@]}" "$stage" >&2
fi
# The image this tag named before is now dangling: remove it, unless something else still
# names or uses it (rmi refuses then, which is fine).
current="$("$tool" images --quiet --no-trunc "$tag")"
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then
    "$tool" rmi "$previous" >/dev/null 2>&1 || true
fi
echo "$tag"
