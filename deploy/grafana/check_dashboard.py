#!/usr/bin/env python3
"""Checks signet-dashboard.json: valid JSON, the import input DS_PROMETHEUS,
the tenant and ca variables, every panel on that data source, and every
query valid PromQL. Grafana's variables are replaced by concrete values
($tenant -> default, $ca -> internal, $__rate_interval -> 5m), each query
becomes a recording rule in a temporary file, and `promtool check rules`
parses them all.

Usage: check_dashboard.py [path/to/signet-dashboard.json] [promtool]
"""
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "signet-dashboard.json")
promtool = sys.argv[2] if len(sys.argv) > 2 else "promtool"
VARIABLES = {"$__rate_interval": "5m", "$tenant": "default", "$ca": "internal"}

with open(path, encoding="utf-8") as f:
    dash = json.load(f)  # raises on invalid JSON

problems = []
if dash.get("schemaVersion", 0) < 36:
    problems.append(f"schemaVersion {dash.get('schemaVersion')} < 36")
if not any(i.get("name") == "DS_PROMETHEUS" and i.get("pluginId") == "prometheus" for i in dash.get("__inputs", [])):
    problems.append("no __inputs entry DS_PROMETHEUS for the prometheus plugin")
variables = {v["name"]: v for v in dash.get("templating", {}).get("list", [])}
exprs = []  # (where, expr)
for name in ("tenant", "ca"):
    v = variables.get(name)
    if not v or not v.get("definition", "").startswith("label_values("):
        problems.append(f"no label_values() variable {name}")
        continue
    m = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", v["definition"])
    if not m or m.group(2) != name:
        problems.append(f"variable {name}: unexpected definition {v['definition']}")
    else:
        exprs.append((f"variable {name}", m.group(1)))


def panels(items):
    for p in items:
        yield p
        yield from panels(p.get("panels", []))


ids = set()
for p in panels(dash.get("panels", [])):
    if p["id"] in ids:
        problems.append(f"panel id {p['id']} used twice")
    ids.add(p["id"])
    if p["type"] == "row":
        continue
    if p.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
        problems.append(f"panel {p['title']!r}: data source is not ${{DS_PROMETHEUS}}")
    if not p.get("targets"):
        problems.append(f"panel {p['title']!r}: no queries")
    for t in p.get("targets", []):
        if not t.get("expr"):
            problems.append(f"panel {p['title']!r} query {t.get('refId')}: no expr")
            continue
        exprs.append((f"panel {p['title']!r} query {t['refId']}", t["expr"]))

rules = []
for i, (where, expr) in enumerate(exprs):
    concrete = expr
    for var, value in VARIABLES.items():  # $__rate_interval before anything shorter
        concrete = concrete.replace(var, value)
    if "$" in concrete.replace("$1", ""):
        problems.append(f"{where}: a variable is left in {concrete}")
    rules.append({"record": f"signet_dashboard:query_{i}", "expr": concrete})

with tempfile.TemporaryDirectory() as tmp:
    rule_file = os.path.join(tmp, "dashboard_queries.yaml")
    with open(rule_file, "w", encoding="utf-8") as f:
        json.dump({"groups": [{"name": "signet_dashboard", "rules": rules}]}, f, indent=1)  # JSON is YAML
    result = subprocess.run([promtool, "check", "rules", rule_file], capture_output=True, text=True)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        problems.append(f"promtool check rules failed ({result.returncode})")

for p in problems:
    print("PROBLEM:", p, file=sys.stderr)
print(f"{len(exprs)} queries in {sum(1 for p in panels(dash['panels']) if p['type'] != 'row')} panels checked: "
      + ("FAILED" if problems else "OK"))
sys.exit(1 if problems else 0)
