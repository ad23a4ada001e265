#!/usr/bin/env bash
# Starts or stops a test server that announces its port in DIR/port (the
# ServiceNow stand-in, the SMTP server), for ctest fixtures:
#   run_server.sh start DIR INSTANCE_TEMPLATE -- COMMAND...   # waits until it listens
#   run_server.sh stop DIR
# `start` writes DIR/instance.yaml from INSTANCE_TEMPLATE with @PORT@
# and @DIR@ (where the server keeps its files) replaced: the plugin config
# the conformance kit is given.
set -euo pipefail
action=${1:?start or stop}
dir=${2:?directory}
case "$action" in
  start)
    template=${3:?instance template}
    shift 4  # start DIR TEMPLATE --
    mkdir -p "$dir"
    if [[ -f "$dir/pid" ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then kill "$(cat "$dir/pid")"; sleep 0.2; fi
    # Every run from nothing: a stand-in's state left by earlier runs grows
    # (and a stand-in writing it whole on each call slows with it).
    find "$dir" -mindepth 1 -delete
    "$@" --dir "$dir" >"$dir/server.out" 2>"$dir/server.log" &
    echo $! >"$dir/pid"
    for _ in $(seq 1 100); do
      [[ -s "$dir/port" ]] && break
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || { cat "$dir/server.log" >&2; echo "$1 exited" >&2; exit 1; }
      sleep 0.1
    done
    [[ -s "$dir/port" ]] || { echo "the server did not listen within 10 s" >&2; exit 1; }
    sed -e "s/@PORT@/$(cat "$dir/port")/g" -e "s|@DIR@|$dir|g" "$template" >"$dir/instance.yaml"
    ;;
  stop)
    if [[ -f "$dir/pid" ]]; then kill "$(cat "$dir/pid")" 2>/dev/null || true; rm -f "$dir/pid"; fi
    ;;
  *) echo "usage: $0 start DIR TEMPLATE -- COMMAND... | stop DIR" >&2; exit 2 ;;
esac
