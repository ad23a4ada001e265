#!/usr/bin/env bash
# Starts or stops the AWS stand-in (aws_double.py) in DIR, for tests:
#   run_double.sh start DIR [aws_double.py options]   # waits until it listens
#   run_double.sh stop DIR
# `start` writes DIR/instance.yaml, a ca-awspca instance config for it: its
# CA's ARN, its URL as both endpoints, the stand-in's example keys.
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
    python3 "$here/aws_double.py" --dir "$dir" "$@" >"$dir/server.out" 2>"$dir/server.log" &
    echo $! >"$dir/pid"
    for _ in $(seq 1 100); do
      [[ -s "$dir/port" ]] && break
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || { cat "$dir/server.log" >&2; echo "aws_double.py exited" >&2; exit 1; }
      sleep 0.1
    done
    [[ -s "$dir/port" ]] || { echo "aws_double.py did not listen within 10 s" >&2; exit 1; }
    url="http://127.0.0.1:$(cat "$dir/port")"
    cat >"$dir/instance.yaml" <<YAML
certificate_authority_arn: $(cat "$dir/ca-arn")
endpoint_url: $url
sts_endpoint_url: $url
credentials: {access_key_id: AKIDEXAMPLE, secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY}
instance_metadata: false
# The conformance kit signs from 8 threads at once; the default 20/s is for AWS's quota.
requests_per_second: 1000
YAML
    echo "AWS stand-in listening on $url, config in $dir/instance.yaml"
    ;;
  stop)
    if [[ -f "$dir/pid" ]]; then kill "$(cat "$dir/pid")" 2>/dev/null || true; rm -f "$dir/pid"; fi
    ;;
  *) echo "usage: $0 start|stop DIR [options]" >&2; exit 2 ;;
esac
