#!/usr/bin/env python3
"""Checks the Kubernetes deployment in deploy/kubernetes and the
configurations it and the image run with.

Without kubectl:
  - the sqlite overlay's signet.yaml is the image's deploy/container/signet.yaml
    except server.tls (a Secret's pair instead of an automatic certificate);
    the postgresql overlay's differs from the sqlite one only in database,
    the CA's bootstrap and the store instance (store-postgres);
  - with --signet BINARY: `signet config check` accepts all three.
With kubectl 1.21 or later (else exit 77, CTest: skipped), for each overlay
rendered by `kubectl kustomize`:
  - the workload: a StatefulSet of 1 replica with a ReadWriteOnce claim
    template for /var/lib/signet and its headless Service (sqlite); a
    Deployment of 2 or more replicas rolling one at a time, the
    ReadWriteMany claim they share, the database URL from a Secret in every
    container that runs signet, and `signet ca init` under flock (postgresql);
  - the pod: liveness and startup on GET /health, readiness on GET /ready,
    HTTPS, port 8443; pod and container securityContext (runAsNonRoot, the
    numeric uid of the Containerfile, readOnlyRootFilesystem,
    allowPrivilegeEscalation false, capabilities drop ALL, seccomp
    RuntimeDefault, fsGroupChangePolicy OnRootMismatch); requests and
    limits of CPU and memory on every container; signet.yaml from the
    rendered ConfigMap (equal to the overlay's file) mounted at
    /etc/signet/signet.yaml; the TLS pair copied with mode 0600 to where
    signet.yaml reads it; /var/lib/signet and /tmp writable; every
    ${env:NAME} without a default (and every master_key env) given to the
    container; no service account token;
  - the Services, the PodDisruptionBudget and the NetworkPolicy select the
    pods and name their ports, the budget lets a drain proceed.

Usage: check_kustomize.py [--source DIR] [--kubectl PATH] [--signet BINARY]
"""
import argparse
import copy
import os
import re
import subprocess
import sys
import tempfile

import yaml

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy_common as common  # noqa: E402

CONFIG_PATH = "/etc/signet/signet.yaml"
DATA_PATH = "/var/lib/signet"
problem = common.problem


def get(node, *path):
    for p in path:
        if not isinstance(node, dict) or p not in node:
            return None
        node = node[p]
    return node


def without(config, *paths):
    out = copy.deepcopy(config)
    for path in paths:
        node = out
        for p in path[:-1]:
            node = node.get(p, {})
        node.pop(path[-1], None)
    return out


def env_names_needed(config):
    """${env:NAME} without a default anywhere in the file, and master_key env names."""
    needed = set()

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "env" and isinstance(v, str):
                    needed.add(v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str):
            for ref in re.findall(r"\$\{env:([^}]*)\}", node):
                if ":-" not in ref:
                    needed.add(ref)

    walk(config)
    return needed


# ------------------------------------------------------------------ configs

def check_configs(src, signet):
    container = yaml.safe_load(common.read(src, "deploy", "container", "signet.yaml"))
    sqlite = yaml.safe_load(common.read(src, "deploy", "kubernetes", "overlays", "sqlite", "signet.yaml"))
    postgresql = yaml.safe_load(common.read(src, "deploy", "kubernetes", "overlays", "postgresql", "signet.yaml"))
    if without(container, ("server", "tls")) != without(sqlite, ("server", "tls")):
        problem("overlays/sqlite/signet.yaml differs from deploy/container/signet.yaml in more than server.tls")
    if get(container, "server", "tls") != {"auto": True}:
        problem(f"deploy/container/signet.yaml: server.tls is {get(container, 'server', 'tls')}, not {{auto: true}}")
    for name, cfg in (("sqlite", sqlite), ("postgresql", postgresql)):
        tls = get(cfg, "server", "tls") or {}
        if set(tls) != {"cert", "key"}:
            problem(f"overlays/{name}/signet.yaml: server.tls is not a cert and key file pair: {tls}")
    allowed = [("database",), ("plugins", "ca", "internal", "config", "bootstrap"), ("plugins", "store", "store")]
    if without(sqlite, *allowed) != without(postgresql, *allowed):
        problem("overlays/postgresql/signet.yaml differs from the sqlite one in more than database, "
                "plugins.ca.internal.config.bootstrap and plugins.store.store")
    if not str(postgresql.get("database", "")).startswith("${env:SIGNET_DATABASE_URL}"):
        problem("overlays/postgresql/signet.yaml: database is not ${env:SIGNET_DATABASE_URL} (without a default)")
    if get(postgresql, "plugins", "store", "store", "plugin") != "store-postgres":
        problem("overlays/postgresql/signet.yaml: the store is not store-postgres")
    if get(postgresql, "plugins", "ca", "internal", "config", "bootstrap") is not False:
        problem("overlays/postgresql/signet.yaml: the CA must not bootstrap itself (bootstrap: false; ca-init makes it)")
    for name, cfg in (("container", container), ("sqlite", sqlite), ("postgresql", postgresql)):
        if cfg.get("data_dir") != DATA_PATH:
            problem(f"{name} signet.yaml: data_dir is {cfg.get('data_dir')}, not {DATA_PATH}")
        store_path = get(cfg, "plugins", "store", "store", "config", "path")
        if store_path and os.path.dirname(store_path) == DATA_PATH:
            problem(f"{name} signet.yaml: the store file is directly in {DATA_PATH}; store-local would chmod the volume's top "
                    "directory to 0700 and the kubelet would then make every key file group-readable at the next mount")
    if signet:
        env = dict(os.environ, SIGNET_KEYS_PASSPHRASE="check-kustomize-passphrase-0123456789",
                   SIGNET_STORE_MASTER_KEY="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                   SIGNET_DATABASE_URL="postgresql://signet@127.0.0.1:1/signet")
        for rel in (("deploy", "container", "signet.yaml"), ("deploy", "kubernetes", "overlays", "sqlite", "signet.yaml"),
                    ("deploy", "kubernetes", "overlays", "postgresql", "signet.yaml")):
            path = os.path.join(src, *rel)
            with tempfile.TemporaryDirectory() as tmp:
                try:
                    out = subprocess.run([signet, "config", "check", path], capture_output=True, text=True, env=env, cwd=tmp,
                                         timeout=120)
                except (OSError, subprocess.SubprocessError) as e:
                    problem(f"cannot run {signet}: {e}")
                    break
            if out.returncode != 0:
                problem(f"signet config check {'/'.join(rel)}:\n{out.stdout}{out.stderr}")
            else:
                print(out.stdout.strip())
    return {"sqlite": sqlite, "postgresql": postgresql}


# ------------------------------------------------------------------ objects

def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def port_number(container, port):
    if isinstance(port, int):
        return port
    for p in container.get("ports", []):
        if p.get("name") == port:
            return p["containerPort"]
    return None


def check_security(c, pod_sc, uid, gid, where):
    sc = c.get("securityContext") or {}
    merged = dict(pod_sc, **sc)
    if merged.get("runAsNonRoot") is not True:
        problem(f"{where}: runAsNonRoot is not true")
    if not isinstance(merged.get("runAsUser"), int) or merged["runAsUser"] == 0:
        problem(f"{where}: runAsUser is not a numeric non-root uid: {merged.get('runAsUser')!r}")
    elif uid is not None and merged["runAsUser"] != uid:
        problem(f"{where}: runAsUser {merged['runAsUser']} is not the image's uid {uid} (Containerfile)")
    if gid is not None and merged.get("runAsGroup") != gid:
        problem(f"{where}: runAsGroup {merged.get('runAsGroup')} is not the image's gid {gid}")
    if sc.get("readOnlyRootFilesystem") is not True:
        problem(f"{where}: readOnlyRootFilesystem is not true")
    if sc.get("allowPrivilegeEscalation") is not False:
        problem(f"{where}: allowPrivilegeEscalation is not false")
    caps = sc.get("capabilities") or {}
    if "ALL" not in (caps.get("drop") or []):
        problem(f"{where}: capabilities do not drop ALL")
    if caps.get("add"):
        problem(f"{where}: capabilities add {caps['add']}")
    if sc.get("privileged"):
        problem(f"{where}: privileged")
    if get(merged, "seccompProfile", "type") != "RuntimeDefault":
        problem(f"{where}: seccompProfile is not RuntimeDefault")


def check_resources(c, where):
    for kind in ("requests", "limits"):
        for res in ("cpu", "memory"):
            if get(c, "resources", kind, res) in (None, "", 0):
                problem(f"{where}: no resources.{kind}.{res}")


def check_probe(c, name, path, where):
    probe = c.get(name)
    if not probe:
        problem(f"{where}: no {name}")
        return
    http = probe.get("httpGet") or {}
    if http.get("path") != path:
        problem(f"{where}: {name} path is {http.get('path')}, not {path}")
    if http.get("scheme") != "HTTPS":
        problem(f"{where}: {name} scheme is {http.get('scheme')}, not HTTPS")
    if port_number(c, http.get("port")) != 8443:
        problem(f"{where}: {name} port {http.get('port')} is not the HTTPS port 8443")


def check_overlay(name, objs, config, src, uid, gid):
    by = {}
    for o in objs:
        by.setdefault(o["kind"], []).append(o)
    where = f"overlays/{name}"
    workload_kind = "StatefulSet" if name == "sqlite" else "Deployment"
    workloads = by.get(workload_kind, [])
    others = [o for k in ("StatefulSet", "Deployment", "DaemonSet") if k != workload_kind for o in by.get(k, [])]
    if len(workloads) != 1 or others:
        problem(f"{where}: expected exactly one {workload_kind} and no other workload")
        return
    w = workloads[0]
    spec = w["spec"]
    pod_meta = get(spec, "template", "metadata") or {}
    pod = get(spec, "template", "spec") or {}
    labels = pod_meta.get("labels") or {}
    if not selects(get(spec, "selector", "matchLabels"), labels):
        problem(f"{where}: the {workload_kind}'s selector does not match its pod labels")
    replicas = spec.get("replicas")
    names = {(o["kind"], o["metadata"]["name"]): o for o in objs}

    containers = {c["name"]: c for c in pod.get("containers", [])}
    inits = {c["name"]: c for c in pod.get("initContainers", [])}
    main = containers.get("signet")
    if not main:
        problem(f"{where}: no container named signet")
        return
    if main.get("args") != ["serve", "--config", CONFIG_PATH] or main.get("command"):
        problem(f"{where}: the container does not run `signet serve --config {CONFIG_PATH}`: {main.get('command')} {main.get('args')}")
    ports = {p.get("name"): p.get("containerPort") for p in main.get("ports", [])}
    if ports != {"https": 8443, "pki": 8080}:
        problem(f"{where}: container ports are {ports}, not https 8443 and pki 8080")
    check_probe(main, "livenessProbe", "/health", where)
    check_probe(main, "startupProbe", "/health", where)
    check_probe(main, "readinessProbe", "/ready", where)

    pod_sc = pod.get("securityContext") or {}
    if pod_sc.get("runAsNonRoot") is not True:
        problem(f"{where}: the pod's runAsNonRoot is not true")
    if pod_sc.get("runAsUser") != uid or pod_sc.get("runAsGroup") != gid:
        problem(f"{where}: the pod's runAsUser/runAsGroup {pod_sc.get('runAsUser')}/{pod_sc.get('runAsGroup')} "
                f"are not the image's {uid}/{gid} (Containerfile)")
    if get(pod_sc, "seccompProfile", "type") != "RuntimeDefault":
        problem(f"{where}: the pod's seccompProfile is not RuntimeDefault")
    if pod_sc.get("fsGroup") != gid:
        problem(f"{where}: fsGroup {pod_sc.get('fsGroup')} is not the image's gid {gid}")
    if pod_sc.get("fsGroupChangePolicy") != "OnRootMismatch":
        problem(f"{where}: fsGroupChangePolicy is not OnRootMismatch (Always makes key files group-readable at every mount)")
    if pod.get("automountServiceAccountToken") is not False:
        problem(f"{where}: the pod mounts a service account token")
    sa = pod.get("serviceAccountName")
    if ("ServiceAccount", sa) not in names:
        problem(f"{where}: ServiceAccount {sa} is not rendered")
    images = set()
    for c in list(containers.values()) + list(inits.values()):
        cw = f"{where} container {c['name']}"
        check_security(c, pod_sc, uid, gid, cw)
        check_resources(c, cw)
        images.add(c.get("image"))
    if len(images) != 1 or not all(images):
        problem(f"{where}: the containers run different images: {images}")
    version = common.cmake_version(src)
    for image in images:
        if image and image.rsplit(":", 1)[-1] != version:
            problem(f"{where}: the image {image} is not tagged with the version in CMakeLists.txt ({version})")

    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    claim_templates = {t["metadata"]["name"]: t for t in spec.get("volumeClaimTemplates", [])}
    mounts = {m["mountPath"]: m for m in main.get("volumeMounts", [])}

    # signet.yaml from the rendered ConfigMap, equal to the overlay's file.
    m = mounts.get(CONFIG_PATH) or {}
    if m.get("subPath") != "signet.yaml":
        problem(f"{where}: nothing mounted at {CONFIG_PATH} with subPath signet.yaml")
    else:
        cm_name = get(volumes.get(m["name"], {}), "configMap", "name")
        cm = names.get(("ConfigMap", cm_name))
        if not cm:
            problem(f"{where}: {CONFIG_PATH} comes from no rendered ConfigMap ({cm_name})")
        elif get(cm, "data", "signet.yaml") != common.read(src, "deploy", "kubernetes", "overlays", name, "signet.yaml"):
            problem(f"{where}: ConfigMap {cm_name} does not hold overlays/{name}/signet.yaml")

    # TLS: the Secret's pair copied with mode 0600 where signet.yaml reads it.
    cert, key = get(config, "server", "tls", "cert"), get(config, "server", "tls", "key")
    tls_init = inits.get("tls-key")
    if not tls_init:
        problem(f"{where}: no init container tls-key")
    elif cert and key:
        script = " ".join(tls_init.get("command", []) + tls_init.get("args", []))
        if not re.search(r"install -m 0600 \S+ " + re.escape(key) + r"\b", script):
            problem(f"{where}: tls-key does not copy the key to {key} with mode 0600: {script}")
        if cert not in script:
            problem(f"{where}: tls-key does not copy the certificate to {cert}")
        tls_dir = os.path.dirname(key)
        tm = mounts.get(tls_dir)
        im = {mm["mountPath"]: mm for mm in tls_init.get("volumeMounts", [])}.get(tls_dir)
        if not tm or not im or tm["name"] != im["name"] or "emptyDir" not in volumes.get(tm["name"], {}):
            problem(f"{where}: {tls_dir} is not one emptyDir shared by tls-key and signet")
        secret_mounts = [mm for mm in tls_init.get("volumeMounts", []) if "secret" in volumes.get(mm["name"], {})]
        if not secret_mounts:
            problem(f"{where}: tls-key reads no Secret")

    # /var/lib/signet and /tmp.
    data = mounts.get(DATA_PATH) or {}
    if not data or data.get("readOnly"):
        problem(f"{where}: {DATA_PATH} is not mounted writable")
    tmp = mounts.get("/tmp")
    if not tmp or "emptyDir" not in volumes.get(tmp["name"], {}):
        problem(f"{where}: /tmp is not an emptyDir")

    # The environment signet.yaml needs.
    given = {e["name"]: e for e in main.get("env", [])}
    settings = set()
    for ef in main.get("envFrom", []):
        cm = names.get(("ConfigMap", get(ef, "configMapRef", "name")))
        if not cm:
            problem(f"{where}: envFrom names a ConfigMap that is not rendered: {ef}")
        else:
            settings |= set(cm.get("data", {}))
    for env_name in sorted(env_names_needed(config)):
        if env_name not in given and env_name not in settings:
            problem(f"{where}: signet.yaml needs ${{env:{env_name}}}, which the container does not get")
    for secret_env in ("SIGNET_KEYS_PASSPHRASE", "SIGNET_STORE_MASTER_KEY"):
        if not get(given.get(secret_env, {}), "valueFrom", "secretKeyRef", "name"):
            problem(f"{where}: {secret_env} does not come from a Secret")

    headless = [s for (k, _), s in names.items() if k == "Service" and get(s, "spec", "clusterIP") == "None"]
    if name == "sqlite":
        if replicas != 1:
            problem(f"{where}: the StatefulSet has {replicas} replicas; SQLite needs exactly 1")
        t = claim_templates.get(data.get("name", ""))
        if not t:
            problem(f"{where}: {DATA_PATH} is not a volumeClaimTemplate")
        else:
            if get(t, "spec", "accessModes") != ["ReadWriteOnce"]:
                problem(f"{where}: the data claim is not ReadWriteOnce")
            if not get(t, "spec", "resources", "requests", "storage"):
                problem(f"{where}: the data claim requests no storage")
        if not any(s["metadata"]["name"] == spec.get("serviceName") for s in headless):
            problem(f"{where}: the StatefulSet's serviceName {spec.get('serviceName')} is no headless Service")
        if get(config, "plugins", "ca", "internal", "config", "bootstrap") is not True:
            problem(f"{where}: the CA does not bootstrap itself")
    else:
        if not isinstance(replicas, int) or replicas < 2:
            problem(f"{where}: the Deployment has {replicas} replicas; the point of PostgreSQL is several")
        if get(spec, "strategy", "rollingUpdate", "maxUnavailable") != 1:
            problem(f"{where}: upgrades do not roll one pod at a time (docs/upgrading.md)")
        claim = get(volumes.get(data.get("name", ""), {}), "persistentVolumeClaim", "claimName")
        pvc = names.get(("PersistentVolumeClaim", claim))
        if not pvc:
            problem(f"{where}: {DATA_PATH} is not the rendered shared claim ({claim})")
        elif get(pvc, "spec", "accessModes") != ["ReadWriteMany"]:
            problem(f"{where}: the shared claim {claim} is not ReadWriteMany")
        ca_init = inits.get("ca-init")
        if not ca_init:
            problem(f"{where}: no init container ca-init")
        else:
            cmd = ca_init.get("command", []) + ca_init.get("args", [])
            if cmd[:1] != ["flock"] or "signet" not in cmd or cmd[cmd.index("signet"):] != ["signet", "ca", "init", "--config", CONFIG_PATH]:
                problem(f"{where}: ca-init does not run `flock … signet ca init --config {CONFIG_PATH}`: {cmd}")
            elif not any(a.startswith(DATA_PATH + "/") for a in cmd[1:cmd.index("signet")]):
                problem(f"{where}: ca-init's lock is not on the shared volume")
            init_mounts = {mm["mountPath"]: mm for mm in ca_init.get("volumeMounts", [])}
            if not m or init_mounts.get(CONFIG_PATH, {}).get("name") != m.get("name") or \
                    init_mounts.get(DATA_PATH, {}).get("name") != data.get("name"):
                problem(f"{where}: ca-init does not see the same signet.yaml and {DATA_PATH} as signet")
        for c in [main] + ([ca_init] if ca_init else []):
            env = {e["name"]: e for e in c.get("env", [])}
            if not get(env.get("SIGNET_DATABASE_URL", {}), "valueFrom", "secretKeyRef", "key"):
                problem(f"{where} container {c['name']}: SIGNET_DATABASE_URL does not come from a Secret")
            if ca_init and c is ca_init:
                if {e["name"] for e in main.get("env", [])} - set(env) or main.get("envFrom") != c.get("envFrom"):
                    problem(f"{where}: ca-init does not get the environment signet gets")

    # Services, PodDisruptionBudget, NetworkPolicy.
    services = by.get("Service", [])
    if not services:
        problem(f"{where}: no Service")
    for s in services:
        if not selects(get(s, "spec", "selector"), labels):
            problem(f"{where}: Service {s['metadata']['name']} does not select the pods")
        for p in get(s, "spec", "ports") or []:
            if port_number(main, p.get("targetPort")) is None:
                problem(f"{where}: Service {s['metadata']['name']} port {p.get('name')} targets {p.get('targetPort')}, no port of the container")
    pdbs = by.get("PodDisruptionBudget", [])
    if len(pdbs) != 1:
        problem(f"{where}: expected one PodDisruptionBudget")
    for pdb in pdbs:
        if not selects(get(pdb, "spec", "selector", "matchLabels"), labels):
            problem(f"{where}: the PodDisruptionBudget does not select the pods")
        min_available = get(pdb, "spec", "minAvailable")
        max_unavailable = get(pdb, "spec", "maxUnavailable")
        if isinstance(min_available, int) and min_available >= (replicas or 0):
            problem(f"{where}: minAvailable {min_available} of {replicas} replicas blocks every drain")
        if max_unavailable in (0, "0%"):
            problem(f"{where}: maxUnavailable 0 blocks every drain")
    nps = by.get("NetworkPolicy", [])
    if len(nps) != 1:
        problem(f"{where}: expected one NetworkPolicy")
    for np in nps:
        if not selects(get(np, "spec", "podSelector", "matchLabels"), labels):
            problem(f"{where}: the NetworkPolicy does not select the pods")
        if "Ingress" not in (get(np, "spec", "policyTypes") or []):
            problem(f"{where}: the NetworkPolicy does not restrict ingress")
        allowed = {port_number(main, p.get("port")) for rule in get(np, "spec", "ingress") or [] for p in rule.get("ports") or []}
        if allowed != {8443, 8080}:
            problem(f"{where}: the NetworkPolicy lets in ports {allowed}, not exactly 8443 and 8080")
    print(f"{where}: {len(objs)} objects checked")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", help="the repository (default: two levels above this script)")
    parser.add_argument("--kubectl", help="kubectl (default: from PATH)")
    parser.add_argument("--signet", help="a signet binary: run `signet config check` on the configurations")
    args = parser.parse_args()
    src = common.source_dir(args.source)
    configs = check_configs(src, os.path.abspath(args.signet) if args.signet else None)
    if common.problems:
        return common.finish("check_kustomize.py")
    kubectl, why = common.find_kubectl(args.kubectl)
    if not kubectl:
        print(f"check_kustomize.py: the configurations agree, but {why}: the overlays are not rendered; skipped")
        return common.SKIP
    uid, gid = common.containerfile_ids(src)
    if uid is None or gid is None:
        problem("Containerfile: no ARG SIGNET_UID=<number> / ARG SIGNET_GID=<number>")
    for overlay in common.OVERLAYS:
        try:
            objs = common.render_overlay(kubectl, src, overlay)
        except RuntimeError as e:
            problem(str(e))
            continue
        check_overlay(overlay, objs, configs[overlay], src, uid, gid)
    return common.finish("check_kustomize.py")


if __name__ == "__main__":
    sys.exit(main())
