#!/usr/bin/python3
"""Calls the main routes of a running host and checks each answer against
GET /v1/openapi.json: its status is one the operation documents, its media
type is the documented one, and a JSON body validates against the schema
(JSON Schema 2020-12, Debian's python3-jsonschema). Exit 1 with every
mismatch listed.

usage: check_answers.py URL TOKEN CACERT
"""
import json
import re
import ssl
import sys
import urllib.error
import urllib.request

import jsonschema

URL, TOKEN, CACERT = sys.argv[1:4]
CONTEXT = ssl.create_default_context(cafile=CACERT)
problems = []
checked = 0


def call(method, path, body=None, token=TOKEN, raw=None, headers=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(URL + path, data=data, method=method)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, context=CONTEXT, timeout=30) as answer:
            return answer.status, answer.headers.get("Content-Type", ""), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


status, _, body = call("GET", "/v1/openapi.json", token=None)
if status != 200:
    sys.exit(f"GET /v1/openapi.json answered {status}")
DOC = json.loads(body)
RESOLVER = jsonschema.RefResolver.from_schema(DOC)


def operation_for(method, path):
    """The documented operation whose path template matches path."""
    path = path.split("?")[0]
    for template, item in DOC["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return template, item[method.lower()]
    return None, None


def check(method, path, expect, body=None, **options):
    """Calls, checks against the document, returns the parsed JSON body (or raw bytes)."""
    global checked
    status, media, payload = call(method, path, body, **options)
    checked += 1
    where = f"{method} {path} -> {status}"
    if status != expect:
        problems.append(f"{where}: expected {expect}: {payload[:300]!r}")
    template, operation = operation_for(method, path)
    if operation is None:
        problems.append(f"{where}: no operation in the document")
        return None
    response = operation["responses"].get(str(status)) or operation["responses"].get("default")
    if response is None:
        problems.append(f"{where}: status {status} is not documented for {method} {template}")
        return None
    content = response.get("content")
    if not content:
        if payload:
            problems.append(f"{where}: a body came back but the document describes none")
        return None
    media_type = media.split(";")[0].strip()
    if media_type not in content:
        problems.append(f"{where}: {media_type} is not among the documented {sorted(content)}")
        return None
    if media_type != "application/json":
        return payload
    value = json.loads(payload)
    schema = content[media_type].get("schema")
    if schema is None:
        problems.append(f"{where}: no schema for {media_type}")
        return value
    validator = jsonschema.Draft202012Validator(schema, resolver=RESOLVER, format_checker=jsonschema.FormatChecker())
    for error in validator.iter_errors(value):
        problems.append(f"{where}: {'/'.join(map(str, error.absolute_path))}: {error.message[:300]}")
    return value


# Operations and the public PKI surface.
check("GET", "/health", 200, token=None)
check("GET", "/ready", 200, token=None)
check("GET", "/metrics", 200, token=None)
cas = check("GET", "/pki/cas", 200, token=None)
ca = cas["items"][0]["name"] if cas and cas.get("items") else "internal"
check("GET", f"/pki/{ca}/chain.pem", 200, token=None)
check("GET", f"/pki/{ca}/ca.crt", 200, token=None)
check("GET", f"/pki/{ca}/crl", 200, token=None)
check("GET", "/pki/no-such-ca/crl", 404, token=None)

# Certificates: issue, read, list, search, renew, revoke, download.
issued = check("POST", "/v1/certificates", 201, {"common_name": "openapi.test", "sans": {"dns": ["openapi.test"]}},
               headers={"Idempotency-Key": "openapi-check-1"})
cert_id = issued["certificate_id"] if issued else "missing"
request_id = issued["request_id"] if issued else "missing"
check("GET", f"/v1/certificates/{cert_id}", 200)
check("GET", f"/v1/certificates/{cert_id}/current", 200)
check("GET", "/v1/certificates?limit=2", 200)
check("GET", "/v1/certificates?q=openapi&status=active", 200)
check("GET", "/v1/certificates/updates?since=2020-01-01T00:00:00Z", 200)
check("GET", "/v1/certificates/export.csv", 200)
check("GET", f"/v1/certificates/{cert_id}/bundle?format=pem", 200)
check("GET", "/v1/search/parse?q=expiring+in+7+days", 200)
check("GET", f"/v1/requests/{request_id}", 200)
check("GET", "/v1/requests?limit=5", 200)
renewed = check("POST", f"/v1/certificates/{cert_id}/renew", 201, {})
check("POST", f"/v1/certificates/{cert_id}/renew", 409, {})
if renewed:
    check("POST", f"/v1/certificates/{renewed['certificate_id']}/revoke", 200, {"reason": "key_compromise"})
check("POST", f"/v1/certificates/{cert_id}/revoke", 400, {"reason": "no-such-reason"})

# Overview, tenants, tokens, audit, events, notifications.
check("GET", "/v1/stats", 200)
check("GET", "/v1/stats/timeline", 200)
check("POST", "/v1/tenants", 201, {"slug": "openapi-check", "name": "OpenAPI check"})
check("GET", "/v1/tenants", 200)
token = check("POST", "/v1/tokens", 201, {"roles": ["auditor"]})
check("POST", "/v1/tokens", 400, {"roles": ["no-such-role"]})
check("GET", "/v1/tokens", 200)
if token:
    check("DELETE", f"/v1/tokens/{token['id']}", 204)
check("GET", "/v1/audit?limit=5", 200)
check("GET", "/v1/audit/verify", 200)
check("GET", "/v1/events", 200)
check("GET", "/v1/notifications", 200)
check("GET", "/v1/session/options", 200, token=None)

# Refusals: each with its documented status and error body.
check("GET", "/v1/certificates/no-such-id", 404)
check("POST", "/v1/certificates", 400, raw=b"{not json")
check("POST", "/v1/certificates", 400, {"common_name": "x.test", "ttl": "forever"})
check("GET", "/v1/certificates", 401, token=None)
check("GET", "/v1/certificates", 401, token="sgt_not-a-real-token")

print(f"checked {checked} answers against the document")
if problems:
    print("\n".join(problems))
    sys.exit(1)
