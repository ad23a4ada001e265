#!/usr/bin/env python3
"""Checks the Helm chart deploy/helm/signet against the kustomize overlays,
without helm (no Debian 12 package has it).

1. Chart.yaml: apiVersion v2, appVersion = the version in CMakeLists.txt.
2. The chart renders in both modes (helm_render.py, a renderer of the
   subset of Go templates the chart uses; `helm template` instead when a
   helm is on PATH), every value in values.yaml is read by some template
   and no template reads a value values.yaml lacks.
3. Values take effect: a wrong mode fails, networkPolicy.enabled=false
   drops the NetworkPolicy, image.tag, replicas, config, storage classes,
   imagePullSecrets and another release name show where they should, and
   every name an object refers to (ConfigMaps, Secrets' users, the
   ServiceAccount, the StatefulSet's Service, the shared claim) exists.
4. With kubectl (1.21 or later): for mode=sqlite and mode=postgresql with
   release name `signet`, the chart's objects equal those `kubectl
   kustomize` renders for overlays/<mode>, field by field, after taking
   out what only one tool adds (Helm's chart/version/managed-by labels and
   checksum annotations, kustomize's hash suffix of generated ConfigMaps).
   Changing a value on one side only (a port, a probe, the image, a
   security setting, a resource, a mount, replicas, the configuration)
   fails here. Without kubectl it exits 77 (CTest: skipped) after 1-3.

Usage: check_helm_chart.py [--source DIR] [--kubectl PATH] [--helm PATH]
"""
import argparse
import copy
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy_common as common  # noqa: E402
import helm_render  # noqa: E402

HELM_ONLY_LABELS = ("helm.sh/chart", "app.kubernetes.io/version", "app.kubernetes.io/managed-by")
problem = common.problem


def render(chart, overrides, helm=None, release="signet"):
    """(objects, renderer or None): by helm when given, else by helm_render."""
    if helm:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            yaml.safe_dump(overrides, f)
        try:
            out = subprocess.run([helm, "template", release, chart, "-f", f.name], capture_output=True, text=True, timeout=120)
        finally:
            os.unlink(f.name)
        if out.returncode != 0:
            raise helm_render.TemplateFail(out.stderr.strip())
        return [d for d in yaml.safe_load_all(out.stdout) if d], None
    renderer, rendered = helm_render.render_chart(chart, overrides, release)
    return helm_render.objects(rendered), renderer


def leaves(values, prefix=()):
    if isinstance(values, dict) and values:
        for k, v in values.items():
            yield from leaves(v, prefix + (k,))
    else:
        yield prefix


def pod_spec(obj):
    return obj.get("spec", {}).get("template", {}).get("spec", {})


def by_kind(objs, kind):
    return [o for o in objs if o["kind"] == kind]


def check_references(objs, where):
    """Every name the objects refer to among themselves exists."""
    names = {(o["kind"], o["metadata"]["name"]) for o in objs}
    for o in objs:
        spec = pod_spec(o)
        if not spec:
            continue
        sa = spec.get("serviceAccountName")
        if sa and ("ServiceAccount", sa) not in names:
            problem(f"{where}: {o['kind']} uses ServiceAccount {sa}, which is not rendered")
        for c in spec.get("initContainers", []) + spec.get("containers", []):
            for ef in c.get("envFrom", []):
                ref = ef.get("configMapRef", {}).get("name")
                if ref and ("ConfigMap", ref) not in names:
                    problem(f"{where}: container {c['name']} reads ConfigMap {ref}, which is not rendered")
        for v in spec.get("volumes", []):
            if "configMap" in v and ("ConfigMap", v["configMap"]["name"]) not in names:
                problem(f"{where}: volume {v['name']} names ConfigMap {v['configMap']['name']}, which is not rendered")
            if "persistentVolumeClaim" in v and ("PersistentVolumeClaim", v["persistentVolumeClaim"]["claimName"]) not in names:
                problem(f"{where}: volume {v['name']} names claim {v['persistentVolumeClaim']['claimName']}, which is not rendered")
        if o["kind"] == "StatefulSet" and ("Service", o["spec"].get("serviceName")) not in names:
            problem(f"{where}: the StatefulSet's serviceName {o['spec'].get('serviceName')} is not rendered")


def normalize_helm(objs):
    out = copy.deepcopy(objs)
    for o in out:
        for meta in (o.get("metadata", {}), o.get("spec", {}).get("template", {}).get("metadata", {})):
            for label in HELM_ONLY_LABELS:
                meta.get("labels", {}).pop(label, None)
            annotations = meta.get("annotations")
            if annotations is not None:
                for key in [k for k in annotations if k.startswith("checksum/")]:
                    del annotations[key]
                if not annotations:
                    del meta["annotations"]
    return out


def normalize_kustomize(objs):
    """Takes the hash suffix off generated ConfigMaps, everywhere they are named."""
    out = copy.deepcopy(objs)
    renames = {}
    for o in out:
        if o["kind"] == "ConfigMap":
            m = re.fullmatch(r"(.+)-[bcdfghkmnt2-9]{10}", o["metadata"]["name"])
            if m:
                renames[o["metadata"]["name"]] = m.group(1)

    def walk(node):
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str) and node in renames:
            return renames[node]
        return node

    return [walk(o) for o in out]


def dump(obj):
    return yaml.safe_dump(obj, default_flow_style=False, sort_keys=True, width=1 << 20).splitlines()


def compare(helm_objs, kustomize_objs, mode):
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    helm_map = {key(o): o for o in normalize_helm(helm_objs)}
    kust_map = {key(o): o for o in normalize_kustomize(kustomize_objs)}
    for k in sorted(set(helm_map) - set(kust_map)):
        problem(f"mode={mode}: the chart renders {k[0]} {k[1]}, the kustomize overlay does not")
    for k in sorted(set(kust_map) - set(helm_map)):
        problem(f"mode={mode}: the kustomize overlay renders {k[0]} {k[1]}, the chart does not")
    same = 0
    for k in sorted(set(helm_map) & set(kust_map)):
        if helm_map[k] == kust_map[k]:
            same += 1
            continue
        diff = "\n".join(difflib.unified_diff(dump(kust_map[k]), dump(helm_map[k]), f"kustomize overlays/{mode}",
                                              f"helm mode={mode}", lineterm="", n=2))
        problem(f"mode={mode}: {k[0]} {k[1]} differs:\n{diff}")
    return same


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", help="the repository (default: two levels above this script)")
    parser.add_argument("--kubectl", help="kubectl to render the overlays with (default: from PATH)")
    parser.add_argument("--helm", help="render with this helm instead of helm_render.py (default: helm from PATH if any)")
    args = parser.parse_args()
    src = common.source_dir(args.source)
    chart = os.path.join(src, "deploy", "helm", "signet")
    helm = args.helm or shutil.which("helm")
    print(f"rendering the chart with {helm or 'tests/deploy/helm_render.py (no helm installed)'}")

    # 1. Chart.yaml and values.yaml.
    meta = yaml.safe_load(common.read(chart, "Chart.yaml"))
    values = yaml.safe_load(common.read(chart, "values.yaml"))
    if meta.get("apiVersion") != "v2":
        problem(f"Chart.yaml: apiVersion is {meta.get('apiVersion')}, not v2")
    if meta.get("name") != "signet":
        problem(f"Chart.yaml: name is {meta.get('name')}")
    version = common.cmake_version(src)
    if str(meta.get("appVersion")) != version:
        problem(f"Chart.yaml: appVersion {meta.get('appVersion')} is not the version in CMakeLists.txt ({version})")
    if values.get("mode") != "sqlite":
        problem(f"values.yaml: the default mode is {values.get('mode')}, not sqlite")
    for f in ("sqlite.yaml", "postgresql.yaml"):
        if not os.path.isfile(os.path.join(chart, "files", f)):
            problem(f"files/{f} is missing")

    # 2. Both modes render; every value is read, no unknown one is.
    rendered = {}
    read_paths, missing = set(), set()
    for mode in common.OVERLAYS:
        try:
            objs, renderer = render(chart, {"mode": mode}, helm)
        except helm_render.TemplateError as e:
            problem(f"mode={mode}: the chart does not render: {e}")
            continue
        rendered[mode] = objs
        if renderer:
            read_paths |= renderer.values_read
            missing |= renderer.missing_values
            _, notes = helm_render.render_chart(chart, {"mode": mode})  # NOTES.txt renders too
            if "signet token bootstrap" not in notes.get("NOTES.txt", ""):
                problem(f"mode={mode}: NOTES.txt does not say how to make the first token")
        check_references(objs, f"mode={mode}")
    if not helm:
        for leaf in leaves(values):
            if not any(leaf[:len(p)] == p for p in read_paths):
                problem(f"values.yaml: {'.'.join(leaf)} is read by no template")
        for m in sorted(missing):
            problem(f"a template reads .Values.{m}, which values.yaml does not have")

    # 3. Values take effect.
    def try_render(overrides, release="signet"):
        try:
            return render(chart, overrides, helm, release)[0]
        except helm_render.TemplateError as e:
            problem(f"with {overrides} the chart does not render: {e}")
            return []

    try:
        render(chart, {"mode": "mysql"}, helm)
        problem("mode=mysql renders; it must fail")
    except helm_render.TemplateError as e:
        if "mode must be sqlite or postgresql" not in str(e):
            problem(f"mode=mysql fails with an unexpected message: {e}")
    objs = try_render({"networkPolicy": {"enabled": False}})
    if objs and by_kind(objs, "NetworkPolicy"):
        problem("networkPolicy.enabled=false still renders a NetworkPolicy")
    objs = try_render({"mode": "postgresql", "replicas": 5, "image": {"tag": "9.8.7"},
                       "sharedVolume": {"storageClassName": "nfs"}, "imagePullSecrets": [{"name": "pull"}]})
    for d in by_kind(objs, "Deployment"):
        if d["spec"]["replicas"] != 5:
            problem(f"replicas=5 gives a Deployment of {d['spec']['replicas']}")
        images = {c["image"] for c in pod_spec(d)["initContainers"] + pod_spec(d)["containers"]}
        if images != {f"{values['image']['repository']}:9.8.7"}:
            problem(f"image.tag=9.8.7 gives the images {images}")
        if pod_spec(d).get("imagePullSecrets") != [{"name": "pull"}]:
            problem("imagePullSecrets does not reach the pod")
    for pvc in by_kind(objs, "PersistentVolumeClaim"):
        if pvc["spec"].get("storageClassName") != "nfs":
            problem("sharedVolume.storageClassName does not reach the claim")
    objs = try_render({"persistence": {"storageClassName": "fast", "size": "3Gi"}, "config": "log_level: debug\n"})
    for s in by_kind(objs, "StatefulSet"):
        claim = s["spec"]["volumeClaimTemplates"][0]["spec"]
        if claim.get("storageClassName") != "fast" or claim["resources"]["requests"]["storage"] != "3Gi":
            problem(f"persistence values do not reach the volumeClaimTemplate: {claim}")
    for cm in by_kind(objs, "ConfigMap"):
        if cm["metadata"]["name"].endswith("-config") and cm["data"]["signet.yaml"] != "log_level: debug\n":
            problem(f"config does not replace signet.yaml: {cm['data']['signet.yaml']!r}")
    for mode in common.OVERLAYS:
        objs = try_render({"mode": mode}, release="prod")
        if objs:
            check_references(objs, f"mode={mode} release=prod")
            names = {o["metadata"]["name"] for o in objs}
            if not all(n.startswith("prod-signet") for n in names):
                problem(f"release prod: names {sorted(names)} do not all start with prod-signet")

    if common.problems:
        return common.finish("check_helm_chart.py")

    # 4. The same objects as the kustomize overlays.
    kubectl, why = common.find_kubectl(args.kubectl)
    if not kubectl:
        print(f"check_helm_chart.py: the chart renders and its values take effect, but {why}: "
              "the comparison with the kustomize overlays is skipped")
        return common.SKIP
    total = 0
    for mode in common.OVERLAYS:
        if mode not in rendered:
            continue
        try:
            kustomized = common.render_overlay(kubectl, src, mode)
        except RuntimeError as e:
            problem(str(e))
            continue
        total += compare(rendered[mode], kustomized, mode)
    print(f"{total} objects equal between the chart and the kustomize overlays")
    return common.finish("check_helm_chart.py")


if __name__ == "__main__":
    sys.exit(main())
