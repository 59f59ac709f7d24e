#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian/Ubuntu machine, then runs all tests:
# apt packages (Chromium for browser tests, cmake/g++ for the native addon, ffmpeg for video
# input, QEMU via ../shared/vcam-vm for the virtual-camera end-to-end tests), npm packages, and
# finally `npm test`, whose last line is "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

APT_PACKAGES=(chromium cmake g++ make ffmpeg fonts-dejavu-core
  # what ../shared/vcam-vm/setup.sh needs; installed here because its own check for missing
  # packages installs nothing when several have never been installed (then depmod is missing)
  qemu-system-x86 busybox-static kmod v4l-utils gcc gcc-12 libc6-dev libelf1 libssl3 util-linux xz-utils)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing apt packages: ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

npm ci --no-audit --no-fund

# The virtual-camera end-to-end tests boot a Linux guest with a real v4l2loopback device.
VCAM_VM=../shared/vcam-vm
if [ -x "$VCAM_VM/setup.sh" ]; then
  VCAM_VM_CHROMIUM=1 "$VCAM_VM/setup.sh"
else
  echo "test.sh: $VCAM_VM not found; the virtual-camera VM tests will report a skip."
fi

npm test
