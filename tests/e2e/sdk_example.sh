#!/usr/bin/env bash
# The plugin author's path, for real: install Signet into a fresh prefix,
# build sdk/examples/notify-jsonl out of tree against the installed SDK
# alone, load that library into the installed host, issue a certificate
# (signed by the scripted test CA) and find the event the plugin wrote.
set -euo pipefail
build_dir=$1
source_dir=$2
# The host's compiler: a plugin built with another one carries another build
# key, and the host refuses it (docs/plugin-authoring.md).
compiler=${3:-c++}
work=$(mktemp -d /tmp/signet-sdk-example-XXXXXX)
host_pid=
cleanup() {
  [[ -n "$host_pid" ]] && kill -9 "$host_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$work/host.log" ]] && cat "$work/host.log" >&2; exit 1; }

source "$(dirname "$0")/lib/host.sh"
install_prefix "$build_dir"
[[ -e "$prefix/lib/signet/plugins/notify-jsonl.so" ]] || fail "install is missing the notify-jsonl plugin"

# Out of tree: a copy of the example, nothing of the source tree on the path.
cp -r "$source_dir/sdk/examples/notify-jsonl" "$work/example"
cmake -S "$work/example" -B "$work/example-build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$compiler" >/dev/null \
  || fail "configuring the example against the installed SDK"
cmake --build "$work/example-build" -j 2 >/dev/null || fail "building the example"
plugin=$work/example-build/notify-jsonl.so
[[ -f "$plugin" ]] || fail "the example build made no notify-jsonl.so"

sdk=$("$prefix/bin/signet" version | sed -n 's/.*(SDK \([0-9.]*\),.*/\1/p')
"$prefix/bin/signet" plugins list --dir "$work/example-build" | grep -q "notify-jsonl  kind=notifier  version=1.0.0  sdk=$sdk" \
  || fail "signet plugins list does not show the example"

cat > "$work/signet.yaml" <<YAML
data_dir: $work/data
log_level: warn
server: {listen: "127.0.0.1:0", tls: {auto: true}}
plugins:
  ca:
    scripted: {plugin: ca-scripted, library: $build_dir/tests/plugins/scripted/ca-scripted.so}
  notifier:
    example: {plugin: notify-jsonl, library: $plugin, config: {path: $work/events.jsonl}}
profiles:
  default: {dns: {allowed_suffixes: [.example.com]}}
pipelines:
  issue: {sign: scripted, notify: [example]}
YAML
start_host "$work/signet.yaml"

status=$(api POST /v1/certificates "$(csr_body app.example.com)")
[[ "$status" == 201 ]] || fail "issuance answered $status: $(cat "$work/response.json")"
request_id=$(json request_id)
# Notifiers are called from the outbox after the commit (docs/notifications.md): wait for it, bounded.
for _ in $(seq 1 100); do
  grep -q "\"type\":\"issued\"" "$work/events.jsonl" 2>/dev/null && break
  sleep 0.1
done
grep -q "\"type\":\"issued\"" "$work/events.jsonl" || fail "no issued event in the example's file within 10 s"
grep -q "$request_id" "$work/events.jsonl" || fail "the event does not name request $request_id"
echo "sdk example: built out of tree, loaded, delivered the event of $request_id"
