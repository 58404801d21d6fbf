#!/usr/bin/env bash
# The README's first set-up command on a fresh Debian 12 whose only Python is python3 with
# python3-venv and libpython3.11: no gcc, no -dev package, no Python.h, no binutils. It
# debootstraps such a system (cached in DIR between runs), copies this checkout's files into
# it (as a clone would have them), and runs the command exactly as README.md shows it, in a
# bubblewrap sandbox whose root is that system. It fails if the command fails, if the system
# has a C compiler after all, or if the frozen example does not greet.
#
#   ci/fresh-debian.sh [DIR]        (as root; DIR defaults to /var/tmp/freezer-fresh-debian)
#
# pip inside reaches the package index through this machine's pip configuration and CA
# certificates, bound in read-only, as the machine's own pip does. Nothing of the caller's
# environment goes in: a fresh machine has none of it.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-/var/tmp/freezer-fresh-debian}"
system="$dir/system"

if [ ! -e "$system/.complete" ]; then
    rm -rf "$system"
    mkdir -p "$dir"
    debootstrap --variant=minbase --include=python3,python3-venv,libpython3.11 bookworm \
        "$system" >"$dir/debootstrap.log" 2>&1 || {
        tail -5 "$dir/debootstrap.log" >&2; echo "fresh-debian: debootstrap failed" >&2; exit 1; }
    touch "$system/.complete"
fi
for tool in cc gcc strip; do
    if [ -e "$system/usr/bin/$tool" ]; then
        echo "fresh-debian: the fresh system has $tool; it must not" >&2; exit 1
    fi
done
if ls "$system"/usr/include/python3* >/dev/null 2>&1; then
    echo "fresh-debian: the fresh system has Python headers; it must not" >&2; exit 1
fi

# The command, as README.md shows it (step 1 of "Set up and try it").
command="$(sed -n 's/^[[:space:]]*\(python3 -m venv .venv && .venv\/bin\/python -m pip install -q -e \. && .*\)$/\1/p' \
    "$repo/README.md" | head -1)"
[ -n "$command" ] || { echo "fresh-debian: no set-up command found in README.md" >&2; exit 1; }

# A clone's files: what git tracks, plus what is added and not yet committed.
src="$dir/src"
rm -rf "$src"
mkdir -p "$src"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard) |
    (cd "$repo" && xargs -0 cp --parents -t "$src" 2>/dev/null || true)

binds=(--ro-bind /etc/resolv.conf /etc/resolv.conf)
for f in /etc/pip.conf /etc/ssl/certs/ca-certificates.crt; do
    [ -e "$f" ] && binds+=(--ro-bind "$f" "$f")
done
[ -d /etc/xdg/pip ] && binds+=(--ro-bind /etc/xdg/pip /etc/xdg/pip)

echo "fresh-debian: running: $command"
out="$(bwrap --bind "$system" / "${binds[@]}" --bind "$src" /src --proc /proc --dev /dev \
    --tmpfs /tmp --tmpfs /root --clearenv --setenv HOME /root --setenv PATH /usr/bin:/bin \
    --setenv LANG C.UTF-8 --unshare-all --share-net --die-with-parent --chdir /src \
    /bin/sh -c "$command")"
printf '%s\n' "$out"
case "$out" in
    *"Hello, world!"*"wörld"*) echo "fresh-debian: ok" ;;
    *) echo "fresh-debian: the frozen example did not greet" >&2; exit 1 ;;
esac
