#!/usr/bin/env bash
# `./recinto bundle [--out DIR]`: an offline install for machines that cannot reach any registry.
# Writes DIR/recinto-VERSION-linux-ARCH.tar.gz (DIR: the current folder) holding one folder,
# recinto-VERSION/, with
#   recinto                 the wrapper; BUNDLE (beside it) makes it use only what is here
#   node/bin/node, LICENSE  the Node 24 the wrapper runs
#   worker/mediasoup-worker a launcher: the worker (worker/bin/) with the shared libraries it
#                           loads (worker/lib/, glibc's own excepted; their Debian copyright files
#                           and versions in worker/lib/copyright/ and worker/lib/PACKAGES)
#   node_modules/           production packages only (npm prune --omit=dev, offline), stripped
#   client/dist, server/, protocol/, config/default.json, deploy/, docs/, README.md,
#   package.json, package-lock.json (and LICENSE when there is one)
#   SHA256SUMS              every other file, for `sha256sum -c SHA256SUMS`
# Run by the wrapper after `setup`, so Node, the packages, the worker and the client are there;
# the wrapper's node is the one bundled, MEDIASOUP_WORKER_BIN the worker. The archive is
# reproducible: sorted, owner 0, every mtime SOURCE_DATE_EPOCH (default: the last commit's time),
# gzip without name or time. Prints the archive's path on stdout; progress goes to stderr.
set -euo pipefail

repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
say() { printf 'recinto bundle: %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

out="."
while (($#)); do
  case "$1" in
    --out) (($# >= 2)) || die "--out needs a folder"; out="$2"; shift 2 ;;
    --out=*) out="${1#--out=}"; shift ;;
    *) die "unknown argument \"$1\" (usage: ./recinto bundle [--out DIR])" ;;
  esac
done
[[ -d "$out" ]] || die "--out $out: no such folder"
out="$(cd "$out" && pwd)"

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) die "no bundle for $(uname -m) (x86_64 and aarch64 only)" ;;
esac
node_bin="$(readlink -f "$(command -v node)")"
[[ "$("$node_bin" -p 'process.versions.node.split(".")[0]')" == 24 ]] || die "$node_bin is not Node 24"
json() { "$node_bin" -p "require('$1').$2"; }
version="$(json "$repo/package.json" version)"
worker="${MEDIASOUP_WORKER_BIN:-$(bash "$repo/scripts/mediasoup-worker.sh")}"
[[ -x "$worker" ]] || die "no mediasoup worker at $worker"
[[ -f "$repo/client/dist/index.html" ]] || die "client/dist is not built (node scripts/client-build.ts)"
epoch="${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || stat -c %Y "$repo/package.json")}"

name="recinto-$version"
archive="$out/$name-linux-$arch.tar.gz"
work="$(mktemp -d "${TMPDIR:-/tmp}/recinto-bundle.XXXXXX")"
trap 'rm -rf "$work"' EXIT
top="$work/$name"
mkdir -p "$top"

# --- the project: what runs, what configures it, what documents it.
say "staging $name for linux-$arch in $work"
for p in recinto server protocol deploy docs README.md package.json package-lock.json LICENSE; do
  if [[ -e "$repo/$p" ]]; then cp -R "$repo/$p" "$top/"; fi
done
mkdir -p "$top/config" "$top/client"
cp "$repo/config/default.json" "$top/config/"
cp -R "$repo/client/dist" "$top/client/"
find "$top/client/dist" -name '*.map' -delete # never served; only a debugging build has them

# --- Node: the binary the wrapper runs and its licence (the npm package's, or Debian's).
mkdir -p "$top/node/bin"
cp "$node_bin" "$top/node/bin/node"
node_license="$(dirname "$(dirname "$node_bin")")/LICENSE"
[[ -f "$node_license" ]] || node_license=/usr/share/doc/nodejs/copyright
[[ -f "$node_license" ]] || die "no licence file for $node_bin"
cp "$node_license" "$top/node/LICENSE"

# --- the worker and every shared library it loads but glibc's own (those belong to the machine).
glibc='^(linux-vdso|linux-gate|ld-linux[^ ]*|libc|libm|libdl|libpthread|librt|libresolv|libutil|libanl)\.so'
# "soname path" per library ldd resolves for $1, glibc's left out; fails on one it cannot find.
needed() {
  local listing
  listing="$(ldd "$1")" || die "ldd $1 failed"
  if grep -q 'not found' <<<"$listing"; then die "$1 needs libraries this machine lacks: $(grep 'not found' <<<"$listing" | tr -s ' \t\n' ' ')"; fi
  awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' <<<"$listing" | { grep -Ev "$glibc" || true; }
}
declare -A libs=()
close_over() {
  local queue=("$@") file soname path
  while ((${#queue[@]})); do
    file="${queue[0]}"
    queue=("${queue[@]:1}")
    needed "$file" >"$work/needed"
    while read -r soname path; do
      [[ -n "${libs[$soname]:-}" ]] && continue
      libs[$soname]="$path"
      queue+=("$path")
    done <"$work/needed"
  done
}
close_over "$worker"
# NSS (libsrtp2's cryptography on Debian) loads its software token with dlopen, from the folder
# libnss3 was loaded from, when the first SRTP session starts: ldd cannot see those.
if [[ -n "${libs[libnss3.so]:-}" ]]; then
  nss_dir="$(dirname "${libs[libnss3.so]}")"
  modules=()
  for m in libsoftokn3.so libfreeblpriv3.so; do
    [[ -f "$nss_dir/$m" ]] || die "libnss3 without $nss_dir/$m"
    libs[$m]="$nss_dir/$m"
    modules+=("$nss_dir/$m")
  done
  close_over "${modules[@]}"
fi
mkdir -p "$top/worker/bin" "$top/worker/lib/copyright"
cp "$worker" "$top/worker/bin/mediasoup-worker"
: >"$work/packages"
for soname in "${!libs[@]}"; do
  path="${libs[$soname]}"
  cp -L "$path" "$top/worker/lib/$soname"
  if [[ -f "${path%.so}.chk" ]]; then cp -L "${path%.so}.chk" "$top/worker/lib/"; fi # NSS's FIPS checksums
  # The Debian package that ships it (bookworm lists some under /lib, most under /usr/lib).
  command -v dpkg >/dev/null || continue
  pkg=""
  for candidate in "$path" "/usr${path#/usr}" "${path#/usr}"; do
    pkg="$(dpkg -S "$candidate" 2>/dev/null | head -n1 | cut -d: -f1 || true)"
    if [[ -n "$pkg" ]]; then break; fi
  done
  if [[ -z "$pkg" ]]; then continue; fi
  dpkg-query -W -f='${Package} ${Version}\n' "$pkg" >>"$work/packages"
  if [[ -f "/usr/share/doc/$pkg/copyright" ]]; then cp "/usr/share/doc/$pkg/copyright" "$top/worker/lib/copyright/$pkg"; fi
done
LC_ALL=C sort -u "$work/packages" >"$top/worker/lib/PACKAGES"
cat >"$top/worker/mediasoup-worker" <<'SH'
#!/bin/sh
# mediasoup's worker with the libraries bundled beside it, for this process only; the channel
# descriptors mediasoup hands it (3 and 4) pass through exec.
here="$(dirname "$(readlink -f "$0")")"
LD_LIBRARY_PATH="$here/lib" exec "$here/bin/mediasoup-worker" "$@"
SH
chmod 0755 "$top/worker/mediasoup-worker"
say "worker: $(ls "$top/worker/lib" | grep -c '\.so') libraries bundled"

# --- production packages: a copy pruned offline by npm, then what nothing loads at run time.
say "node_modules: production packages only"
cp -a "$repo/node_modules" "$top/"
rm -rf "$top"/node_modules/.recinto-lock-* "$top/node_modules/.vite" "$top/node_modules/.cache"
(cd "$top" && npm prune --omit=dev --ignore-scripts --offline --no-audit --no-fund --loglevel=error >&2)
nm="$top/node_modules"
rm -rf "$nm/.bin" "$nm/.package-lock.json" \
  "$nm/mediasoup/worker" \
  "$nm/better-sqlite3/deps" "$nm/better-sqlite3/src" "$nm/better-sqlite3/binding.gyp" \
  "$nm/argon2/argon2" "$nm/argon2/argon2.cpp" "$nm/argon2/binding.gyp"
find "$nm/better-sqlite3/prebuilds" -type f ! -name "linux-$arch.node" -delete
find "$nm/argon2/prebuilds" -mindepth 1 -maxdepth 1 ! -name "linux-$arch" -exec rm -rf {} +
find "$nm" -type f \( -name '*.d.ts' -o -name '*.d.cts' -o -name '*.d.mts' -o -name '*.map' \) -delete
if [[ -n "$(find "$top" -type l -print -quit)" ]]; then die "symbolic links left in the bundle: $(find "$top" -type l | head -n3)"; fi

# --- the marker, the checksums, the archive.
mediasoup_version="$(json "$repo/node_modules/mediasoup/package.json" version)"
cat >"$top/BUNDLE" <<EOF
Recinto $version, offline bundle for linux-$arch (./recinto bundle): everything it runs is in this
folder, and the wrapper installs nothing. Check it with: sha256sum -c SHA256SUMS
platform linux-$arch
node $("$node_bin" -p process.versions.node)
mediasoup $mediasoup_version
EOF
chmod -R u+rwX,go+rX,go-w "$top"
(cd "$top" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum >SHA256SUMS)
say "archiving $(du -sh "$top" | cut -f1) into $archive"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" --format=gnu -C "$work" -cf - "$name" | gzip -n >"$archive.part"
mv "$archive.part" "$archive"
say "$(du -h "$archive" | cut -f1) $archive"
printf '%s\n' "$archive"
