#!/usr/bin/env bash
# Everything berthd and its tests need on a fresh Debian machine, as root:
# conmon, runc, crun, busybox-static, tini and python3-docker (tests) from apt, npm dependencies, the build,
# crun's cgroup v1 hugetlb hierarchy, and the busybox rootfs for tests.
# Idempotent and quick when there is nothing to do.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "setup: berthd drives runc and conmon and must run as root" >&2
  exit 1
fi

need=()
for pkg in conmon runc crun busybox-static curl tini python3-docker; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
npx tsc -p tsconfig.json

# On cgroup v1/hybrid hosts crun refuses to run ("cgroups in hybrid mode not
# supported") until hugetlb is mounted as a v1 hierarchy.
if [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ] && ! grep -q ' /sys/fs/cgroup/hugetlb ' /proc/self/mounts; then
  mkdir -p /sys/fs/cgroup/hugetlb
  mount -t cgroup -o hugetlb none /sys/fs/cgroup/hugetlb || echo "setup: could not mount the hugetlb cgroup; crun may not work" >&2
fi

bash scripts/make-rootfs.sh test/.rootfs
