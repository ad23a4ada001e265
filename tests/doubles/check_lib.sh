# Shared by the stand-ins' curl checks (sourced, not run): a work directory
# removed at exit, the stand-in (its pid in double_pid) stopped with it, and
# the pass/fail counters.   Usage: source check_lib.sh NAME
work="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
double_pid=""
passed=0
failed=0

stop_double() {
    if [[ -n "$double_pid" ]] && kill -0 "$double_pid" 2>/dev/null; then
        kill -TERM "$double_pid" 2>/dev/null || true
        wait "$double_pid" 2>/dev/null || true
    fi
    double_pid=""
}
cleanup() { stop_double; rm -rf "$work"; }
trap cleanup EXIT
