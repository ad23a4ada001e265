#!/usr/bin/env bash
# The Debian package on a clean Debian 12: debootstraps a minimal bookworm
# (cached in /var/tmp), installs build/package/signet_*.deb there with apt
# (its dependencies from the Debian mirror), checks what the maintainer
# scripts made (the system user, modes of the configuration, the data
# directory and the passphrase, the unit enabled), then runs the service as
# systemd would run signet.service: the unit's own ExecStart as its User in
# its WorkingDirectory, with a NOTIFY_SOCKET this script listens on. It
# waits for READY=1, issues a certificate over HTTPS, checks it with
# openssl, edits the conffile and sends the unit's ExecReload signal (the
# change applies live: RELOADING=1, READY=1), and stops it with SIGTERM as
# systemd does (STOPPING=1, exit 0). PID 1 here is not systemd, so the unit's
# sandboxing itself is checked by tests/package/check_unit.sh
# (systemd-analyze), not here.
#
# usage: install_test.sh BUILD_DIR SOURCE_DIR    (exit 77: no debootstrap, not root or no package)
set -euo pipefail
build_dir=$1
source_dir=$2
deb=$(ls "$build_dir"/package/signet_*_amd64.deb 2>/dev/null | head -1 || true)
[[ $(id -u) == 0 ]] || { echo "install_test: needs root (chroot, debootstrap); skipped"; exit 77; }
command -v debootstrap >/dev/null || { echo "install_test: debootstrap is not installed; skipped"; exit 77; }
[[ -n "$deb" ]] || { echo "install_test: no package in $build_dir/package (scripts/package makes it); skipped"; exit 77; }

cache=${SIGNET_DEBIAN_ROOT:-/var/tmp/signet-bookworm-minbase}
work=$(mktemp -d /var/tmp/signet-install-XXXXXX)
root=$work/root
listener=
cleanup() {
  [[ -n "$listener" ]] && kill "$listener" 2>/dev/null || true
  [[ -f "$work/main.pid" ]] && kill -KILL "$(cat "$work/main.pid")" 2>/dev/null || true
  for m in dev/pts dev sys proc; do umount "$root/$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$work/service.log" ]] && tail -n 40 "$work/service.log" >&2; exit 1; }
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

# A clean root: minbase debootstrap once (about a minute), a copy per run.
if [[ ! -x "$cache/bin/bash" ]]; then
  rm -rf "$cache.partial"
  debootstrap --variant=minbase bookworm "$cache.partial" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log"; fail "debootstrap"; }
  mv "$cache.partial" "$cache"
fi
cp -a "$cache" "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
for m in proc sys dev dev/pts; do mount --bind "/$m" "$root/$m"; done
cp "$deb" "$root/tmp/signet.deb"

in_root apt-get update -qq >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get update in the clean root"; }
in_root apt-get install -y -qq --no-install-recommends /tmp/signet.deb >>"$work/apt.log" 2>&1 \
  || { tail -n 30 "$work/apt.log"; fail "apt-get install signet.deb"; }
echo "install_test: installed $(basename "$deb") and its dependencies into a clean bookworm"

# What the maintainer scripts made.
in_root id signet >/dev/null || fail "no system user signet"
[[ $(in_root stat -c '%U:%G %a' /etc/signet/signet.yaml) == "root:signet 640" ]] || fail "/etc/signet/signet.yaml: $(in_root stat -c '%U:%G %a' /etc/signet/signet.yaml)"
[[ $(in_root stat -c '%U:%G %a' /var/lib/signet) == "signet:signet 700" ]] || fail "/var/lib/signet: $(in_root stat -c '%U:%G %a' /var/lib/signet)"
[[ $(in_root stat -c '%U:%G %a' /etc/signet/keys.passphrase) == "root:signet 640" ]] || fail "no passphrase file as expected"
[[ -L "$root/etc/systemd/system/multi-user.target.wants/signet.service" ]] || fail "signet.service is not enabled"
grep -qx /etc/signet/signet.yaml "$root/var/lib/dpkg/info/signet.conffiles" || fail "signet.yaml is not a conffile"
[[ -f "$root/usr/lib/signet/plugins/ca-internal.so" ]] || fail "no plugins in /usr/lib/signet/plugins"

# Free loopback ports instead of 8443/8080, which other tests may hold: an
# operator's edit of the conffile.
read -r https_port pki_port < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
sed -i "s/127.0.0.1:8443/127.0.0.1:$https_port/; s/127.0.0.1:8080/127.0.0.1:$pki_port/" "$root/etc/signet/signet.yaml"
in_root runuser -u signet -- signet config check /etc/signet/signet.yaml >/dev/null || fail "config check of the installed configuration"

# The service as the unit says: ExecStart, User, WorkingDirectory.
unit=$root/lib/systemd/system/signet.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
user=$(sed -n 's/^User=//p' "$unit")
workdir=$(sed -n 's/^WorkingDirectory=//p' "$unit")
[[ $(sed -n 's/^Type=//p' "$unit") == notify ]] || fail "the unit is not Type=notify"
/usr/bin/python3 "$source_dir/tests/package/notify_listener.py" "$root/run/signet-notify" "$work/notify" &
listener=$!
for _ in $(seq 1 50); do [[ -S "$root/run/signet-notify" ]] && break; sleep 0.1; done
# RuntimeDirectory=signet: systemd makes /run/signet for the user and names it in the environment.
[[ $(sed -n 's/^RuntimeDirectory=//p' "$unit") == signet ]] || fail "the unit has no RuntimeDirectory=signet"
install -d -m 0700 -o "$(in_root id -u signet)" -g "$(in_root id -g signet)" "$root/run/signet"
chroot --userspec="$user:$user" "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME="$workdir" NOTIFY_SOCKET=/run/signet-notify \
  RUNTIME_DIRECTORY=/run/signet \
  /bin/sh -c "cd $workdir && echo \$\$ > /tmp/main.pid && exec $exec_start" >"$work/service.log" 2>&1 &
service=$!
for _ in $(seq 1 50); do [[ -s "$root/tmp/main.pid" ]] && break; sleep 0.1; done
cp "$root/tmp/main.pid" "$work/main.pid"
main_pid=$(cat "$work/main.pid")
for _ in $(seq 1 600); do
  grep -q "READY=1" "$work/notify" 2>/dev/null && break
  kill -0 "$main_pid" 2>/dev/null || fail "the service exited before READY=1"
  sleep 0.1
done
grep -q "READY=1" "$work/notify" || fail "no READY=1 within 60 s"
# READY=1 comes once the listeners are up: the first call must find them.
url=https://127.0.0.1:$https_port
curl -sf --cacert "$root/var/lib/signet/ca.pem" "$url/health" >/dev/null || fail "READY=1 was sent but $url/health does not answer"
echo "install_test: READY=1 from PID $main_pid; $url serving"

in_root runuser -u signet -- signet token bootstrap --config /etc/signet/signet.yaml --out /var/lib/signet/admin-token >/dev/null \
  || fail "token bootstrap as the signet user"
token=$(cat "$root/var/lib/signet/admin-token")
# issue NAME: a P-256 CSR for NAME sent as the admin; the answer in $work/NAME.json, the status printed.
issue() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/$1.key" -out "$work/$1.csr" \
    -subj "/CN=$1" -addext "subjectAltName=DNS:$1" 2>/dev/null
  body=$(python3 -c 'import json,sys; print(json.dumps({"common_name":sys.argv[2],"csr":open(sys.argv[1]).read()}))' "$work/$1.csr" "$1")
  curl -s -o "$work/$1.json" -w '%{http_code}' --cacert "$root/var/lib/signet/ca.pem" -X POST \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body" "$url/v1/certificates"
}
status=$(issue app.example.invalid)
[[ "$status" == 201 ]] || fail "issuance answered $status: $(cat "$work/app.example.invalid.json")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); open(sys.argv[2],"w").write(d["certificate"]); open(sys.argv[3],"w").write("".join(d["chain"]))' \
  "$work/app.example.invalid.json" "$work/leaf.pem" "$work/chain.pem" || fail "the 201 body has no certificate and chain"
openssl verify -partial_chain -CAfile "$work/chain.pem" "$work/leaf.pem" >/dev/null || fail "openssl does not verify the issued certificate"
echo "install_test: issued a certificate for app.example.invalid; openssl verifies it"

# ExecReload as systemd runs it: the unit's command with $MAINPID, as the
# unit's user, in its environment. It returns when the reload is done, and
# fails (with the reasons) when the host refused the file.
exec_reload=$(sed -n 's/^ExecReload=//p' "$unit")
run_reload() {
  chroot --userspec="$user:$user" "$root" /usr/bin/env -i PATH=/usr/bin:/bin RUNTIME_DIRECTORY=/run/signet \
    /bin/sh -c "${exec_reload//\$MAINPID/$main_pid}" >"$work/reload.out" 2>&1
}
status=$(issue app.example.test)
[[ "$status" == 400 ]] || fail "before the reload .example.test answered $status"

# A mistake in the conffile: `systemctl reload` fails and says where; the service serves on.
cp "$root/etc/signet/signet.yaml" "$work/signet.yaml.good"
sed -i 's/^log_level: info/log_level: loud/' "$root/etc/signet/signet.yaml"
run_reload && fail "ExecReload succeeded with log_level: loud"
grep -q "signet.yaml:[0-9]*: log_level" "$work/reload.out" || fail "ExecReload did not say what is wrong: $(cat "$work/reload.out")"
cp "$work/signet.yaml.good" "$root/etc/signet/signet.yaml"

# The operator allows another domain and reloads: applied live (RELOADING=1, then READY=1).
sed -i 's/allowed_suffixes: \[.example.invalid\]/allowed_suffixes: [.example.invalid, .example.test]/' "$root/etc/signet/signet.yaml"
ready_before=$(grep -c "READY=1" "$work/notify")
run_reload || fail "ExecReload failed: $(cat "$work/reload.out")"
grep -q "reloaded: profiles" "$work/reload.out" || fail "ExecReload did not report the change: $(cat "$work/reload.out")"
grep -q "RELOADING=1" "$work/notify" || fail "no RELOADING=1"
[[ $(grep -c "READY=1" "$work/notify") -gt $ready_before ]] || fail "no READY=1 after the reload"
kill -0 "$main_pid" 2>/dev/null || fail "the reload ended the service"
status=$(issue app.example.test)
[[ "$status" == 201 ]] || fail "after the reload .example.test answered $status: $(cat "$work/app.example.test.json")"
echo "install_test: ExecReload refused a broken conffile with its line, then applied an edit live (RELOADING=1, READY=1): .example.test now issues"
# Stop as systemd does: SIGTERM to the main process.
kill -TERM "$main_pid"
for _ in $(seq 1 300); do kill -0 "$main_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$main_pid" 2>/dev/null && fail "the service did not stop within 30 s of SIGTERM"
wait "$service" && code=0 || code=$?
[[ $code == 0 ]] || fail "the service exited with $code after SIGTERM"
grep -q "STOPPING=1" "$work/notify" || fail "no STOPPING=1"
echo "install_test: stopped cleanly (STOPPING=1, exit 0)"
