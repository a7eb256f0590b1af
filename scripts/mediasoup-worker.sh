#!/usr/bin/env bash
# Print the absolute path of a working mediasoup C++ worker binary (the last
# and only line on stdout), building it offline if needed. Logs go to stderr.
#
#   MEDIASOUP_WORKER_BIN="$(scripts/mediasoup-worker.sh)" npm ci
#
# Resolution order:
#   1. $MEDIASOUP_WORKER_BIN, if it is an executable file;
#   2. the cache: $RECINTO_CACHE_DIR/mediasoup-worker/<version>-<hash>/mediasoup-worker
#      (RECINTO_CACHE_DIR defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/recinto;
#      <hash> covers this script and scripts/mediasoup-worker/, so changing the
#      build recipe rebuilds);
#   3. node_modules/mediasoup/worker/out/Release/mediasoup-worker (the prebuilt
#      worker mediasoup's postinstall downloads when online);
#   4. a build from the npm tarball's sources against the system libraries,
#      installed atomically into the cache (see scripts/mediasoup-worker/README.md).
#
# Environment: MEDIASOUP_VERSION (default: the exact "mediasoup" version in
# package.json, else 3.27.1), RECINTO_CACHE_DIR, MEDIASOUP_PIP_INDEX_URL (pip
# index for meson/ninja/invoke; default file:///opt/pypi/simple when present),
# MEDIASOUP_WORKER_KEEP_BUILD=1 (keep the build tree of a failed build).

set -euo pipefail

readonly DEFAULT_VERSION=3.27.1
readonly MESON_VERSION=1.12.1
readonly NINJA_VERSION=1.13.2
readonly INVOKE_VERSION=3.0.3
# Wraps that need no stand-in (Windows only).
readonly IGNORED_WRAPS=" wingetopt "

SCRIPT_PATH="$(readlink -f "${BASH_SOURCE[0]}")"
SCRIPTS_DIR="$(dirname "$SCRIPT_PATH")"
REPO_ROOT="$(dirname "$SCRIPTS_DIR")"
RECIPE_DIR="$SCRIPTS_DIR/mediasoup-worker"

log() { printf '[mediasoup-worker] %s\n' "$*" >&2; }
die() { printf '[mediasoup-worker] error: %s\n' "$*" >&2; exit 1; }

# --- 1. explicit binary -----------------------------------------------------

if [[ -n "${MEDIASOUP_WORKER_BIN:-}" ]]; then
	if [[ -f "$MEDIASOUP_WORKER_BIN" && -x "$MEDIASOUP_WORKER_BIN" ]]; then
		readlink -f "$MEDIASOUP_WORKER_BIN"
		exit 0
	fi
	log "MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN is not an executable file; ignoring it"
fi
# From here on it must be unset: mediasoup's build skips compiling when it is set.
unset MEDIASOUP_WORKER_BIN

# --- version and cache key --------------------------------------------------

version_from_package_json() {
	local pj="$REPO_ROOT/package.json" v=""
	[[ -f "$pj" ]] || return 0
	if command -v node >/dev/null 2>&1; then
		v="$(node -e 'try { const p = require(process.argv[1]); process.stdout.write(String((p.dependencies || {}).mediasoup || "")); } catch {}' "$pj" 2>/dev/null || true)"
	elif command -v python3 >/dev/null 2>&1; then
		v="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("dependencies",{}).get("mediasoup",""))' "$pj" 2>/dev/null || true)"
	else
		v="$(grep -oE '"mediasoup"[[:space:]]*:[[:space:]]*"[^"]*"' "$pj" | head -n1 | sed -E 's/.*"([^"]*)"$/\1/' || true)"
	fi
	if [[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
		printf '%s' "$v"
	elif [[ -n "$v" ]]; then
		log "package.json asks for mediasoup \"$v\" (not an exact version); using $DEFAULT_VERSION"
	fi
}

VERSION="${MEDIASOUP_VERSION:-}"
[[ -n "$VERSION" ]] || VERSION="$(version_from_package_json)"
[[ -n "$VERSION" ]] || VERSION="$DEFAULT_VERSION"
[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "MEDIASOUP_VERSION must be an exact version like $DEFAULT_VERSION, got \"$VERSION\""

recipe_hash() {
	# Relative names, so the key does not depend on where the repo is cloned.
	(
		cd "$SCRIPTS_DIR"
		{
			printf '%s\0' "mediasoup-worker.sh"
			find mediasoup-worker -type f -print0 | LC_ALL=C sort -z
		} | xargs -0 sha256sum
	) | sha256sum | cut -c1-12
}

CACHE_BASE="${RECINTO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/recinto}"
CACHE_ROOT="$CACHE_BASE/mediasoup-worker"
CACHE_KEY="$VERSION-$(recipe_hash)"
CACHE_DIR="$CACHE_ROOT/$CACHE_KEY"
CACHED_BIN="$CACHE_DIR/mediasoup-worker"

# A cached binary is usable if it is executable and, when ldd is around, all
# of its shared libraries resolve (the cache may outlive a system library).
usable() {
	[[ -f "$1" && -x "$1" ]] || return 1
	if command -v ldd >/dev/null 2>&1 && ldd "$1" 2>/dev/null | grep -q 'not found'; then
		log "$1: missing shared libraries:"
		ldd "$1" | grep 'not found' >&2 || true
		return 1
	fi
	return 0
}

# --- 2. cache -----------------------------------------------------------------

if usable "$CACHED_BIN"; then
	printf '%s\n' "$CACHED_BIN"
	exit 0
fi

# --- 3. prebuilt worker from an online npm install ------------------------------

NM_BIN="$REPO_ROOT/node_modules/mediasoup/worker/out/Release/mediasoup-worker"
if [[ -f "$NM_BIN" ]]; then
	nm_version="$(grep -oE '"version"[[:space:]]*:[[:space:]]*"[^"]*"' "$REPO_ROOT/node_modules/mediasoup/package.json" 2>/dev/null | head -n1 | sed -E 's/.*"([^"]*)"$/\1/' || true)"
	if [[ "$nm_version" != "$VERSION" ]]; then
		log "ignoring $NM_BIN: it belongs to mediasoup ${nm_version:-?}, not $VERSION"
	elif usable "$NM_BIN"; then
		printf '%s\n' "$NM_BIN"
		exit 0
	fi
fi

# --- 4. build -------------------------------------------------------------------

readonly APT_PACKAGES=(build-essential pkg-config libssl-dev libuv1-dev libsrtp2-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler)

ensure_system_packages() {
	local missing=() p
	if command -v dpkg >/dev/null 2>&1; then
		for p in "${APT_PACKAGES[@]}"; do
			dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
		done
	else
		log "no dpkg: not a Debian-like system; assuming the build dependencies are installed"
	fi
	command -v python3 >/dev/null 2>&1 || missing+=(python3)
	if ! python3 -m pip --version >/dev/null 2>&1; then missing+=(python3-pip); fi

	((${#missing[@]} == 0)) && return 0

	if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
		die "missing system packages: ${missing[*]}
    install them (e.g. sudo apt-get install -y ${missing[*]}) and run again"
	fi
	log "installing missing system packages: ${missing[*]}"
	# Wait up to 10 minutes for another apt/dpkg run to release its lock.
	local apt=(apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends)
	if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" "${missing[@]}" >&2; then
		log "apt-get install failed; refreshing package lists and retrying"
		apt-get -o DPkg::Lock::Timeout=600 update >&2 || true
		DEBIAN_FRONTEND=noninteractive "${apt[@]}" "${missing[@]}" >&2 ||
			die "could not install: ${missing[*]}"
	fi
}

# Fixes to mediasoup's own sources that building against the system libraries needs, one
# reviewed patch each in scripts/mediasoup-worker/patches/ (see the README there). A patch that
# does not apply to this version stops the build rather than shipping a worker without it.
apply_patches() {
	local pkg="$1" p
	for p in "$RECIPE_DIR"/patches/*.patch; do
		[[ -e "$p" ]] || continue
		patch -d "$pkg" -p1 --forward --batch --quiet <"$p" ||
			die "patch $(basename "$p") does not apply to mediasoup $VERSION; review it"
		log "applied $(basename "$p")"
	done
}

# Copy each stand-in subproject into the folder meson would otherwise download
# to: the "directory =" of the matching worker/subprojects/<name>.wrap.
install_standins() {
	local subprojects="$1" wrap name dir
	for wrap in "$subprojects"/*.wrap; do
		name="$(basename "$wrap" .wrap)"
		[[ "$IGNORED_WRAPS" == *" $name "* ]] && continue
		[[ -d "$RECIPE_DIR/subprojects/$name" ]] ||
			die "mediasoup $VERSION has a subproject \"$name\" with no stand-in in scripts/mediasoup-worker/subprojects/$name"
		dir="$(sed -nE 's/^[[:space:]]*directory[[:space:]]*=[[:space:]]*([^[:space:]]+)[[:space:]]*$/\1/p' "$wrap" | head -n1)"
		[[ -n "$dir" && "$dir" != */* && "$dir" != .* ]] || die "cannot read a directory from $wrap"
		rm -rf "${subprojects:?}/$dir"
		cp -R "$RECIPE_DIR/subprojects/$name" "$subprojects/$dir"
		log "subproject $name -> system library stand-in (worker/subprojects/$dir)"
	done
}

build() {
	local work="$1" pkg index_args=()

	ensure_system_packages
	command -v npm >/dev/null 2>&1 || die "npm is needed to fetch the mediasoup sources"

	log "fetching mediasoup@$VERSION sources (npm pack)"
	local tgz
	tgz="$(cd "$work" && npm pack --silent --prefer-offline "mediasoup@$VERSION" | tail -n1)" ||
		die "npm pack mediasoup@$VERSION failed (is the npm registry reachable?)"
	[[ -n "$tgz" && -f "$work/$tgz" ]] || die "npm pack mediasoup@$VERSION produced no tarball"
	tar -xzf "$work/$tgz" -C "$work" || die "cannot unpack $tgz"
	pkg="$work/package"
	[[ -f "$pkg/worker/tasks.py" && -f "$pkg/worker/meson.build" ]] || die "unexpected tarball layout in $tgz"

	install_standins "$pkg/worker/subprojects"
	apply_patches "$pkg"

	# meson (mediasoup needs >= 1.1; Debian 12 has 1.0), ninja and invoke, in
	# the folders mediasoup's worker/tasks.py uses. No network: the local index.
	local index="${MEDIASOUP_PIP_INDEX_URL:-}"
	if [[ -z "$index" && -d /opt/pypi/simple ]]; then index="file:///opt/pypi/simple"; fi
	[[ -n "$index" ]] && index_args=(--index-url "$index")
	local pip=(python3 -m pip install --quiet --no-user --disable-pip-version-check --no-input "${index_args[@]}")
	log "installing meson==$MESON_VERSION ninja==$NINJA_VERSION invoke==$INVOKE_VERSION (pip${index:+, $index})"
	export PIP_ROOT_USER_ACTION=ignore
	"${pip[@]}" --target "$pkg/worker/out/pip_meson_ninja" "meson==$MESON_VERSION" "ninja==$NINJA_VERSION" >&2 ||
		die "pip could not install meson/ninja"
	"${pip[@]}" --target "$pkg/worker/out/pip_invoke" "invoke==$INVOKE_VERSION" >&2 ||
		die "pip could not install invoke"

	log "compiling the worker (a few minutes)"
	local start=$SECONDS
	(
		cd "$pkg"
		# Variables worker/tasks.py honours: pin them so nothing from the
		# caller's environment changes what gets cached under this key.
		unset MESON_ARGS MEDIASOUP_OUT_DIR MEDIASOUP_INSTALL_DIR BUILD_DIR
		export MEDIASOUP_BUILDTYPE=Release
		export MEDIASOUP_SKIP_WORKER_PREBUILT_DOWNLOAD=1
		PYTHON="$(command -v python3)"
		export PYTHON
		export MESON="$pkg/worker/out/pip_meson_ninja/bin/meson"
		export MESON_VERSION NINJA_VERSION
		export PYTHONPATH="$pkg/worker/out/pip_invoke:$pkg/worker/out/pip_meson_ninja"
		python3 -m invoke -r worker mediasoup-worker
	) >&2 || die "the worker build failed (see the output above)"
	log "compiled in $((SECONDS - start)) s"

	BUILT_BIN="$pkg/worker/out/Release/mediasoup-worker"
	[[ -f "$BUILT_BIN" ]] || die "the build did not produce worker/out/Release/mediasoup-worker"
	usable "$BUILT_BIN" || die "the built worker does not load"
}

mkdir -p "$CACHE_ROOT" || die "cannot create the cache folder $CACHE_ROOT (set RECINTO_CACHE_DIR?)"
exec 9>"$CACHE_ROOT/.lock"
if command -v flock >/dev/null 2>&1; then
	if ! flock -n 9; then
		log "another run is building; waiting for it ($CACHE_ROOT/.lock)"
		flock 9
	fi
else
	log "flock not found: not locking"
fi

# Someone else may have built it while we waited.
if usable "$CACHED_BIN"; then
	printf '%s\n' "$CACHED_BIN"
	exit 0
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/mediasoup-worker-build.XXXXXX")"
STAGE="$(mktemp -d "$CACHE_ROOT/.stage.XXXXXX")"
cleanup() {
	local rc=$?
	rm -rf "$STAGE"
	if ((rc != 0)) && [[ -n "${MEDIASOUP_WORKER_KEEP_BUILD:-}" ]]; then
		log "build tree kept in $WORK"
	else
		rm -rf "$WORK"
		((rc == 0)) || log "(set MEDIASOUP_WORKER_KEEP_BUILD=1 to keep the build tree of a failed build)"
	fi
}
trap cleanup EXIT

log "no cached worker for mediasoup $VERSION; building it into $CACHE_DIR"
build "$WORK"

install -m 0755 "$BUILT_BIN" "$STAGE/mediasoup-worker"
{
	echo "mediasoup $VERSION, built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm) by scripts/mediasoup-worker.sh (key $CACHE_KEY)"
	echo "meson $MESON_VERSION, ninja $NINJA_VERSION; system libraries:"
	for p in "${APT_PACKAGES[@]}"; do
		dpkg-query -W -f='  ${Package} ${Version}\n' "$p" 2>/dev/null || true
	done
} >"$STAGE/BUILD-INFO"
chmod 0755 "$STAGE"

# Atomic install: rename the staged folder into place (same file system).
rm -rf "$CACHE_DIR"
mv -T "$STAGE" "$CACHE_DIR" || die "cannot move the worker into $CACHE_DIR"
log "installed $CACHED_BIN"
printf '%s\n' "$CACHED_BIN"
