#!/usr/bin/env bash
# The GPU check of issue 13 as one command for a machine with a GPU (bench/gpu-check.ts does the
# work): makes the Vulkan loader and the NVIDIA Vulkan driver findable for Dawn, then runs the
# executor on tensorflow-gpu, webgpu (and cpu, for comparison) over 10,000 digits and writes the
# JSON report to stdout and to $OUT/gpu-check.json when OUT is set (else bench/results-gpu-check-gpu.json).
#
#   bash scripts/gpu-check.sh [extra bench:gpu arguments, e.g. --n 2000]
#
# Needs Node ≥ 22 and the installed node_modules (npm ci). Where the machine has no Vulkan loader
# (`ldconfig -p | grep libvulkan.so.1` prints nothing), put the .deb files of libvulkan1 (and, for
# OpenGL, libegl1 libglvnd0 libgles2) in .gl/ at the repository root: they are unpacked into / first.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -d .gl ] && compgen -G ".gl/*.deb" >/dev/null; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig || true
fi
# NVIDIA container images mount the driver's Vulkan/EGL manifests here rather than in /usr/share
nv=/usr/local/nvidia/share
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nv/vulkan/icd.d/nvidia_icd.json" ]; then
  export VK_DRIVER_FILES="$nv/vulkan/icd.d/nvidia_icd.json"
fi
if [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && [ -f "$nv/glvnd/egl_vendor.d/10_nvidia.json" ]; then
  export __EGL_VENDOR_LIBRARY_FILENAMES="$nv/glvnd/egl_vendor.d/10_nvidia.json"
fi

out="${OUT:-bench}/$([ -n "${OUT:-}" ] && echo gpu-check.json || echo results-gpu-check-gpu.json)"
{
  echo "== $(date -u +%FT%TZ) $(uname -m)"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
  ldconfig -p 2>/dev/null | grep -m1 libvulkan.so.1 || echo "no libvulkan.so.1 in the loader cache"
} >&2
if [ -x node_modules/.bin/tsx ]; then tsx=node_modules/.bin/tsx; else tsx="npx tsx"; fi
$tsx bench/gpu-check.ts --backends tensorflow-gpu,webgpu,cpu --out "$out" "$@"
