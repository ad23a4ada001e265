#!/usr/bin/env bash
# Builds the container image from Containerfile with the package that
# scripts/package left in BUILD_DIR/package, runs it the way Kubernetes does
# (read-only root filesystem, uid 10001, no capabilities, no new
# privileges, state in a volume), and uses it: /health and /ready, the
# image's HEALTHCHECK, an admin token from `signet token bootstrap` run
# inside the container, a certificate issued for a CSR (201), a CRL on the
# revocation port, and the same certificate again after a restart. Then
# the sqlite overlay's pod, emulated: its init container's TLS copy, its
# signet.yaml and settings, serving the Secret's certificate.
#
# Usage: image_test.sh BUILD_DIR SOURCE_DIR
# Env:   SIGNET_IMAGE_BASE        base image (default localhost/signet-base:bookworm,
#                                 made by make_base_image.sh when missing)
#        SIGNET_PODMAN_ARGS       extra arguments for podman build and run, instead of the
#                                 ones probed (e.g. "--runtime runc --ulimit nofile=20000:20000")
#        SIGNET_IMAGE_TEST_NETWORK=host   run on the host's network (listening on 127.0.0.1)
#                                 instead of publishing ports to 127.0.0.1
#        SIGNET_IMAGE_TEST_KEEP=1 keep the image afterwards
# Exits 77 (skip) without podman, without root, or without the package.
# All traffic goes to 127.0.0.1; every wait is bounded.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: image_test.sh BUILD_DIR SOURCE_DIR" >&2
  exit 2
fi
build_dir="$(cd "$1" && pwd)"
source_dir="$(cd "$2" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"

skip() {
  echo "image_test.sh: $*; skipped" >&2
  exit 77
}
command -v podman >/dev/null 2>&1 || skip "podman is not installed (apt-get install --no-install-recommends podman debootstrap runc)"
[[ $(id -u) -eq 0 ]] || skip "the test runs podman as root"
for tool in curl openssl python3; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done
shopt -s nullglob
debs=("$build_dir"/package/signet_*_amd64.deb)
shopt -u nullglob
[[ ${#debs[@]} -gt 0 ]] || skip "no $build_dir/package/signet_*_amd64.deb (run scripts/package first)"
if [[ ${#debs[@]} -gt 1 ]]; then
  echo "image_test.sh: more than one package in $build_dir/package: ${debs[*]}" >&2
  exit 1
fi

base="${SIGNET_IMAGE_BASE:-localhost/signet-base:bookworm}"
if ! podman image exists "$base"; then
  status=0
  "$here/make_base_image.sh" "$base" || status=$?
  [[ $status -eq 77 ]] && skip "no base image $base and make_base_image.sh cannot make it"
  [[ $status -eq 0 ]] || exit "$status"
fi

work="$build_dir/image-test"
rm -rf "$work"
mkdir -p "$work/context/build/package" "$work/context/deploy/container"
name="signet-image-test-$$"
image="localhost/signet-image-test:$$"
volume="$name-data"
cleanup() {
  podman rm -f -t 5 "$name" >/dev/null 2>&1 || true
  podman volume rm -f "$volume" >/dev/null 2>&1 || true
  [[ "${SIGNET_IMAGE_TEST_KEEP:-}" == 1 ]] || podman rmi -f "$image" >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() {
  echo "image_test.sh: FAILED: $*" >&2
  if podman container exists "$name" 2>/dev/null; then
    echo "--- container log (last 40 lines)" >&2
    podman logs "$name" 2>&1 | tail -n 40 >&2 || true
  fi
  exit 1
}

# Which podman arguments work here. A machine with cgroups in hybrid mode
# (v1 controllers plus a v2 hierarchy) fails with crun ("cgroups in hybrid
# mode not supported") where runc works, and a sandbox that forbids raising
# a hard rlimit refuses podman's default RLIMIT_NOFILE/NPROC of 1048576.
if [[ -n "${SIGNET_PODMAN_ARGS:-}" ]]; then
  read -r -a podman_args <<<"$SIGNET_PODMAN_ARGS"
else
  nofile=$(ulimit -Hn)
  [[ "$nofile" == unlimited || "$nofile" -gt 65536 ]] && nofile=65536
  limits=(--ulimit "nofile=$nofile:$nofile" --ulimit nproc=4096:4096)
  candidates=("" "${limits[*]}")
  command -v runc >/dev/null 2>&1 && candidates+=("--runtime runc" "--runtime runc ${limits[*]}")
  podman_args=()
  found=""
  for candidate in "${candidates[@]}"; do
    read -r -a args <<<"$candidate"
    if timeout 60 podman run --rm "${args[@]}" --read-only "$base" true >"$work/probe.log" 2>&1; then
      podman_args=("${args[@]}")
      found=yes
      break
    fi
    echo "image_test.sh: podman run ${candidate:-(defaults)}: $(tail -n 1 "$work/probe.log")" >&2
  done
  [[ -n "$found" ]] || fail "podman cannot run a container here with any of: ${candidates[*]}"
fi
echo "image_test.sh: podman arguments: ${podman_args[*]:-(none)}"
runtime_args=()
for ((i = 0; i < ${#podman_args[@]}; i++)); do
  [[ "${podman_args[i]}" == --runtime ]] && runtime_args=(--runtime "${podman_args[i + 1]}")
done

# A small build context: the package and the container configuration.
cp "${debs[0]}" "$work/context/build/package/"
cp "$source_dir/deploy/container/signet.yaml" "$work/context/deploy/container/"
start=$SECONDS
# --layers=false: no intermediate images are kept, so removing the image at
# the end leaves nothing behind (a build takes about 10 s).
if ! timeout 1200 podman build "${runtime_args[@]}" --layers=false --pull=never --format docker --build-arg "BASE=$base" \
  -f "$source_dir/Containerfile" -t "$image" "$work/context" >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  fail "podman build (log: $work/build.log)"
fi
echo "image_test.sh: image built in $((SECONDS - start)) s ($(podman image inspect "$image" --format '{{.Size}}') bytes)"

# The image's metadata: numeric user, ports, health check, entry point.
user=$(podman image inspect "$image" --format '{{.Config.User}}')
[[ "$user" == 10001:10001 ]] || fail "image user is '$user', not 10001:10001"
ports=$(podman image inspect "$image" --format '{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}')
[[ "$ports" == *8443/tcp* && "$ports" == *8080/tcp* ]] || fail "exposed ports are '$ports'"
health=$(podman image inspect "$image" --format '{{.Config.Healthcheck}}')
[[ "$health" == *"/health"* ]] || fail "no HEALTHCHECK on /health: '$health'"
# No secret made at build time: every container of the image would share it.
if podman run --rm "${podman_args[@]}" --entrypoint sh "$image" -c 'test -e /etc/signet/keys.passphrase' 2>/dev/null; then
  fail "the image holds /etc/signet/keys.passphrase (made by the package's postinst at build time)"
fi

passphrase=$(openssl rand -hex 32)
master_key=$(openssl rand -base64 32)
run_args=(-d --name "$name" --read-only --cap-drop ALL --security-opt no-new-privileges
  -v "$volume:/var/lib/signet" -e "SIGNET_KEYS_PASSPHRASE=$passphrase" -e "SIGNET_STORE_MASTER_KEY=$master_key")
net_args=(-p 127.0.0.1::8443 -p 127.0.0.1::8080)
if [[ "${SIGNET_IMAGE_TEST_NETWORK:-}" == host ]]; then
  read -r https_port pki_port < <(python3 -c '
import socket
ports = []
sockets = [socket.socket() for _ in range(2)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
    ports.append(s.getsockname()[1])
print(*ports)')
  net_args=(--network host -e "SIGNET_LISTEN=127.0.0.1:$https_port" -e "SIGNET_REVOCATION_LISTEN=127.0.0.1:$pki_port"
    -e "SIGNET_HEALTH_PORT=$https_port")
fi
run_args+=("${net_args[@]}")
podman run "${podman_args[@]}" "${run_args[@]}" "$image" >"$work/run.log" 2>&1 || {
  cat "$work/run.log" >&2
  fail "podman run"
}
if [[ "${SIGNET_IMAGE_TEST_NETWORK:-}" != host ]]; then
  https_port=$(podman port "$name" 8443/tcp | head -n 1 | sed 's/.*://')
  pki_port=$(podman port "$name" 8080/tcp | head -n 1 | sed 's/.*://')
fi
api="https://127.0.0.1:$https_port"
echo "image_test.sh: container $name, API on $api, revocation on http://127.0.0.1:$pki_port"

wait_healthy() {
  local i
  for ((i = 0; i < 120; i++)); do
    curl -fsS -k -m 2 -o /dev/null "$api/health" 2>/dev/null && return 0
    [[ "$(podman inspect "$name" --format '{{.State.Running}}')" == true ]] || fail "the container stopped"
    sleep 0.5
  done
  fail "no 200 from $api/health within 60 s"
}
wait_healthy
ready=$(curl -sS -k -m 5 -w ' %{http_code}' "$api/ready")
[[ "$ready" == *'"status":"ready"'*' 200' ]] || fail "/ready: $ready"
podman healthcheck run "$name" >/dev/null 2>&1 || fail "the image's HEALTHCHECK reports unhealthy"

# Kubernetes-like confinement holds inside.
[[ "$(podman exec "$name" id -u)" == 10001 ]] || fail "the process does not run as uid 10001"
if podman exec "$name" sh -c 'touch /usr/signet-write-test' 2>/dev/null; then fail "the root filesystem is writable"; fi
podman exec "$name" sh -c 'touch /var/lib/signet/.write-test && rm /var/lib/signet/.write-test' || fail "/var/lib/signet is not writable"

# The first admin token, made inside the container (on the tmpfs /tmp).
podman exec "$name" signet token bootstrap --config /etc/signet/signet.yaml --out /tmp/admin-token >/dev/null ||
  fail "signet token bootstrap"
token=$(podman exec "$name" cat /tmp/admin-token)
podman exec "$name" rm -f /tmp/admin-token
[[ "$token" == sgt_* ]] || fail "the bootstrap token does not look like sgt_…"

# A certificate for a CSR made here.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/app.key" \
  -subj /CN=app.example.com -addext subjectAltName=DNS:app.example.com -out "$work/app.csr" 2>/dev/null
python3 - "$work/app.csr" >"$work/request.json" <<'EOF'
import json, sys
print(json.dumps({"common_name": "app.example.com", "csr": open(sys.argv[1]).read()}))
EOF
code=$(curl -sS -k -m 30 -o "$work/issued.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' --data-binary "@$work/request.json" "$api/v1/certificates")
[[ "$code" == 201 ]] || fail "POST /v1/certificates answered $code: $(head -c 500 "$work/issued.json")"
cert_id=$(python3 - "$work" <<'EOF'
import json, sys
work = sys.argv[1]
answer = json.load(open(work + "/issued.json"))
open(work + "/app.crt", "w").write(answer["certificate"])
open(work + "/chain.pem", "w").write("".join(answer["chain"]))
print(answer["id"])
EOF
)
openssl x509 -in "$work/app.crt" -noout -ext subjectAltName | grep -q 'DNS:app.example.com' ||
  fail "the certificate does not name app.example.com"
openssl verify -partial_chain -CAfile "$work/chain.pem" "$work/app.crt" >/dev/null || fail "the certificate does not verify against its chain"
code=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$pki_port/pki/internal/crl")
[[ "$code" == 200 ]] || fail "GET /pki/internal/crl on the revocation port answered $code"

# A restart keeps everything in the volume: the CA keys decrypt again and the
# certificate is still there.
timeout 60 podman restart -t 10 "$name" >/dev/null || fail "podman restart"
if [[ "${SIGNET_IMAGE_TEST_NETWORK:-}" != host ]]; then
  https_port=$(podman port "$name" 8443/tcp | head -n 1 | sed 's/.*://')
  api="https://127.0.0.1:$https_port"
fi
wait_healthy
code=$(curl -sS -k -m 10 -o "$work/again.json" -w '%{http_code}' -H "Authorization: Bearer $token" "$api/v1/certificates/$cert_id")
[[ "$code" == 200 ]] || fail "GET /v1/certificates/$cert_id after a restart answered $code"
ready=$(curl -sS -k -m 5 -o /dev/null -w '%{http_code}' "$api/ready")
[[ "$ready" == 200 ]] || fail "/ready after a restart answered $ready"

podman rm -f -t 10 "$name" >/dev/null
podman volume rm -f "$volume" >/dev/null

# The sqlite overlay's pod, as the kubelet starts it: the init container
# tls-key's command (from components/signet-pod/pod.yaml) copies a
# Secret-like TLS pair (root's files, mode 0444) to a tmpfs, then signet
# serves with the overlay's signet.yaml, the settings of the base's
# ConfigMap and the secrets in the environment. The API must present that
# certificate.
mkdir -p "$work/tls-secret"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/tls-secret/tls.key" -out "$work/tls-secret/tls.crt" 2>/dev/null
chmod 0444 "$work/tls-secret/tls.key" "$work/tls-secret/tls.crt"
python3 - "$source_dir" "$work" <<'EOF'
import sys, yaml
src, work = sys.argv[1:]
pod = yaml.safe_load(open(src + "/deploy/kubernetes/components/signet-pod/pod.yaml"))
init = {c["name"]: c for c in pod["spec"]["template"]["spec"]["initContainers"]}["tls-key"]
command = init.get("command", []) + init.get("args", [])
assert command[:2] == ["sh", "-c"] and len(command) == 3, command
open(work + "/tls-key.sh", "w").write(command[2] + "\n")
settings = {}
for generator in yaml.safe_load(open(src + "/deploy/kubernetes/base/kustomization.yaml"))["configMapGenerator"]:
    if generator["name"] == "signet-settings":
        settings = dict(item.split("=", 1) for item in generator["literals"])
with open(work + "/settings.env", "w") as f:
    for key, value in settings.items():
        f.write(f"{key}={value}\n")
EOF
podman run "${podman_args[@]}" -d --name "$name" --read-only --cap-drop ALL --security-opt no-new-privileges \
  --tmpfs /run/signet/tls:rw,size=1m,mode=0777 \
  -v "$work/tls-secret:/etc/signet/tls-secret:ro" -v "$work/tls-key.sh:/tls-key.sh:ro" \
  -v "$source_dir/deploy/kubernetes/overlays/sqlite/signet.yaml:/etc/signet/signet.yaml:ro" \
  -v "$volume:/var/lib/signet" --env-file "$work/settings.env" \
  -e "SIGNET_KEYS_PASSPHRASE=$passphrase" -e "SIGNET_STORE_MASTER_KEY=$master_key" \
  "${net_args[@]}" --entrypoint sh "$image" \
  -c '. /tls-key.sh && exec signet serve --config /etc/signet/signet.yaml' >"$work/run-pod.log" 2>&1 || {
  cat "$work/run-pod.log" >&2
  fail "podman run of the overlay's pod"
}
if [[ "${SIGNET_IMAGE_TEST_NETWORK:-}" != host ]]; then
  https_port=$(podman port "$name" 8443/tcp | head -n 1 | sed 's/.*://')
fi
api="https://127.0.0.1:$https_port"
wait_healthy
code=$(curl -sS --cacert "$work/tls-secret/tls.crt" -m 5 -o /dev/null -w '%{http_code}' "$api/ready")
[[ "$code" == 200 ]] || fail "the overlay's pod: /ready with the Secret's certificate as the only trust anchor answered $code"
mode=$(podman exec "$name" stat -c %a /run/signet/tls/tls.key)
[[ "$mode" == 600 ]] || fail "the overlay's pod: the copied TLS key has mode $mode, not 600"

echo "image_test.sh: 1 passed, 0 failed (image built, started read-only as 10001, healthy, token, certificate $cert_id issued, CRL served, restart kept state; the sqlite overlay's pod starts with its TLS pair)"
