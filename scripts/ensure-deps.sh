#!/usr/bin/env bash
# Installs the Debian packages that target builds and QEMU runs need, when
# any is missing. Silent when everything is already there, so CI can call
# it on every run.
set -euo pipefail

packages=(qemu-system-arm gcc-arm-none-eabi libnewlib-arm-none-eabi gdb-multiarch cmake)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
fi

echo "ensure-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
