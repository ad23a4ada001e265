"""What check_kustomize.py and check_helm_chart.py share: finding a kubectl
whose kustomize is new enough, rendering an overlay, and reading files."""
import json
import os
import re
import shutil
import subprocess

import yaml

SKIP = 77  # CTest's SKIP_RETURN_CODE

problems = []  # what a check found wrong, reported together by finish()


def problem(text):
    problems.append(text)


def finish(name):
    """Prints every problem and the verdict; the exit code."""
    import sys
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    print(f"{name}: " + ("FAILED" if problems else "OK"))
    return 1 if problems else 0
OVERLAYS = ("sqlite", "postgresql")


def source_dir(argument=None):
    if argument:
        return os.path.abspath(argument)
    return os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def find_kubectl(explicit=None):
    """(path, None) for a kubectl of 1.21 or later (kustomize v4: components,
    patches with a regex target), else (None, why)."""
    path = explicit or shutil.which("kubectl")
    if not path or not os.path.exists(path):
        return None, ("kubectl is not installed (Debian 12's kubernetes-client is kubectl 1.20, whose "
                      "kustomize 2.0 is too old for components)")
    try:
        out = subprocess.run([path, "version", "--client", "-o", "json"], capture_output=True, text=True, timeout=60)
        info = json.loads(out.stdout)["clientVersion"]
        major, minor = int(info["major"]), int(re.match(r"\d+", info["minor"]).group())
    except (subprocess.SubprocessError, OSError, ValueError, KeyError, AttributeError) as e:
        return None, f"cannot tell the version of {path}: {e}"
    if (major, minor) < (1, 21):
        return None, f"{path} is {major}.{minor}; kubectl 1.21 or later is needed for kustomize components"
    return path, None


def render_overlay(kubectl, src, overlay):
    """The objects `kubectl kustomize` renders for deploy/kubernetes/overlays/OVERLAY."""
    path = os.path.join(src, "deploy", "kubernetes", "overlays", overlay)
    out = subprocess.run([kubectl, "kustomize", path], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {path} failed:\n{out.stderr}")
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def read(src, *parts):
    with open(os.path.join(src, *parts), encoding="utf-8") as f:
        return f.read()


def cmake_version(src):
    m = re.search(r"project\(\s*signet\s+VERSION\s+([0-9.]+)", read(src, "CMakeLists.txt"))
    return m.group(1) if m else None


def containerfile_ids(src):
    """The uid and gid the Containerfile gives the signet user."""
    text = read(src, "Containerfile")
    uid = re.search(r"^ARG SIGNET_UID=(\d+)\s*$", text, re.M)
    gid = re.search(r"^ARG SIGNET_GID=(\d+)\s*$", text, re.M)
    return (int(uid.group(1)) if uid else None, int(gid.group(1)) if gid else None)
