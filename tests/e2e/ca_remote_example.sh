#!/usr/bin/env bash
# sdk/examples/ca-remote as its author and its operator meet it: built out
# of tree against the installed SDK alone; its own ctest runs the installed
# conformance kit against it (signet_add_plugin_conformance_test) with the
# example remote CA beside it; then the installed host, configured with it,
# issues through a manual approval at the remote, serves the remote's chain
# and revokes at the remote, with one certificate issued remotely in all.
set -euo pipefail
build_dir=$1
source_dir=$2
compiler=${3:-c++}
work=$(mktemp -d /tmp/signet-ca-remote-XXXXXX)
host_pid=
example=$work/example
cleanup() {
  [[ -n "$host_pid" ]] && kill -9 "$host_pid" 2>/dev/null || true
  [[ -d "$example" ]] && bash "$example/run_remote_ca.sh" stop "$work/remote" || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [[ -f "$work/host.log" ]] && tail -40 "$work/host.log" >&2
  [[ -f "$work/remote/server.log" ]] && tail -20 "$work/remote/server.log" >&2
  exit 1
}
source "$(dirname "$0")/lib/host.sh"
install_prefix "$build_dir"

# The author: a copy of the example, built against the prefix, its tests run.
cp -r "$source_dir/sdk/examples/ca-remote" "$example"
cmake -S "$example" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$compiler" >/dev/null \
  || fail "configuring ca-remote against the installed SDK"
cmake --build "$work/build" -j 2 >/dev/null || fail "building ca-remote"
ctest --test-dir "$work/build" --output-on-failure >"$work/ctest.log" 2>&1 || { cat "$work/ctest.log" >&2; fail "the example's own conformance test"; }
grep -q "ca-remote-conformance .*Passed" "$work/ctest.log" || fail "the example's ctest ran no conformance test"

# The operator: a remote CA that holds every enrolment for approval.
bash "$example/run_remote_ca.sh" start "$work/remote" --approval manual >/dev/null
remote_key=$(cat "$work/remote/api-key")
remote() {  # remote METHOD PATH: the remote CA's test controls, JSON on stdout
  local body=()
  [[ "$1" == POST ]] && body=(--data '')  # the remote wants a Content-Length on every POST
  curl -sS --fail --cacert "$work/remote/tls-ca.pem" -X "$1" -H "Authorization: Bearer $remote_key" "${body[@]}" \
    "https://127.0.0.1:$(cat "$work/remote/port")$2"
}
{
  cat <<YAML
data_dir: $work/data
log_level: warn
server: {listen: "127.0.0.1:0", tls: {auto: true}}
runner: {sync_wait: 1s}
plugins:
  directories: [$work/build]
  ca:
    remote:
      plugin: ca-remote
      config:
YAML
  sed 's/^/        /' "$work/remote/instance.yaml"
  cat <<YAML
profiles:
  default: {dns: {allowed_suffixes: [.example.com]}}
pipelines:
  issue: {sign: remote}
  revoke: {}
YAML
} >"$work/signet.yaml"
start_host "$work/signet.yaml"

status=$(api POST /v1/certificates "$(csr_body app.example.com)")
[[ "$status" == 202 ]] || fail "issuance through a manual approval answered $status: $(cat "$work/response.json")"
request_id=$(json request_id)
# The host parks the request on the remote's ticket; an approver decides.
enrolment=
for _ in $(seq 1 50); do
  enrolment=$(remote GET /_test/enrollments | python3 -c 'import json,sys; print(" ".join(e["id"] for e in json.load(sys.stdin)["items"] if e["status"]=="pending"))')
  [[ -n "$enrolment" ]] && break
  sleep 0.2
done
[[ -n "$enrolment" && "$enrolment" != *" "* ]] || fail "expected one pending enrolment at the remote, saw '$enrolment'"
api GET "/v1/requests/$request_id" >/dev/null
[[ "$(json status)" == waiting ]] || fail "the request is $(json status), not waiting on the remote's ticket"
remote POST "/_test/enrollments/$enrolment/approve" >/dev/null
certificate_id=
for _ in $(seq 1 150); do
  api GET "/v1/requests/$request_id" >/dev/null
  [[ "$(json status)" == succeeded ]] && { certificate_id=$(json certificate_id); break; }
  [[ "$(json status)" == failed ]] && fail "the request failed: $(cat "$work/response.json")"
  sleep 0.2
done
[[ -n "$certificate_id" ]] || fail "the request did not succeed within 30 s of the approval"

# The certificate verifies up to the remote's root, with the chain the host serves.
status=$(api GET "/v1/certificates/$certificate_id")
[[ "$status" == 200 ]] || fail "reading the certificate answered $status"
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["certificate"])' "$work/response.json" >"$work/leaf.pem"
curl -sS --fail --cacert "$work/data/ca.pem" "$url/pki/remote/chain.pem" >"$work/chain.pem" || fail "GET /pki/remote/chain.pem"
[[ $(grep -c "BEGIN CERTIFICATE" "$work/chain.pem") == 2 ]] || fail "the served chain is not issuing CA + root"
csplit -s -z -f "$work/ca-" "$work/chain.pem" '/-----BEGIN CERTIFICATE-----/' '{*}'
openssl verify -CAfile "$work/ca-01" -untrusted "$work/ca-00" "$work/leaf.pem" >/dev/null \
  || fail "openssl does not verify the certificate with the chain the host serves"
# tls-ca.pem is the remote's root (it also signs the remote's TLS certificate).
[[ "$(openssl x509 -in "$work/ca-01" -noout -fingerprint -sha256)" == "$(openssl x509 -in "$work/remote/tls-ca.pem" -noout -fingerprint -sha256)" ]] \
  || fail "the served root is not the remote's"

# Revocation goes to the remote; the remote issued exactly one certificate.
status=$(api POST "/v1/certificates/$certificate_id/revoke" '{"reason":"key_compromise"}')
[[ "$status" == 200 || "$status" == 202 ]] || fail "revocation answered $status: $(cat "$work/response.json")"
for _ in $(seq 1 100); do
  [[ $(remote GET /_test/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["revocations"])') == 1 ]] && break
  sleep 0.2
done
stats=$(remote GET /_test/stats)
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["revocations"]==1 and s["issued"]==1, s' "$stats" \
  || fail "the remote's counters are $stats; expected one issuance and one revocation"
echo "ca-remote example: conformance passed; issued $certificate_id after approval of $enrolment, chain served, revoked at the remote"
