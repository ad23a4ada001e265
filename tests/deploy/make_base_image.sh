#!/usr/bin/env bash
# Makes the Debian 12 base image the image test builds on, without an image
# registry: debootstrap (minbase) from the Debian mirror into a directory,
# trimmed like debian:bookworm-slim, imported into podman.
#
# Usage: make_base_image.sh [IMAGE]     (default localhost/signet-base:bookworm)
# Env:   SIGNET_DEBIAN_MIRROR (default http://deb.debian.org/debian)
#        SIGNET_BASE_WORKDIR  where the root filesystem is made (default /var/tmp)
#
# Cached: does nothing when podman already has IMAGE. Needs root, podman and
# debootstrap (Debian packages). Takes about half a minute on a fast mirror.
# Exits 77 (skip) when podman or debootstrap is missing or it is not root.
set -euo pipefail

image="${1:-localhost/signet-base:bookworm}"
mirror="${SIGNET_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security_mirror="${SIGNET_DEBIAN_SECURITY_MIRROR:-${mirror%/debian}/debian-security}"
workdir="${SIGNET_BASE_WORKDIR:-/var/tmp}"

for tool in podman debootstrap; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "make_base_image.sh: $tool is not installed (apt-get install --no-install-recommends podman debootstrap); skipped" >&2
    exit 77
  fi
done
if [[ $(id -u) -ne 0 ]]; then
  echo "make_base_image.sh: debootstrap and the image test need root; skipped" >&2
  exit 77
fi

if podman image exists "$image"; then
  echo "make_base_image.sh: $image exists"
  exit 0
fi

rootfs="$(mktemp -d "$workdir/signet-base-rootfs.XXXXXX")"
trap 'rm -rf "$rootfs"' EXIT
start=$SECONDS
echo "make_base_image.sh: debootstrap --variant=minbase bookworm from $mirror" >&2
if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1; then
  tail -n 30 "$rootfs.log" >&2
  rm -f "$rootfs.log"
  echo "make_base_image.sh: debootstrap failed" >&2
  exit 1
fi
rm -f "$rootfs.log"

# What debian:bookworm-slim has beyond minbase: the updates and security
# suites, and no documentation, manual pages or translations in packages
# installed later.
cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security_mirror bookworm-security main
EOF
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
cat >"$rootfs/etc/apt/apt.conf.d/slim" <<'EOF'
APT::Install-Recommends "false";
Acquire::Languages "none";
EOF
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$rootfs/usr/share/man" "$rootfs/usr/share/info" "$rootfs/usr/share/locale" -mindepth 1 \
  -not -name locale.alias -delete 2>/dev/null || true
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
  "$rootfs"/var/log/* "$rootfs"/tmp/*
# Container engines provide these.
rm -f "$rootfs/etc/hostname" "$rootfs/etc/resolv.conf"
: >"$rootfs/etc/resolv.conf"

tar --numeric-owner -C "$rootfs" -c . |
  podman import --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$image" >/dev/null
echo "make_base_image.sh: $image made in $((SECONDS - start)) s"
