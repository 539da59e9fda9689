#!/usr/bin/env bash
# Installs the system packages the test suite's real peers need (Debian), when they are missing.
# Run by `npm test` (pretest). Without root or apt it only says what is missing: the tests that
# need a missing piece then fail with a message naming it.
set -u
# binary -> Debian package
declare -A NEEDED=(
  [rsyslogd]=rsyslog
  [journalctl]=systemd
  [logrotate]=logrotate
  [promtool]=prometheus
)
missing=()
for bin in "${!NEEDED[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing+=("${NEEDED[$bin]}")
done
[ -x /lib/systemd/systemd-journald ] || missing+=(systemd)
[ ${#missing[@]} -eq 0 ] && exit 0
packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: missing Debian packages: $packages(need root and apt-get to install them; the tests that use them will fail)" >&2
  exit 0
fi
echo "setup-system: installing $packages" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends $packages >&2 \
  || echo "setup-system: apt-get install $packages failed; the tests that use them will fail" >&2
exit 0
