#!/usr/bin/python3
"""The receiving end of sd_notify, as systemd is for a Type=notify service:
binds the datagram socket given as argv[1] and appends each message it gets,
newline-separated assignments and all, to argv[2], one message per line with
the newlines shown as '|'. Runs until killed."""
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
if os.path.exists(path):
    os.unlink(path)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
os.chmod(path, 0o777)  # the service runs as its own user, as systemd's socket allows
while True:
    message = sock.recv(4096).decode(errors="replace")
    with open(out, "a") as f:
        f.write(message.strip().replace("\n", "|") + "\n")
