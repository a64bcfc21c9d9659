#!/usr/bin/env bash
# The peers that bench/ compares fab with, from Debian's packages: Fabric 2 and Ansible.
# Not needed by `npm test` (CI does not install them); `npm run bench:setup` before the peer benchmarks.
# Idempotent: installs only what is missing; not root -> prints the command and exits 2.
set -euo pipefail
PEERS=(python3-fabric ansible-core)
missing=()
for p in "${PEERS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "bench peers missing: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 2
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
