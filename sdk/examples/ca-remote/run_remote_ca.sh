#!/usr/bin/env bash
# Starts or stops the example remote CA (remote_ca.py) in DIR, for tests:
#   run_remote_ca.sh start DIR [remote_ca.py options]   # waits until it listens
#   run_remote_ca.sh stop DIR
# `start` writes DIR/instance.yaml, a ca-remote instance config for it: the
# URL with the port it got, the API key by ${file:} reference, its TLS root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
action=${1:?start or stop}
dir=${2:?directory}
shift 2

case "$action" in
  start)
    mkdir -p "$dir"
    if [[ -f "$dir/pid" ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then kill "$(cat "$dir/pid")"; sleep 0.2; fi
    rm -f "$dir/port"
    python3 "$here/remote_ca.py" --dir "$dir" "$@" >"$dir/server.out" 2>"$dir/server.log" &
    echo $! >"$dir/pid"
    for _ in $(seq 1 100); do
      [[ -s "$dir/port" ]] && break
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || { cat "$dir/server.log" >&2; echo "remote_ca.py exited" >&2; exit 1; }
      sleep 0.1
    done
    [[ -s "$dir/port" ]] || { echo "remote_ca.py did not listen within 10 s" >&2; exit 1; }
    cat >"$dir/instance.yaml" <<YAML
url: https://127.0.0.1:$(cat "$dir/port")
api_key: \${file:$dir/api-key}
ca_file: $dir/tls-ca.pem
default_retry_seconds: 1
YAML
    echo "remote CA listening on port $(cat "$dir/port"), config in $dir/instance.yaml"
    ;;
  stop)
    if [[ -f "$dir/pid" ]]; then kill "$(cat "$dir/pid")" 2>/dev/null || true; rm -f "$dir/pid"; fi
    ;;
  *) echo "usage: $0 start|stop DIR [options]" >&2; exit 2 ;;
esac
