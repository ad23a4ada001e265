#!/bin/sh
# Checks deploy/systemd/signet.service with systemd's own tools:
#
#   1. `systemd-analyze verify` must print nothing (no unknown keys, no
#      bad values, no missing dependencies or executables);
#   2. `systemd-analyze security --offline=true` must rate the unit's
#      overall exposure at most 2.0 ("OK"). The score and the full table
#      are printed.
#
# Usage: tests/package/check_unit.sh SOURCE_DIR
#
# Both run against a throw-away root (--root=): verify checks that
# ExecStart= and ExecReload= name executables, and the signet binary is not
# installed on the machine that runs the tests. The root holds a copy of
# this machine's systemd units (for sysinit.target, network-online.target,
# multi-user.target, ...), the unit under test in etc/systemd/system and
# stub executables at usr/bin/signet and usr/bin/kill (bin -> usr/bin, as on
# Debian 12). Needs systemd 252 or later; exits 77 (skipped) without
# systemd-analyze.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 SOURCE_DIR" >&2
  exit 2
fi
unit="$1/deploy/systemd/signet.service"
max_exposure=2.0

if [ ! -f "$unit" ]; then
  echo "check_unit: no unit at $unit" >&2
  exit 1
fi
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "check_unit: systemd-analyze is not installed (Debian package systemd); skipped" >&2
  exit 77
fi
units_dir=
for d in /usr/lib/systemd/system /lib/systemd/system; do
  if [ -f "$d/multi-user.target" ]; then units_dir=$d; break; fi
done
if [ -z "$units_dir" ]; then
  echo "check_unit: no systemd unit directory with multi-user.target on this machine; skipped" >&2
  exit 77
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/signet-unit.XXXXXX")
trap 'rm -rf "$root"' EXIT INT TERM
mkdir -p "$root/etc/systemd/system" "$root/usr/bin" "$root/usr/lib/systemd"
ln -s usr/bin "$root/bin"
ln -s usr/lib "$root/lib"
cp -R "$units_dir" "$root/usr/lib/systemd/system"
cp "$unit" "$root/etc/systemd/system/signet.service"
for exe in signet kill; do
  printf '#!/bin/sh\nexit 0\n' >"$root/usr/bin/$exe"
  chmod 0755 "$root/usr/bin/$exe"
done

status=0

echo "== systemd-analyze verify --root=ROOT --man=no signet.service"
verify_out=$(systemd-analyze verify --root="$root" --man=no signet.service 2>&1) || status=1
if [ -n "$verify_out" ]; then
  printf '%s\n' "$verify_out"
  echo "check_unit: systemd-analyze verify reported problems" >&2
  status=1
elif [ "$status" -ne 0 ]; then
  echo "check_unit: systemd-analyze verify failed" >&2
else
  echo "ok"
fi

echo "== systemd-analyze security --offline=true --root=ROOT signet.service"
security_out=$(systemd-analyze security --offline=true --root="$root" signet.service 2>&1) || true
printf '%s\n' "$security_out"
score=$(printf '%s\n' "$security_out" | sed -n 's/.*Overall exposure level for signet\.service: \([0-9][0-9]*\.[0-9]\).*/\1/p')
if [ -z "$score" ]; then
  echo "check_unit: no overall exposure level in the output of systemd-analyze security" >&2
  exit 1
fi
echo "exposure: $score (at most $max_exposure allowed)"
if ! awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s + 0 <= m + 0) }'; then
  echo "check_unit: exposure $score is above $max_exposure" >&2
  status=1
fi

exit "$status"
