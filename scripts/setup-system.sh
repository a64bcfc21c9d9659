#!/usr/bin/env bash
# System prerequisites for the fabts test lab (see test/lab/).
#
# Idempotent and fast when nothing is missing: it runs before every `npm test` / `npm run demo`.
# Checks first (command -v / dpkg -s / id / file contents) and does nothing if all is present.
# If something is missing:
#   - as root: installs/creates it (apt-get, useradd, sudoers);
#   - otherwise: prints exactly what is missing and how to fix it, and exits 2.
set -euo pipefail

PACKAGES=(openssh-server openssh-client sudo nginx haproxy socat iproute2 iptables util-linux
  python3 python3-venv curl mariadb-server mariadb-client mariadb-backup rsyslog logrotate rsync time
  zsh fish mawk)  # zsh, fish: the completion scripts are tested in the shells themselves; mawk: and their awk
# The storage guest (test/lab/guest.ts): Debian's kernel under qemu, md/LVM/XFS tools shared from this host.
# Installed with --no-install-recommends (qemu's recommends are large and unneeded).
GUEST_PACKAGES=(qemu-system-x86 linux-image-amd64 busybox-static cpio kmod mdadm lvm2 xfsprogs e2fsprogs)
USER_NOPASSWD=fabts  # sudo NOPASSWD: ALL
USER_PASSWD=fabtspw  # sudo ALL with a password (the lab sets a random one at `up` time)
SUDOERS=/etc/sudoers.d/fabts-lab
SUDOERS_CONTENT="# Managed by fabts scripts/setup-system.sh (test lab users).
Defaults:${USER_NOPASSWD},${USER_PASSWD} lecture=never
${USER_NOPASSWD} ALL=(ALL:ALL) NOPASSWD: ALL
${USER_PASSWD} ALL=(ALL:ALL) ALL"

# .ci/run installs exactly this list: keep it in one place.
if [ "${1:-}" = "--print-packages" ]; then
  echo "${PACKAGES[*]}"
  exit 0
fi
if [ "${1:-}" = "--print-guest-packages" ]; then
  echo "${GUEST_PACKAGES[*]}"
  exit 0
fi

missing_pkgs=()
missing_guest=()
missing=()

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in "${PACKAGES[@]}"; do installed "$p" || missing_pkgs+=("$p"); done
for p in "${GUEST_PACKAGES[@]}"; do installed "$p" || missing_guest+=("$p"); done
for c in sshd ssh ssh-keygen sudo visudo unshare nsenter ip chpasswd nginx haproxy socat tar mariadbd mariabackup; do  # lb labs: nginx, haproxy, socat, tar; db labs: mariadb
  if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$c" >/dev/null 2>&1; then
    missing+=("command $c")
  fi
done

user_ok() { # user exists, has a home dir, and its account is not locked (UsePAM no refuses '!' hashes)
  local u=$1 hash
  id "$u" >/dev/null 2>&1 || return 1
  [ -d "$(getent passwd "$u" | cut -d: -f6)" ] || return 1
  if [ -r /etc/shadow ]; then
    hash=$(getent shadow "$u" | cut -d: -f2)
    case "$hash" in '!'*) return 1 ;; esac
  fi
  return 0
}
user_ok "$USER_NOPASSWD" || missing+=("user $USER_NOPASSWD")
user_ok "$USER_PASSWD" || missing+=("user $USER_PASSWD")

sudoers_ok() {
  [ -f "$SUDOERS" ] || return 1
  [ "$(cat "$SUDOERS" 2>/dev/null)" = "$SUDOERS_CONTENT" ] || return 1
  [ "$(stat -c %a "$SUDOERS")" = 440 ] || return 1
}
# Only root can read /etc/sudoers.d (0750); others rely on the user checks above.
if [ "$(id -u)" -eq 0 ] && ! sudoers_ok; then missing+=("sudoers $SUDOERS"); fi

if [ ${#missing_pkgs[@]} -eq 0 ] && [ ${#missing_guest[@]} -eq 0 ] && [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  {
    echo "setup-system: the fabts test lab needs system changes, but this is not running as root."
    [ ${#missing_pkgs[@]} -gt 0 ] && echo "  missing packages: ${missing_pkgs[*]}"
    [ ${#missing_guest[@]} -gt 0 ] && echo "  missing packages (storage guest): ${missing_guest[*]}"
    for m in "${missing[@]}"; do echo "  missing: $m"; done
    echo "Fix: run as root:  sudo bash scripts/setup-system.sh"
    echo "  (installs packages with apt-get, creates users $USER_NOPASSWD and $USER_PASSWD with home"
    echo "   dirs, and writes $SUDOERS). The lab itself also needs root (namespaces, sshd)."
  } >&2
  exit 2
fi

echo "setup-system: installing/creating: ${missing_pkgs[*]} ${missing_guest[*]} ${missing[*]}" >&2

if [ ${#missing_pkgs[@]} -gt 0 ] || [ ${#missing_guest[@]} -gt 0 ]; then
  # Never let package installs start daemons (no systemd here either).
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${PACKAGES[@]}"
  apt-get install -y -qq --no-install-recommends "${GUEST_PACKAGES[@]}"
fi

for u in "$USER_NOPASSWD" "$USER_PASSWD"; do
  if ! id "$u" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash "$u"
  fi
  home=$(getent passwd "$u" | cut -d: -f6)
  if [ ! -d "$home" ]; then
    mkdir -p "$home"
    cp -rT /etc/skel "$home" 2>/dev/null || true
    chown -R "$u:" "$home"
  fi
  # UsePAM no => sshd refuses accounts whose hash starts with '!' ("account is locked").
  # '*' = not locked, but no password can match. The lab sets $USER_PASSWD's password at `up`.
  case "$(getent shadow "$u" | cut -d: -f2)" in '!'*) usermod -p '*' "$u" ;; esac
done

if ! sudoers_ok; then
  tmp=$(mktemp /etc/sudoers.d/.fabts-lab.XXXXXX)
  printf '%s\n' "$SUDOERS_CONTENT" >"$tmp" # sudoers_ok compares via $(cat): trailing newline ignored
  chmod 0440 "$tmp"
  if ! visudo -cf "$tmp" >/dev/null; then
    rm -f "$tmp"
    echo "setup-system: generated sudoers file failed visudo -c" >&2
    exit 1
  fi
  mv -f "$tmp" "$SUDOERS"
fi

echo "setup-system: done" >&2
