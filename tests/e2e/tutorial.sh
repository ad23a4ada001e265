#!/usr/bin/env bash
# docs/plugin-tutorial.md cannot rot: every ```sh block of it runs here, in
# order and verbatim, as one bash script (set -euo pipefail) in an empty
# directory, against Signet installed into a fresh prefix, as a reader
# would run them. The blocks' own checks (openssl verify, the kit's exit
# status, curl --fail) make a broken step fail this test.
set -euo pipefail
build_dir=$1
source_dir=$2
compiler=${3:-c++}
work=$(mktemp -d /tmp/signet-tutorial-XXXXXX)
cleanup() {
  [[ -f "$work/run/ca-file/host.pid" ]] && kill -9 "$(cat "$work/run/ca-file/host.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/lib/host.sh"
install_prefix "$build_dir"

python3 - "$source_dir/docs/plugin-tutorial.md" >"$work/tutorial-steps.sh" <<'PY'
import sys
inside, lines = False, []
for line in open(sys.argv[1], encoding="utf-8"):
    if line.rstrip("\n") == "```sh":
        inside = True
        continue
    if inside and line.rstrip("\n") == "```":
        inside = False
        continue
    if inside:
        lines.append(line)
print("".join(lines), end="")
PY
[[ -s "$work/tutorial-steps.sh" ]] || fail "no sh blocks in docs/plugin-tutorial.md"

mkdir "$work/run"
# The host's compiler, as the tutorial asks (CMake reads CXX).
(cd "$work/run" && SIGNET_PREFIX="$prefix" CXX="$compiler" bash -euo pipefail "$work/tutorial-steps.sh") >"$work/out.log" 2>&1 \
  || { tail -60 "$work/out.log" >&2; fail "a step of the tutorial failed"; }
grep -q "ca-file.so: [0-9]* passed, 0 failed" "$work/out.log" || { cat "$work/out.log" >&2; fail "the kit did not pass ca-file"; }
grep -q "app.pem: OK" "$work/out.log" || fail "openssl did not verify the certificate the host issued"
echo "tutorial: $(grep -c '' "$work/tutorial-steps.sh") lines of commands ran verbatim; the kit passed ca-file; the host issued through it"
