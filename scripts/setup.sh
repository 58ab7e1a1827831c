#!/usr/bin/env bash
# Everything berthd and its tests need on a fresh Debian machine, as root:
# conmon, runc, crun, busybox-static, tini, python3-docker, docker-compose, golang-github-docker-docker-dev (Docker's default seccomp profile,
# which berthd reads at start-up, and for the tests Docker's API document),
# docker-registry and skopeo (tests: a local registry and the pusher of its fixtures), netavark and aardvark-dns (networks),
# rootlesskit, slirp4netns and uidmap (berthd --rootless; /etc/subuid and /etc/subgid for --userns-remap) from apt, a docker client (tests),
# npm dependencies, the build, crun's cgroup v1 hugetlb hierarchy, and the busybox rootfs for tests.
# Idempotent and quick when there is nothing to do.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "setup: berthd drives runc and conmon and must run as root" >&2
  exit 1
fi

need=()
for pkg in conmon runc crun busybox-static curl tini python3-docker docker-compose golang-github-docker-docker-dev docker-registry skopeo openssl netavark aardvark-dns buildah rootlesskit slirp4netns uidmap; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
docker_client=/usr/local/bin/docker
have_docker=false
if [ -x "$docker_client" ] || command -v docker >/dev/null; then have_docker=true; fi
if [ ${#need[@]} -gt 0 ] || [ "$have_docker" = false ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  apt-get install -y -qq "${need[@]}" >/dev/null
  # docker-registry's package enables and starts a registry on :5000; the tests start their own on loopback.
  if [[ " ${need[*]} " == *" docker-registry "* ]]; then systemctl disable --now docker-registry >/dev/null 2>&1 || true; fi
fi

# The docker-CLI tests drive a real docker client. Installing Debian's docker.io
# would also enable and start dockerd and containerd (its postinst runs
# invoke-rc.d docker start) and pull in iptables, so only the client binary is
# taken out of the package: no daemon, no service, no maintainer scripts run.
if [ "$have_docker" = false ]; then
  echo "setup: installing the docker client from Debian's docker.io at $docker_client" >&2
  deb_dir=$(mktemp -d)
  chown _apt "$deb_dir" 2>/dev/null || true # apt downloads as _apt when it can
  (cd "$deb_dir" && apt-get download -qq docker.io)
  dpkg-deb --fsys-tarfile "$deb_dir"/docker.io_*.deb | tar -xOf - ./usr/bin/docker >"$deb_dir/docker"
  install -m 0755 "$deb_dir/docker" "$docker_client"
  rm -rf "$deb_dir"
  "$docker_client" --version >&2
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

# slirp4netns (berthd --rootless) opens /dev/net/tun as the user: udev makes it 0666 on Debian, a machine without udev leaves it 0600.
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then chmod 0666 /dev/net/tun; fi

bash scripts/make-rootfs.sh test/.rootfs
