#!/usr/bin/env bash
# Builds a minimal busybox root filesystem from Debian's busybox-static package.
# usage: scripts/make-rootfs.sh DIR   (idempotent: does nothing if DIR/bin/busybox is current)
set -euo pipefail
dir=${1:?usage: make-rootfs.sh DIR}
bb=/bin/busybox
if ! dpkg -s busybox-static >/dev/null 2>&1; then
  echo "make-rootfs: busybox-static is not installed (apt-get install -y busybox-static)" >&2
  exit 1
fi
if [ -x "$dir/bin/busybox" ] && cmp -s "$bb" "$dir/bin/busybox"; then exit 0; fi
tmp="$dir.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,var}
chmod 1777 "$tmp/tmp"
cp "$bb" "$tmp/bin/busybox"
# One symlink per applet busybox knows, at the path it names.
for applet in $("$bb" --list-full); do
  [ -e "$tmp/$applet" ] || ln -s /bin/busybox "$tmp/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$tmp/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$tmp/etc/group"
rm -rf "$dir"
mv "$tmp" "$dir"
