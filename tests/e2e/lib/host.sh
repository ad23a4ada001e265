# Shell helpers for the e2e scripts that act as a plugin author does:
# install Signet into a prefix, start the installed host, call its API.
# Source it after setting `work` (a scratch directory) and a `fail` function.

# install_prefix BUILD_DIR: installs into $work/prefix and checks the SDK and kit are there.
install_prefix() {
  prefix=$work/prefix
  cmake --install "$1" --prefix "$prefix" >/dev/null
  local f
  for f in bin/signet bin/signet-plugin-check include/signet/sdk.hpp include/signet/x509.hpp \
           lib/cmake/SignetSDK/SignetSDKConfig.cmake lib/cmake/SignetSDK/SignetPlugin.cmake; do
    [[ -e "$prefix/$f" ]] || fail "install is missing $f"
  done
}

# start_host CONFIG: bootstraps an admin token into $work/token and serves CONFIG;
# sets host_pid and url (bounded wait of 10 s).
start_host() {
  "$prefix/bin/signet" token bootstrap --config "$1" --out "$work/token" >/dev/null || fail "token bootstrap"
  # The background job opens its log in the child, after the fork: create it
  # first, or the first read below can race the child and fail under set -e.
  : >"$work/host.log"
  "$prefix/bin/signet" serve --config "$1" >>"$work/host.log" 2>&1 &
  host_pid=$!
  url=
  local _
  for _ in $(seq 1 100); do
    url=$(sed -n 's/^signet: listening on //p' "$work/host.log")
    [[ -n "$url" ]] && return 0
    kill -0 "$host_pid" 2>/dev/null || fail "the host exited"
    sleep 0.1
  done
  fail "the host did not start"
}

# api METHOD PATH [BODY]: calls the host as the admin; the body to $work/response.json, prints the status.
api() {
  curl -sS -o "$work/response.json" -w '%{http_code}' --cacert "$work/data/ca.pem" -X "$1" \
    -H "Authorization: Bearer $(cat "$work/token")" -H 'Content-Type: application/json' \
    ${3:+-d "$3"} "$url$2"
}

# json FIELD: a top-level field of $work/response.json.
json() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("" if v is None else v)' "$work/response.json" "$1"; }

# csr_body CN: an issuance body for a fresh P-256 key's CSR.
csr_body() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/app.key" \
    -out "$work/app.csr" -subj "/CN=$1" -addext "subjectAltName=DNS:$1" 2>/dev/null
  python3 -c 'import json,sys; print(json.dumps({"common_name":sys.argv[2],"csr":open(sys.argv[1]).read()}))' "$work/app.csr" "$1"
}
