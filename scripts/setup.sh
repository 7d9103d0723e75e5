#!/usr/bin/env bash
# Installs the system packages swbuild needs to build and test on Debian 12, as root.
# Safe to run again: apt-get skips what is already installed.
set -euo pipefail
packages=(curl slirp4netns docker.io docker-registry apache2-utils openssl libncurses-dev zlib1g-dev libzstd-dev zstd pkg-config busybox-static tmux python3 python3-pip runc skopeo umoci hyperfine openssh-client openssh-server debootstrap crun podman xz-utils bzip2 bc time python3-pil fonts-dejavu-core)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v swift >/dev/null || { echo "swift is not on PATH: install the Swift 6 toolchain first" >&2; exit 1; }
