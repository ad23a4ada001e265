#!/usr/bin/env python3
"""vault_double.py - a loopback stand-in for the HashiCorp Vault HTTP API that Signet talks to.

One plain-HTTP server on 127.0.0.1 answers as a Vault server does on the wire:
  * common rules: /v1/ prefix, X-Vault-Token or Authorization: Bearer, X-Vault-Namespace (or a
    namespace path prefix), LIST as a verb or GET ?list=true, {"errors": [...]} bodies, the
    success envelope, response wrapping (X-Vault-Wrap-TTL, sys/wrapping/unwrap once only);
  * auth: token (lookup-self, renew-self, revoke-self, create, lookup), AppRole, Kubernetes and
    JWT logins; ACL policies with globs, "+" segments and Vault's priority rules;
  * secrets engines: KV version 2 (data, metadata, delete, undelete, destroy, subkeys, config)
    and Transit with real cryptography (keys, rotate, config, export, encrypt, decrypt, rewrap,
    datakey, sign, verify);
  * sys: health, seal-status, leader, mounts, internal/ui/mounts, policy, policies/acl,
    capabilities-self, seal, unseal, wrapping;
  * test controls under /_double/ (no auth): seal, standby, rate limits, faults, tokens,
    AppRole and other roles, policies, token expiry, refused renewal, a clock, stats, KV dumps.

It follows Vault's API documentation and its source (sdk/logical response_util, the KV v2 plugin,
keysutil), not what any one client expects.  A real Vault is never contacted.  Python 3.11 with
python3-cryptography (Debian's /usr/bin/python3 works).
"""

import argparse
import base64
import binascii
import datetime
import json
import os
import re
import secrets
import string
import sys
import threading
import time
import traceback
import uuid
from urllib.parse import parse_qs, unquote, urlsplit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import serving  # noqa: E402  (tests/doubles/serving.py)

from cryptography.exceptions import InvalidSignature, InvalidTag  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import (Prehashed, decode_dss_signature,  # noqa: E402
                                                             encode_dss_signature)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305  # noqa: E402

# ----------------------------------------------------------------------------- constants

NAME = "vault-double"
VAULT_VERSION = "1.15.6"
BUILD_DATE = "2024-02-28T17:07:34Z"
DEFAULT_LEASE_TTL = 768 * 3600  # Vault's system default and maximum token TTL (32 days)
MAX_BODY = 32 * 1024 * 1024  # Vault's default max_request_size
FAULT_KINDS = ("status", "drop", "reset", "lost", "delay")
CAPABILITIES = ("create", "read", "update", "delete", "list", "patch", "sudo")
KNOWN_CAPABILITIES = CAPABILITIES + ("deny", "subscribe")
# Paths of Vault's built-in "default" policy that a client of this double can reach.
DEFAULT_POLICY = {
    "auth/token/lookup-self": ["read"],
    "auth/token/renew-self": ["update"],
    "auth/token/revoke-self": ["update"],
    "sys/capabilities-self": ["update"],
    "sys/internal/ui/mounts": ["read"],
    "sys/internal/ui/mounts/*": ["read"],
    "sys/wrapping/wrap": ["update"],
    "sys/wrapping/lookup": ["update"],
    "sys/wrapping/unwrap": ["update"],
    "sys/renew": ["update"],
    "sys/leases/renew": ["update"],
    "sys/leases/lookup": ["update"],
    "sys/tools/hash": ["update"],
    "sys/tools/hash/*": ["update"],
}
# Paths every Vault answers while sealed or on a standby without an active node.
ALWAYS_ANSWERED = ("sys/health", "sys/seal-status", "sys/unseal", "sys/init", "sys/leader")
# Paths exempt from rate-limit quotas by default (Vault's rate_limit_exempt_paths).
QUOTA_EXEMPT = ("sys/health", "sys/seal-status", "sys/unseal", "sys/init", "sys/leader", "sys/generate-root")
OPERATIONS = {"GET": "read", "HEAD": "read", "POST": "write", "PUT": "write", "PATCH": "patch",
              "DELETE": "delete", "LIST": "list"}
MOUNT_TYPES_FOR_ENVELOPE = {"kv": "kv", "transit": "transit", "approle": "approle", "kubernetes": "kubernetes",
                            "jwt": "jwt", "token": "token", "system": "system"}
ALNUM = string.ascii_letters + string.digits
DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION_PART_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h|d)")

# Transit key types: kind and size/curve.
KEY_TYPES = {
    "aes128-gcm96": ("aes", 16), "aes256-gcm96": ("aes", 32), "chacha20-poly1305": ("chacha", 32),
    "rsa-2048": ("rsa", 2048), "rsa-3072": ("rsa", 3072), "rsa-4096": ("rsa", 4096),
    "ecdsa-p256": ("ec", "P-256"), "ecdsa-p384": ("ec", "P-384"), "ecdsa-p521": ("ec", "P-521"),
    "ed25519": ("ed25519", None),
}
CURVES = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1, "P-521": ec.SECP521R1}
HASHES = {"sha1": hashes.SHA1, "sha2-224": hashes.SHA224, "sha2-256": hashes.SHA256, "sha2-384": hashes.SHA384,
          "sha2-512": hashes.SHA512, "sha3-224": hashes.SHA3_224, "sha3-256": hashes.SHA3_256,
          "sha3-384": hashes.SHA3_384, "sha3-512": hashes.SHA3_512}
TOO_OLD = "ciphertext or signature version is disallowed by policy (too old)"


# ----------------------------------------------------------------------------- errors and replies

class VaultError(Exception):
    """An answer with Vault's error body {"errors": [...]} (or, with body, a given envelope)."""

    def __init__(self, status, errors=(), headers=(), go_error=False):
        super().__init__("; ".join(errors) or str(status))
        self.status, self.errors, self.headers = status, list(errors), list(headers)
        # Errors Vault returns as Go errors (not logical.ErrorResponse) are multierror-wrapped
        # by recent versions: "1 error occurred:\n\t* permission denied\n\n".
        self.go_error = go_error


def bad_request(message):
    return VaultError(400, [message])


def permission_denied(*extra):
    return VaultError(403, ["permission denied"] + list(extra), go_error=True)


def not_found():
    return VaultError(404, [])


def unsupported_operation():
    return VaultError(405, ["unsupported operation"], go_error=True)


def no_route(path):
    return VaultError(404, ['no handler for route "%s". route entry not found.' % path])


DropConnection = serving.DropConnection


class Result:
    """What a Vault endpoint produced: the envelope's data/auth/warnings, or a raw JSON object."""

    def __init__(self, data=None, auth=None, warnings=None, status=200, raw=None, top_level=False,
                 wrap_info=None):
        self.data, self.auth, self.warnings, self.status = data, auth, warnings, status
        self.raw, self.top_level, self.wrap_info = raw, top_level, wrap_info


class Reply(serving.Reply):
    content_type_default = "application/json"


def json_bytes(obj):
    # Compact with a trailing newline, as Go's json.Encoder writes it.
    return (json.dumps(obj, separators=(",", ":")) + "\n").encode()


def json_reply(status, obj, headers=(), note=""):
    return Reply(status, json_bytes(obj), headers=headers, note=note)


# ----------------------------------------------------------------------------- small helpers

class Clock:
    """Wall time plus an offset that /_double/clock can advance (TTL tests without sleeping)."""
    offset = 0.0

    @classmethod
    def now(cls):
        return time.time() + cls.offset


def rfc3339(epoch):
    """Go's RFC3339Nano in UTC: fractional seconds with trailing zeros trimmed."""
    stamp = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    text = stamp.strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".")
    return text + "Z"


def go_duration(seconds):
    """time.Duration.String() for whole seconds: 0s, 45s, 2m5s, 1h0m0s."""
    seconds = int(seconds)
    if seconds <= 0:
        return "0s"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return "%dh%dm%ds" % (hours, minutes, secs)
    if minutes:
        return "%dm%ds" % (minutes, secs)
    return "%ds" % secs


def parse_duration(value, field="ttl"):
    """Vault's duration input: an integer (seconds) or a Go duration string ("90s", "1h30m", "2d")."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise bad_request('error converting input %s for field "%s"' % (value, field))
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    parts = DURATION_PART_RE.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise bad_request('error converting input %s for field "%s": time: invalid duration "%s"'
                          % (text, field, text))
    return int(sum(float(n) * DURATION_UNITS[u] for n, u in parts))


def parse_bool(value, field="value"):
    if isinstance(value, bool):
        return value
    if value is None or value == "":
        return False
    if isinstance(value, (int, float)):
        return value != 0
    text = str(value).strip().lower()
    if text in ("1", "t", "true"):
        return True
    if text in ("0", "f", "false"):
        return False
    raise bad_request('error converting input %s for field "%s"' % (value, field))


def parse_int(value, field, default=0):
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise bad_request('error converting input %s for field "%s"' % (value, field))
    try:
        return int(value) if not isinstance(value, float) or value.is_integer() else int("x")
    except (TypeError, ValueError):
        raise bad_request('error converting input %s for field "%s"' % (value, field))


def parse_list(value):
    """A list field: a JSON list or a comma-separated string."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, list):
        return [str(item).strip() for item in value if str(item).strip()]
    raise bad_request("expected a list or a comma-separated string, got %r" % (value,))


def b64e(raw):
    return base64.b64encode(raw).decode()


def b64d(text, message):
    try:
        return base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(message)


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def random_alnum(length):
    return "".join(secrets.choice(ALNUM) for _ in range(length))


def norm_namespace(text):
    text = (text or "").strip().strip("/")
    return text + "/" if text else ""


# ----------------------------------------------------------------------------- ACL policies

HCL_PATH_RE = re.compile(r'path\s+"([^"]*)"\s*\{(.*?)\}', re.S)
HCL_CAPS_RE = re.compile(r"capabilities\s*=\s*\[([^\]]*)\]", re.S)
HCL_OLD_POLICY_RE = re.compile(r'policy\s*=\s*"([a-z]+)"')
OLD_POLICY_CAPS = {"deny": ["deny"], "read": ["read", "list"],
                   "write": ["create", "read", "update", "delete", "list"],
                   "sudo": ["create", "read", "update", "delete", "list", "sudo"]}


def parse_policy(spec):
    """A policy as Vault HCL text, Vault's JSON form {"path": {p: {"capabilities": [...]}}} (text or
    object), or the short form {p: [caps]} -> {pattern: sorted capability list}."""
    if isinstance(spec, str):
        stripped = spec.strip()
        if stripped.startswith("{"):
            try:
                return parse_policy(json.loads(stripped))
            except ValueError as exc:
                raise bad_request("failed to parse policy: %s" % exc)
        text = "\n".join(line for line in spec.splitlines() if not line.strip().startswith(("#", "//")))
        rules = {}
        for pattern, block in HCL_PATH_RE.findall(text):
            caps = HCL_CAPS_RE.search(block)
            old = HCL_OLD_POLICY_RE.search(block)
            if caps:
                rules[pattern] = re.findall(r'"([^"]*)"', caps.group(1))
            elif old and old.group(1) in OLD_POLICY_CAPS:
                rules[pattern] = OLD_POLICY_CAPS[old.group(1)]
            else:
                raise bad_request('failed to parse policy: path "%s": no capabilities' % pattern)
        if not rules and text.strip():
            raise bad_request("failed to parse policy: no path blocks found")
        return check_rules(rules)
    if isinstance(spec, dict):
        body = spec.get("path") if isinstance(spec.get("path"), dict) else spec
        rules = {}
        for pattern, entry in body.items():
            if isinstance(entry, dict):
                caps = entry.get("capabilities")
                if caps is None and entry.get("policy") in OLD_POLICY_CAPS:
                    caps = OLD_POLICY_CAPS[entry["policy"]]
            else:
                caps = entry
            rules[pattern] = parse_list(caps)
        return check_rules(rules)
    raise bad_request("failed to parse policy: expected HCL text or a JSON object")


def check_rules(rules):
    for pattern, caps in rules.items():
        for cap in caps:
            if cap not in KNOWN_CAPABILITIES:
                raise bad_request('failed to parse policy: path "%s": invalid capability "%s"' % (pattern, cap))
        if "*" in pattern[:-1]:
            raise bad_request('failed to parse policy: path "%s": "*" may only end a path' % pattern)
    return {pattern: sorted(set(caps)) for pattern, caps in rules.items()}


def policy_to_hcl(rules):
    return "\n".join('path "%s" {\n  capabilities = [%s]\n}\n' % (p, ", ".join('"%s"' % c for c in caps))
                     for p, caps in sorted(rules.items()))


def pattern_matches(pattern, path):
    """Vault's ACL match: exact, a trailing "*" glob (prefix), "+" for exactly one segment."""
    glob = pattern.endswith("*")
    body = pattern[:-1] if glob else pattern
    if "+" not in body:
        return path.startswith(body) if glob else path == body
    want, have = body.split("/"), path.split("/")
    if len(have) < len(want) or (not glob and len(have) != len(want)):
        return False
    for index, segment in enumerate(want):
        last = index == len(want) - 1
        if segment == "+":
            continue
        if last and glob:
            if not have[index].startswith(segment):
                return False
        elif have[index] != segment:
            return False
    return True


def pattern_priority(pattern):
    """Higher sorts better (Vault's policy priority rules): later first wildcard, no trailing
    "*", fewer "+" segments, longer, lexically larger."""
    positions = [i for i in (pattern.find("+"), pattern.find("*")) if i >= 0]
    first = min(positions) if positions else len(pattern)
    return (first, not pattern.endswith("*"), -pattern.split("/").count("+"), len(pattern), pattern)


def acl_capabilities(policies, path):
    """The capabilities a set of policies (list of rule dicts) grants on path."""
    merged = {}
    for rules in policies:
        for pattern, caps in rules.items():
            merged.setdefault(pattern, set()).update(caps)
    matching = [p for p in merged if pattern_matches(p, path)]
    if not matching:
        return set()
    caps = merged[max(matching, key=pattern_priority)]
    return set() if "deny" in caps else set(caps)


# ----------------------------------------------------------------------------- persisted state

class Store:
    """Tokens, wrapping tokens and every namespace (policies, auth mounts, secrets engines),
    persisted to DIR/state.json after each change."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.RLock()
        self.data = {"cluster_id": str(uuid.uuid4()), "cluster_name": "vault-cluster-" + secrets.token_hex(4),
                     "root_token": None, "tokens": {}, "wraps": {}, "namespaces": {}}
        if os.path.exists(path):
            with open(path, "rb") as handle:
                self.data.update(json.load(handle))

    def save(self):
        serving.write_atomic(self.path, json.dumps(self.data, indent=1, sort_keys=True).encode(), 0o600)

    def namespace(self, name):
        return self.data["namespaces"].get(name)

    def ensure_namespace(self, name, settings):
        ns = self.data["namespaces"].get(name)
        if ns is None:
            ns = {"id": "root" if name == "" else random_alnum(5), "policies": {}, "auth": {}, "mounts": {}}
            self.data["namespaces"][name] = ns
        ns["policies"].setdefault("default", {"rules": dict(DEFAULT_POLICY), "text": policy_to_hcl(DEFAULT_POLICY)})
        for mount in settings.kv_mounts:
            ns["mounts"].setdefault(mount, {"type": "kv", "accessor": "kv_" + secrets.token_hex(4),
                                            "uuid": str(uuid.uuid4()), "keys": {},
                                            "config": {"max_versions": 0, "cas_required": False,
                                                       "delete_version_after": 0}})
        for mount in settings.transit_mounts:
            ns["mounts"].setdefault(mount, {"type": "transit", "accessor": "transit_" + secrets.token_hex(4),
                                            "uuid": str(uuid.uuid4()), "keys": {}})
        for mount, kind in settings.auth_mounts.items():
            ns["auth"].setdefault(mount, {"type": kind, "accessor": "auth_%s_%s" % (kind, secrets.token_hex(4)),
                                          "roles": {}, "secret_ids": {}, "config": {}})
        return ns


class Settings:
    """Command-line flags merged over the JSON config file."""

    def __init__(self, args, config):
        def pick(flag, key, default):
            value = getattr(args, flag, None)
            return value if value not in (None, []) else config.get(key, default)
        self.root_token = pick("root_token", "root_token", None)
        self.default_ttl = parse_duration(pick("token_ttl", "default_lease_ttl", DEFAULT_LEASE_TTL))
        self.max_ttl = parse_duration(pick("token_max_ttl", "max_lease_ttl", DEFAULT_LEASE_TTL))
        self.kv_mounts = [m.strip("/") for m in pick("kv_mount", "kv_mounts", ["secret"])]
        self.transit_mounts = [m.strip("/") for m in pick("transit_mount", "transit_mounts", ["transit"])]
        self.auth_mounts = dict(config.get("auth_mounts", {"approle": "approle", "kubernetes": "kubernetes",
                                                           "jwt": "jwt"}))
        for mount, kind in self.auth_mounts.items():
            if kind not in ("approle", "kubernetes", "jwt"):
                raise SystemExit("%s: auth mount %s: unknown type %s" % (NAME, mount, kind))
        namespaces = pick("namespace", "namespaces", [])
        self.namespaces = {norm_namespace(n): {} for n in namespaces} if isinstance(namespaces, list) else \
            {norm_namespace(n): (v or {}) for n, v in namespaces.items()}
        self.error_style = pick("error_style", "error_style", "plain")
        self.require_request_header = bool(pick("require_request_header", "require_request_header", False))
        self.config = config


# ----------------------------------------------------------------------------- tokens

class TokenStore:
    """Service tokens: minting, lookup (expiry, namespace), renewal within the max TTL."""

    def __init__(self, double):
        self.double = double
        self.tokens = double.store.data["tokens"]

    def new_id(self, namespace):
        ns = self.double.store.namespace(namespace)
        suffix = "" if namespace == "" else "." + ns["id"]
        return "hvs." + random_alnum(24) + suffix, random_alnum(24) + suffix

    def mint(self, namespace, policies, ttl=0, max_ttl=0, renewable=True, path="auth/token/create",
             display_name="token", meta=None, num_uses=0, explicit_max_ttl=0, no_default_policy=False,
             token_id=None, orphan=False, entity_id="", role_ttl=None):
        """A new token; ttl/max_ttl of 0 take the system defaults.  Root tokens never expire."""
        settings, now = self.double.settings, Clock.now()
        policies = sorted(set(p for p in policies if p))
        root = "root" in policies
        if root:
            policies = ["root"]
        elif not no_default_policy and "default" not in policies:
            policies = sorted(policies + ["default"])
        max_ttl = max_ttl or settings.max_ttl
        if explicit_max_ttl:
            max_ttl = min(max_ttl, explicit_max_ttl)
        ttl = min(ttl or settings.default_ttl, max_ttl)
        new_id, accessor = self.new_id(namespace)
        token_id = token_id or new_id
        rec = {"id": token_id, "accessor": accessor, "namespace": namespace, "policies": policies,
               "display_name": display_name, "path": path, "meta": meta or None, "creation_time": now,
               "creation_ttl": 0 if root else ttl, "renew_ttl": role_ttl or ttl,
               "max_ttl": 0 if root else max_ttl, "explicit_max_ttl": explicit_max_ttl,
               "expire_at": None if root else now + ttl, "max_expire_at": None if root else now + max_ttl,
               "renewable": bool(renewable) and not root, "num_uses": int(num_uses or 0),
               "orphan": bool(orphan), "entity_id": entity_id, "last_renewal": None}
        self.tokens[token_id] = rec
        return rec

    def get(self, token_id):
        """The live token record, or None (missing, expired: an expired token is revoked)."""
        rec = self.tokens.get(token_id or "")
        if rec is None:
            return None
        if rec["expire_at"] is not None and rec["expire_at"] <= Clock.now():
            del self.tokens[token_id]
            self.double.store.save()
            return None
        return rec

    def by_accessor(self, accessor):
        return next((r for r in self.tokens.values() if r["accessor"] == accessor), None)

    @staticmethod
    def ttl_left(rec):
        return 0 if rec["expire_at"] is None else max(0, int(round(rec["expire_at"] - Clock.now())))

    def auth_block(self, rec, policies_key=True):
        block = {"client_token": rec["id"], "accessor": rec["accessor"], "policies": rec["policies"],
                 "token_policies": rec["policies"], "metadata": rec["meta"], "lease_duration": self.ttl_left(rec),
                 "renewable": rec["renewable"], "entity_id": rec["entity_id"], "token_type": "service",
                 "orphan": rec["orphan"], "mfa_requirement": None, "num_uses": rec["num_uses"]}
        if not policies_key:
            del block["policies"]
        return block

    def lookup_data(self, rec):
        expire = rec["expire_at"]
        return {"accessor": rec["accessor"], "creation_time": int(rec["creation_time"]),
                "creation_ttl": rec["creation_ttl"], "display_name": rec["display_name"],
                "entity_id": rec["entity_id"], "expire_time": rfc3339(expire) if expire is not None else None,
                "explicit_max_ttl": rec["explicit_max_ttl"], "id": rec["id"],
                "issue_time": rfc3339(rec["creation_time"]), "meta": rec["meta"], "num_uses": rec["num_uses"],
                "orphan": rec["orphan"], "path": rec["path"], "policies": rec["policies"],
                "renewable": rec["renewable"], "ttl": self.ttl_left(rec), "type": "service",
                "last_renewal_time": int(rec["last_renewal"]) if rec.get("last_renewal") else None,
                "last_renewal": rfc3339(rec["last_renewal"]) if rec.get("last_renewal") else None}

    def renew(self, rec, increment):
        """Extend the TTL up to the max TTL; beyond it the TTL is capped and a warning returned."""
        if not rec["renewable"] or rec["expire_at"] is None or self.double.refuse_renewal:
            self.double.bump("renewals_refused")
            raise bad_request("lease is not renewable")
        now = Clock.now()
        wanted = increment or rec["renew_ttl"]
        left_to_max = int(rec["max_expire_at"] - now)
        if left_to_max <= 0:
            raise bad_request("past the max TTL, cannot renew")
        warnings = None
        ttl = wanted
        if wanted > left_to_max:
            ttl = left_to_max
            warnings = ['TTL of "%s" exceeded the effective max_ttl of "%s"; TTL value is capped accordingly'
                        % (go_duration(wanted), go_duration(left_to_max))]
        rec["expire_at"], rec["last_renewal"] = now + ttl, now
        self.double.bump("renewals")
        return self.auth_block(rec), warnings


# ----------------------------------------------------------------------------- request and routes

class Request:
    """One /v1 request, parsed once: operation, namespace, namespace-relative path, body."""

    def __init__(self, handler, raw_body):
        split = urlsplit(handler.path)
        self.http_method = handler.command
        self.raw_path = split.path
        self.query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        self.headers = handler.headers
        self.raw_body = raw_body
        self.body = {}
        self.namespace, self.path = "", ""
        self.token = (handler.headers.get("X-Vault-Token") or "").strip()
        if not self.token:
            scheme, _, credential = (handler.headers.get("Authorization") or "").partition(" ")
            if scheme.lower() == "bearer":
                self.token = credential.strip()
        listing = self.http_method == "GET" and self.query.get("list", "").lower() in ("true", "1", "t")
        self.op = "list" if listing else OPERATIONS.get(self.http_method)
        self.token_rec = None

    def parse_body(self):
        if self.raw_body.strip():
            try:
                body = json.loads(self.raw_body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise bad_request("failed to parse JSON input: %s" % exc)
            if not isinstance(body, dict):
                raise bad_request("failed to parse JSON input: expected a JSON object")
            self.body = body
        if self.http_method in ("GET", "LIST", "HEAD"):
            for key, value in self.query.items():
                if key != "list":
                    self.body.setdefault(key, value)


class Route:
    """What a path resolved to: the handler, the capability it needs and how it is authorised.

    capability "write" means create when exists() is false, update otherwise (Vault's existence
    check).  auth: "acl" (token + policy), "token" (any valid token) or "none"."""

    def __init__(self, family, handler, capability="read", exists=None, auth="acl", mount_type="", sudo=False):
        self.family, self.handler, self.capability = family, handler, capability
        self.exists, self.auth, self.mount_type, self.sudo = exists, auth, mount_type, sudo

    def required_capability(self):
        if self.capability == "write":
            return "update" if self.exists is None or self.exists() else "create"
        return self.capability


def pick_op(req, table, family, **route_kw):
    """Route by operation from {op: (handler, capability)}; 405 when the op is not served."""
    entry = table.get(req.op)
    if entry is None:
        raise unsupported_operation()
    handler, capability = entry[0], entry[1]
    exists = entry[2] if len(entry) > 2 else None
    return Route(family, handler, capability, exists=exists, **route_kw)


# ----------------------------------------------------------------------------- KV version 2

def merge_patch(target, patch):
    """RFC 7396 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def subkeys_of(value, depth, level=1):
    if not isinstance(value, dict):
        return None
    if depth and level > depth:
        return None
    return {k: subkeys_of(v, depth, level + 1) if isinstance(v, dict) else None for k, v in value.items()}


class KVEngine:
    """The KV v2 plugin: versions, check-and-set, soft delete, destroy, metadata, listing."""
    kind = "kv"

    def __init__(self, double):
        self.double = double

    def route(self, req, ns, mount_name, mount, rest):
        op, _, path = rest.partition("/")
        family = "%s/%s" % (mount_name, op or "")
        keys = mount["keys"]

        def exists():
            return path in keys

        def kw(**extra):
            return dict(mount_type="kv", **extra)
        if op == "config" and not path:
            return pick_op(req, {"read": (lambda r: self.read_config(mount), "read"),
                                 "write": (lambda r: self.write_config(r, mount), "update")}, family, **kw())
        if not path and op != "metadata":
            raise no_route(req.path)
        if op == "data":
            return pick_op(req, {"read": (lambda r: self.read_data(r, mount, path), "read"),
                                 "write": (lambda r: self.write_data(r, mount, path), "write", exists),
                                 "patch": (lambda r: self.patch_data(r, mount, path), "patch"),
                                 "delete": (lambda r: self.delete_latest(mount, path), "delete")}, family, **kw())
        if op == "metadata":
            table = {"list": (lambda r: self.list_keys(mount, path), "list")}
            if path:
                table.update({"read": (lambda r: self.read_metadata(mount, path), "read"),
                              "write": (lambda r: self.write_metadata(r, mount, path), "write", exists),
                              "patch": (lambda r: self.patch_metadata(r, mount, path), "patch"),
                              "delete": (lambda r: self.delete_metadata(mount, path), "delete")})
            return pick_op(req, table, family, **kw())
        if op in ("delete", "undelete", "destroy"):
            return pick_op(req, {"write": (lambda r: self.change_versions(r, mount, path, op), "update")},
                           family, **kw())
        if op == "subkeys":
            return pick_op(req, {"read": (lambda r: self.read_subkeys(r, mount, path), "read")}, family, **kw())
        raise no_route(req.path)

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def max_versions(mount, key):
        return (key or {}).get("max_versions") or mount["config"].get("max_versions") or 10

    @staticmethod
    def version_meta(key, number):
        version = key["versions"][str(number)]
        return {"created_time": rfc3339(version["created_time"]), "custom_metadata": key.get("custom_metadata"),
                "deletion_time": rfc3339(version["deletion_time"]) if version["deletion_time"] else "",
                "destroyed": version["destroyed"], "version": number}

    @staticmethod
    def is_deleted(version):
        return version["destroyed"] or (version["deletion_time"] is not None
                                        and version["deletion_time"] <= Clock.now())

    @staticmethod
    def parse_custom_metadata(value):
        if value is None:
            return None
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise bad_request('error converting input %s for field "custom_metadata": expected a map of strings'
                              % json.dumps(value))
        if len(value) > 64:
            raise bad_request("custom_metadata validation errors: payload must contain at most 64 keys")
        return dict(value)

    def check_cas(self, req, mount, key):
        """options.cas: the expected current version (0: only if the key does not exist)."""
        options = req.body.get("options") or {}
        if not isinstance(options, dict):
            raise bad_request("error parsing check-and-set parameter")
        cas = options.get("cas")
        if cas is not None:
            try:
                cas = int(cas)
            except (TypeError, ValueError):
                raise bad_request("error parsing check-and-set parameter")
        required = mount["config"].get("cas_required") or (key or {}).get("cas_required")
        if cas is None and required:
            raise bad_request("check-and-set parameter required for this call")
        current = key["current_version"] if key else 0
        if cas is not None and cas != current:
            raise bad_request("check-and-set parameter did not match the current version")

    def add_version(self, mount, path, data):
        now = Clock.now()
        key = mount["keys"].get(path)
        if key is None:
            key = {"created_time": now, "updated_time": now, "current_version": 0, "oldest_version": 0,
                   "max_versions": 0, "cas_required": False, "delete_version_after": 0, "custom_metadata": None,
                   "versions": {}}
            mount["keys"][path] = key
        number = key["current_version"] + 1
        after = key.get("delete_version_after") or mount["config"].get("delete_version_after") or 0
        key["versions"][str(number)] = {"created_time": now, "deletion_time": now + after if after else None,
                                        "destroyed": False, "data": data}
        key["current_version"], key["updated_time"] = number, now
        self.trim(mount, key)
        return key, number

    def trim(self, mount, key):
        """Versions beyond max_versions are dropped oldest first."""
        keep_from = key["current_version"] - self.max_versions(mount, key) + 1
        if keep_from > 1 and any(int(n) < keep_from for n in key["versions"]):
            for number in [n for n in key["versions"] if int(n) < keep_from]:
                del key["versions"][number]
            key["oldest_version"] = keep_from

    # -- data ---------------------------------------------------------------------------------

    def read_data(self, req, mount, path):
        key = mount["keys"].get(path)
        number = parse_int(req.body.get("version"), "version")
        if key is None:
            raise not_found()
        number = number or key["current_version"]
        if str(number) not in key["versions"]:
            raise not_found()
        meta = self.version_meta(key, number)
        version = key["versions"][str(number)]
        if self.is_deleted(version):
            # A deleted or destroyed version: 404 with the normal envelope, data.data null.
            return Result(data={"data": None, "metadata": meta}, status=404)
        return Result(data={"data": version["data"], "metadata": meta})

    def write_data(self, req, mount, path):
        data = req.body.get("data")
        if data is None:
            raise bad_request("no data provided")
        if not isinstance(data, dict):
            raise bad_request('error converting input for field "data": expected a map')
        key = mount["keys"].get(path)
        self.check_cas(req, mount, key)
        key, number = self.add_version(mount, path, data)
        self.double.store.save()
        return Result(data=self.version_meta(key, number))

    def patch_data(self, req, mount, path):
        data = req.body.get("data")
        if data is None:
            raise bad_request("no data provided")
        if not isinstance(data, dict):
            raise bad_request('error converting input for field "data": expected a map')
        key = mount["keys"].get(path)
        if key is None or not key["current_version"]:
            raise not_found()
        current = key["versions"].get(str(key["current_version"]))
        if current is None or self.is_deleted(current):
            raise not_found()
        self.check_cas(req, mount, key)
        key, number = self.add_version(mount, path, merge_patch(current["data"], data))
        self.double.store.save()
        return Result(data=self.version_meta(key, number))

    def delete_latest(self, mount, path):
        key = mount["keys"].get(path)
        if key is not None:
            version = key["versions"].get(str(key["current_version"]))
            if version is not None and not self.is_deleted(version):
                version["deletion_time"] = Clock.now()
                key["updated_time"] = Clock.now()
                self.double.store.save()
        return None

    def change_versions(self, req, mount, path, action):
        versions = req.body.get("versions")
        if versions in (None, "", []):
            raise bad_request("no version number provided")
        try:
            numbers = [int(v) for v in (versions if isinstance(versions, list) else str(versions).split(","))]
        except (TypeError, ValueError):
            raise bad_request('error converting input %s for field "versions"' % json.dumps(versions))
        key = mount["keys"].get(path)
        if key is None:
            return None
        now = Clock.now()
        for number in numbers:
            version = key["versions"].get(str(number))
            if version is None or version["destroyed"]:
                continue
            if action == "delete" and not self.is_deleted(version):
                version["deletion_time"] = now
            elif action == "undelete":
                version["deletion_time"] = None
            elif action == "destroy":
                version["destroyed"], version["data"] = True, None
        key["updated_time"] = now
        self.double.store.save()
        return None

    def read_subkeys(self, req, mount, path):
        key = mount["keys"].get(path)
        number = parse_int(req.body.get("version"), "version")
        depth = parse_int(req.body.get("depth"), "depth")
        if key is None:
            raise not_found()
        number = number or key["current_version"]
        version = key["versions"].get(str(number))
        if version is None:
            raise not_found()
        meta = self.version_meta(key, number)
        if self.is_deleted(version):
            return Result(data={"subkeys": None, "metadata": meta}, status=404)
        return Result(data={"subkeys": subkeys_of(version["data"], depth), "metadata": meta})

    # -- metadata -----------------------------------------------------------------------------

    def read_metadata(self, mount, path):
        key = mount["keys"].get(path)
        if key is None:
            raise not_found()
        versions = {n: {k: v for k, v in self.version_meta(key, int(n)).items()
                        if k in ("created_time", "deletion_time", "destroyed")}
                    for n in sorted(key["versions"], key=int)}
        return Result(data={"cas_required": key["cas_required"], "created_time": rfc3339(key["created_time"]),
                            "current_version": key["current_version"], "custom_metadata": key["custom_metadata"],
                            "delete_version_after": go_duration(key["delete_version_after"]),
                            "max_versions": key["max_versions"], "oldest_version": key["oldest_version"],
                            "updated_time": rfc3339(key["updated_time"]), "versions": versions})

    def apply_metadata(self, key, body, merge):
        if "max_versions" in body:
            key["max_versions"] = parse_int(body["max_versions"], "max_versions")
            if key["max_versions"] < 0:
                raise bad_request("max_versions must be greater than or equal to 0")
        if "cas_required" in body:
            key["cas_required"] = parse_bool(body["cas_required"], "cas_required")
        if "delete_version_after" in body:
            key["delete_version_after"] = parse_duration(body["delete_version_after"], "delete_version_after")
        if "custom_metadata" in body:
            if merge:
                patched = merge_patch(key.get("custom_metadata") or {}, body["custom_metadata"] or {})
                key["custom_metadata"] = self.parse_custom_metadata(patched) or None
            else:
                key["custom_metadata"] = self.parse_custom_metadata(body["custom_metadata"])

    def write_metadata(self, req, mount, path):
        now = Clock.now()
        key = mount["keys"].get(path)
        fresh = key is None
        if fresh:
            key = {"created_time": now, "updated_time": now, "current_version": 0, "oldest_version": 0,
                   "max_versions": 0, "cas_required": False, "delete_version_after": 0, "custom_metadata": None,
                   "versions": {}}
        self.apply_metadata(key, req.body, merge=False)
        key["updated_time"] = now
        if fresh:
            mount["keys"][path] = key
        self.trim(mount, key)
        self.double.store.save()
        return None

    def patch_metadata(self, req, mount, path):
        key = mount["keys"].get(path)
        if key is None:
            raise not_found()
        self.apply_metadata(key, req.body, merge=True)
        key["updated_time"] = Clock.now()
        self.trim(mount, key)
        self.double.store.save()
        return None

    def delete_metadata(self, mount, path):
        if mount["keys"].pop(path, None) is not None:
            self.double.store.save()
        return None

    def list_keys(self, mount, path):
        prefix = path.rstrip("/") + "/" if path.strip("/") else ""
        found = set()
        for name in mount["keys"]:
            if name.startswith(prefix):
                head, slash, _ = name[len(prefix):].partition("/")
                found.add(head + slash)
        if not found:
            raise not_found()
        return Result(data={"keys": sorted(found)})

    # -- engine configuration -----------------------------------------------------------------

    @staticmethod
    def read_config(mount):
        config = mount["config"]
        return Result(data={"cas_required": config["cas_required"],
                            "delete_version_after": go_duration(config["delete_version_after"]),
                            "max_versions": config["max_versions"]})

    def write_config(self, req, mount):
        config = mount["config"]
        if "max_versions" in req.body:
            config["max_versions"] = parse_int(req.body["max_versions"], "max_versions")
        if "cas_required" in req.body:
            config["cas_required"] = parse_bool(req.body["cas_required"], "cas_required")
        if "delete_version_after" in req.body:
            config["delete_version_after"] = parse_duration(req.body["delete_version_after"], "delete_version_after")
        self.double.store.save()
        return None


# ----------------------------------------------------------------------------- Transit

_LOADED_KEYS = {}  # PEM text -> private key object (parsing RSA PEM on every call is slow)


def generate_material(key_type):
    kind, param = KEY_TYPES[key_type]
    if kind in ("aes", "chacha"):
        return b64e(os.urandom(param))
    if kind == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=param)
    elif kind == "ec":
        key = ec.generate_private_key(CURVES[param]())
    else:
        key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def split_versioned(value, what):
    """'vault:v3:BASE64' -> (3, 'BASE64'), with Vault's error texts for what ('ciphertext'|'signature')."""
    if not isinstance(value, str) or not value.startswith("vault:v"):
        raise bad_request("invalid %s: no prefix" % what)
    parts = value[len("vault:v"):].split(":", 1)
    if len(parts) != 2:
        raise bad_request("invalid %s: wrong number of fields" % what)
    try:
        version = int(parts[0])
    except ValueError:
        raise bad_request("invalid %s: version number could not be decoded" % what)
    return max(version, 1), parts[1]


class TransitKey:
    """One named Transit key (all its versions) and the cryptography it performs."""

    def __init__(self, name, rec):
        self.name, self.rec = name, rec
        self.kind, self.param = KEY_TYPES[rec["type"]]

    @classmethod
    def create(cls, name, key_type, exportable=False, allow_plaintext_backup=False):
        rec = {"type": key_type, "exportable": bool(exportable), "allow_plaintext_backup": bool(allow_plaintext_backup),
               "deletion_allowed": False, "min_decryption_version": 1, "min_encryption_version": 0,
               "latest_version": 0, "auto_rotate_period": 0, "versions": {}}
        key = cls(name, rec)
        key.rotate()
        return key

    def rotate(self):
        number = self.rec["latest_version"] + 1
        self.rec["versions"][str(number)] = {"created": Clock.now(), "material": generate_material(self.rec["type"]),
                                             "hmac": b64e(os.urandom(32))}
        self.rec["latest_version"] = number

    @property
    def supports_encryption(self):
        return self.kind in ("aes", "chacha", "rsa")

    @property
    def supports_signing(self):
        return self.kind in ("rsa", "ec", "ed25519")

    def material(self, number):
        return self.rec["versions"][str(number)]["material"]

    def private(self, number):
        pem = self.material(number)
        if pem not in _LOADED_KEYS:
            _LOADED_KEYS[pem] = serialization.load_pem_private_key(pem.encode(), password=None)
        return _LOADED_KEYS[pem]

    def public_key_text(self, number):
        public = self.private(number).public_key()
        if self.kind == "ed25519":  # Vault gives ed25519 public keys as base64 of the 32 raw bytes
            return b64e(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        return public.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def key_name(self):
        return {"rsa": "rsa-%s" % self.param, "ec": self.param, "ed25519": "ed25519"}.get(self.kind, "")

    def info(self):
        keys = {}
        for number, version in sorted(self.rec["versions"].items(), key=lambda kv: int(kv[0])):
            if self.supports_signing:
                keys[number] = {"certificate_chain": "", "creation_time": rfc3339(version["created"]),
                                "name": self.key_name(), "public_key": self.public_key_text(int(number))}
            else:
                keys[number] = int(version["created"])
        rec = self.rec
        return {"allow_plaintext_backup": rec["allow_plaintext_backup"], "auto_rotate_period": rec["auto_rotate_period"],
                "deletion_allowed": rec["deletion_allowed"], "derived": False, "exportable": rec["exportable"],
                "imported_key": False, "keys": keys, "latest_version": rec["latest_version"],
                "min_available_version": 0, "min_decryption_version": rec["min_decryption_version"],
                "min_encryption_version": rec["min_encryption_version"], "name": self.name,
                "supports_decryption": self.supports_encryption, "supports_derivation": self.kind in ("aes", "chacha",
                                                                                                     "ed25519"),
                "supports_encryption": self.supports_encryption, "supports_signing": self.supports_signing,
                "type": rec["type"]}

    def use_version(self, requested, what):
        """The version to encrypt or sign with (0 = latest), checked as Vault's keysutil does."""
        latest, minimum = self.rec["latest_version"], self.rec["min_encryption_version"]
        if requested == 0:
            return latest
        if requested < 0:
            raise bad_request("requested version for %s is negative" % what)
        if requested > latest:
            raise bad_request("requested version for %s is higher than the latest key version" % what)
        if minimum > 0 and requested < minimum:
            raise bad_request("requested version for %s is less than the minimum encryption key version" % what)
        return requested

    def check_readable(self, number, what):
        if number > self.rec["latest_version"]:
            raise bad_request("invalid %s: version is too new" % what)
        if self.rec["min_decryption_version"] > 0 and number < self.rec["min_decryption_version"]:
            raise bad_request(TOO_OLD)

    # -- encryption ---------------------------------------------------------------------------

    def encrypt(self, plaintext, key_version=0, aad=None):
        if not self.supports_encryption:
            raise bad_request("message encryption not supported for key type %s" % self.rec["type"])
        number = self.use_version(key_version, "encryption")
        if self.kind == "rsa":
            blob = self.private(number).public_key().encrypt(
                plaintext, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
        else:
            cipher = (AESGCM if self.kind == "aes" else ChaCha20Poly1305)(base64.b64decode(self.material(number)))
            nonce = os.urandom(12)
            blob = nonce + cipher.encrypt(nonce, plaintext, aad)
        return "vault:v%d:%s" % (number, b64e(blob)), number

    def decrypt(self, ciphertext, aad=None):
        if not self.supports_encryption:
            raise bad_request("message decryption not supported for key type %s" % self.rec["type"])
        number, encoded = split_versioned(ciphertext, "ciphertext")
        self.check_readable(number, "ciphertext")
        blob = b64d(encoded, "invalid ciphertext: could not decode base64")
        try:
            if self.kind == "rsa":
                return self.private(number).decrypt(
                    blob, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
            cipher = (AESGCM if self.kind == "aes" else ChaCha20Poly1305)(base64.b64decode(self.material(number)))
            if len(blob) < 12 + 16:
                raise bad_request("invalid ciphertext length")
            return cipher.decrypt(blob[:12], blob[12:], aad)
        except InvalidTag:
            raise bad_request("cipher: message authentication failed")
        except ValueError:
            raise bad_request("failed to RSA decrypt the ciphertext: crypto/rsa: decryption error")

    # -- signatures ---------------------------------------------------------------------------

    def rsa_padding(self, sig_alg, hash_cls, salt_length, verifying):
        if sig_alg == "pkcs1v15":
            return padding.PKCS1v15()
        if sig_alg != "pss":
            raise bad_request("unsupported rsa signature algorithm %s" % sig_alg)
        # Go's rsa.PSSSaltLengthAuto: the largest salt when signing, detected when verifying.
        if salt_length in ("", None, "auto"):
            salt = padding.PSS.AUTO if verifying else padding.PSS.MAX_LENGTH
        elif salt_length == "hash":
            salt = padding.PSS.DIGEST_LENGTH
        else:
            salt = parse_int(salt_length, "salt_length")
        return padding.PSS(mgf=padding.MGF1(hash_cls()), salt_length=salt)

    def sign(self, data, key_version, hash_name, prehashed, sig_alg, marshaling, salt_length):
        if not self.supports_signing:
            raise bad_request("key type %s does not support signing" % self.rec["type"])
        number = self.use_version(key_version, "signing")
        key, hash_cls = self.private(number), HASHES[hash_name]
        try:
            if self.kind == "ed25519":
                raw = key.sign(data)
            else:
                digest = data if prehashed else hash_bytes(hash_cls, data)
                if self.kind == "ec":
                    raw = key.sign(digest, ec.ECDSA(Prehashed(hash_cls())))
                    if marshaling == "jws":
                        size = (key.curve.key_size + 7) // 8
                        r, s = decode_dss_signature(raw)
                        raw = r.to_bytes(size, "big") + s.to_bytes(size, "big")
                else:
                    raw = key.sign(digest, self.rsa_padding(sig_alg, hash_cls, salt_length, False), Prehashed(hash_cls()))
        except ValueError as exc:
            raise bad_request("failed to sign the input: %s" % exc)
        encoded = base64.urlsafe_b64encode(raw).decode().rstrip("=") if marshaling == "jws" else b64e(raw)
        return "vault:v%d:%s" % (number, encoded), number

    def verify(self, data, signature, hash_name, prehashed, sig_alg, marshaling, salt_length):
        if not self.supports_signing:
            raise bad_request("key type %s does not support verification" % self.rec["type"])
        number, encoded = split_versioned(signature, "signature")
        self.check_readable(number, "signature")
        try:
            raw = b64url_decode(encoded) if marshaling == "jws" else base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise bad_request("invalid base64 signature value")
        public, hash_cls = self.private(number).public_key(), HASHES[hash_name]
        try:
            if self.kind == "ed25519":
                public.verify(raw, data)
                return True
            digest = data if prehashed else hash_bytes(hash_cls, data)
            if self.kind == "ec":
                if marshaling == "jws":
                    half = len(raw) // 2
                    raw = encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))
                public.verify(raw, digest, ec.ECDSA(Prehashed(hash_cls())))
            else:
                public.verify(raw, digest, self.rsa_padding(sig_alg, hash_cls, salt_length, True), Prehashed(hash_cls()))
            return True
        except (InvalidSignature, ValueError):
            return False

    # -- export -------------------------------------------------------------------------------

    def export(self, export_type, version_spec):
        if not self.rec["exportable"] and export_type != "public-key":
            raise bad_request("private key material is not exportable")
        if export_type == "encryption-key" and not self.supports_encryption:
            raise bad_request("encryption not supported for the key")
        if export_type in ("signing-key", "public-key") and not self.supports_signing:
            raise bad_request("%s not supported for the key" % ("signing" if export_type == "signing-key"
                                                                  else "public key export"))
        if version_spec in ("", None):
            numbers = sorted(int(n) for n in self.rec["versions"])
        else:
            number = self.rec["latest_version"] if version_spec == "latest" else parse_int(version_spec, "version")
            if str(number) not in self.rec["versions"]:
                raise bad_request("version does not exist or cannot be found")
            numbers = [number]
        return {"name": self.name, "type": self.rec["type"],
                "keys": {str(n): self.export_one(export_type, n) for n in numbers}}

    def export_one(self, export_type, number):
        if export_type == "hmac-key":
            return self.rec["versions"][str(number)]["hmac"]
        if export_type == "public-key":
            return self.public_key_text(number)
        if self.kind in ("aes", "chacha"):
            return self.material(number)
        key = self.private(number)
        if self.kind == "ed25519":  # Go's ed25519.PrivateKey: seed || public key, base64
            seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                     serialization.NoEncryption())
            return b64e(seed + key.public_key().public_bytes(serialization.Encoding.Raw,
                                                             serialization.PublicFormat.Raw))
        fmt = serialization.PrivateFormat.TraditionalOpenSSL  # "RSA PRIVATE KEY" / "EC PRIVATE KEY"
        return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def hash_bytes(hash_cls, data):
    digest = hashes.Hash(hash_cls())
    digest.update(data)
    return digest.finalize()


def run_batch(req, items, one):
    """Vault's batch_input: per-item results; any failing item makes the answer 400 (or
    partial_failure_response_code when some succeeded), the body still carrying batch_results."""
    if not isinstance(items, list) or not items:
        raise bad_request("missing batch input to process")
    results, failed = [], 0
    for item in items:
        try:
            if not isinstance(item, dict):
                raise bad_request("batch items must be objects")
            results.append(one(item))
        except VaultError as err:
            failed += 1
            results.append({"error": err.errors[0] if err.errors else "error"})
    status = 200
    if failed:
        status = 400
        partial = req.body.get("partial_failure_response_code")
        if partial and failed < len(items):
            status = parse_int(partial, "partial_failure_response_code")
    return Result(data={"batch_results": results}, status=status)


class TransitEngine:
    """Transit: named keys with versions; encrypt/decrypt/rewrap/datakey; sign/verify; export."""
    kind = "transit"

    def __init__(self, double):
        self.double = double

    def route(self, req, ns, mount_name, mount, rest):
        segs = rest.split("/") if rest else []
        op = segs[0] if segs else ""
        family = "%s/%s" % (mount_name, op)
        keys = mount["keys"]

        def route_for(table):
            return pick_op(req, table, family, mount_type="transit")

        def exists(name):
            return lambda: name in keys
        if op == "keys" and len(segs) == 1:
            return route_for({"list": (lambda r: self.list_keys(mount), "list")})
        if op == "keys" and len(segs) == 2:
            name = segs[1]
            return route_for({"read": (lambda r: self.read_key(mount, name), "read"),
                              "write": (lambda r: self.create_key(r, mount, name), "write", exists(name)),
                              "delete": (lambda r: self.delete_key(mount, name), "delete")})
        if op == "keys" and len(segs) == 3 and segs[2] in ("rotate", "config"):
            name, action = segs[1], segs[2]
            handler = (lambda r: self.rotate_key(mount, name)) if action == "rotate" else \
                (lambda r: self.configure_key(r, mount, name))
            return route_for({"write": (handler, "update")})
        if op == "export" and len(segs) in (3, 4):
            version = segs[3] if len(segs) == 4 else None
            return route_for({"read": (lambda r: self.export_key(mount, segs[2], segs[1], version), "read")})
        if op == "encrypt" and len(segs) == 2:
            return route_for({"write": (lambda r: self.encrypt(r, mount, segs[1]), "write", exists(segs[1]))})
        if op in ("decrypt", "rewrap") and len(segs) == 2:
            handler = self.decrypt if op == "decrypt" else self.rewrap
            return route_for({"write": (lambda r: handler(r, mount, segs[1]), "update")})
        if op == "datakey" and len(segs) == 3:
            return route_for({"write": (lambda r: self.datakey(r, mount, segs[1], segs[2]), "update")})
        if op in ("sign", "verify") and len(segs) in (2, 3):
            url_hash = segs[2] if len(segs) == 3 else ""
            handler = self.sign if op == "sign" else self.verify
            return route_for({"write": (lambda r: handler(r, mount, segs[1], url_hash), "update")})
        raise no_route(req.path)

    def key(self, mount, name, missing_message=None):
        rec = mount["keys"].get(name)
        if rec is None:
            if missing_message is None:
                raise not_found()
            raise bad_request(missing_message)
        return TransitKey(name, rec)

    # -- key management -----------------------------------------------------------------------

    def list_keys(self, mount):
        if not mount["keys"]:
            raise not_found()
        return Result(data={"keys": sorted(mount["keys"])})

    def read_key(self, mount, name):
        return Result(data=self.key(mount, name).info())

    def create_key(self, req, mount, name):
        body = req.body
        key_type = body.get("type") or "aes256-gcm96"
        if key_type not in KEY_TYPES:
            raise bad_request("unknown key type %s" % key_type)
        if parse_bool(body.get("derived"), "derived") or parse_bool(body.get("convergent_encryption"),
                                                                     "convergent_encryption"):
            raise bad_request("derived and convergent keys are not modelled by the test double")
        if name in mount["keys"]:
            key = TransitKey(name, mount["keys"][name])
            return Result(data=key.info(), warnings=["key %s already existed" % name])
        key = TransitKey.create(name, key_type, parse_bool(body.get("exportable"), "exportable"),
                                parse_bool(body.get("allow_plaintext_backup"), "allow_plaintext_backup"))
        key.rec["auto_rotate_period"] = parse_duration(body.get("auto_rotate_period"), "auto_rotate_period")
        mount["keys"][name] = key.rec
        self.double.store.save()
        return Result(data=key.info())

    def delete_key(self, mount, name):
        rec = mount["keys"].get(name)
        if rec is None:
            raise bad_request("could not delete key; not found")
        if not rec["deletion_allowed"]:
            raise bad_request("deletion is not allowed for this key")
        del mount["keys"][name]
        self.double.store.save()
        return None

    def rotate_key(self, mount, name):
        key = self.key(mount, name, "key not found")
        key.rotate()
        self.double.store.save()
        return Result(data=key.info())

    def configure_key(self, req, mount, name):
        key = self.key(mount, name, "no existing key named %s could be found" % name)
        rec, body = key.rec, req.body
        if "min_decryption_version" in body:
            value = parse_int(body["min_decryption_version"], "min_decryption_version")
            if value > rec["latest_version"]:
                raise bad_request("cannot set min decryption version of %d, latest key version is %d"
                                  % (value, rec["latest_version"]))
            rec["min_decryption_version"] = max(value, 1)
        if "min_encryption_version" in body:
            value = parse_int(body["min_encryption_version"], "min_encryption_version")
            if value > rec["latest_version"]:
                raise bad_request("cannot set min encryption version of %d, latest key version is %d"
                                  % (value, rec["latest_version"]))
            rec["min_encryption_version"] = value
        if "deletion_allowed" in body:
            rec["deletion_allowed"] = parse_bool(body["deletion_allowed"], "deletion_allowed")
        if "exportable" in body:
            exportable = parse_bool(body["exportable"], "exportable")
            if rec["exportable"] and not exportable:
                raise bad_request("exportability cannot be disabled after enabling")
            rec["exportable"] = exportable
        if "allow_plaintext_backup" in body:
            rec["allow_plaintext_backup"] = parse_bool(body["allow_plaintext_backup"], "allow_plaintext_backup")
        if "auto_rotate_period" in body:
            rec["auto_rotate_period"] = parse_duration(body["auto_rotate_period"], "auto_rotate_period")
        self.double.store.save()
        return Result(data=key.info())

    def export_key(self, mount, name, export_type, version):
        if export_type not in ("encryption-key", "signing-key", "hmac-key", "public-key"):
            raise bad_request("invalid export type: %s" % export_type)
        return Result(data=self.key(mount, name).export(export_type, version))

    # -- encryption ---------------------------------------------------------------------------

    @staticmethod
    def aad(item):
        value = item.get("associated_data")
        return b64d(value, "failed to base64-decode associated_data") if value else None

    def encrypt(self, req, mount, name):
        body = req.body
        if name not in mount["keys"]:  # upsert: the caller had "create" on this path
            key_type = body.get("type") or "aes256-gcm96"
            if key_type not in KEY_TYPES or KEY_TYPES[key_type][0] not in ("aes", "chacha", "rsa"):
                raise bad_request("unknown key type %s" % key_type)
            mount["keys"][name] = TransitKey.create(name, key_type).rec
            self.double.store.save()
        key = TransitKey(name, mount["keys"][name])
        default_version = parse_int(body.get("key_version"), "key_version")

        def one(item):
            if "plaintext" not in item:
                raise bad_request("missing plaintext to encrypt")
            plaintext = b64d(item["plaintext"], "failed to base64-decode plaintext")
            version = parse_int(item.get("key_version"), "key_version", default_version)
            ciphertext, number = key.encrypt(plaintext, version, self.aad(item))
            return {"ciphertext": ciphertext, "key_version": number}
        if "batch_input" in body:
            return run_batch(req, body["batch_input"], one)
        return Result(data=one(body))

    def decrypt(self, req, mount, name):
        key = self.key(mount, name, "encryption key not found")

        def one(item):
            if not item.get("ciphertext"):
                raise bad_request("missing ciphertext to decrypt")
            return {"plaintext": b64e(key.decrypt(item["ciphertext"], self.aad(item)))}
        if "batch_input" in req.body:
            return run_batch(req, req.body["batch_input"], one)
        return Result(data=one(req.body))

    def rewrap(self, req, mount, name):
        key = self.key(mount, name, "encryption key not found")
        default_version = parse_int(req.body.get("key_version"), "key_version")

        def one(item):
            if not item.get("ciphertext"):
                raise bad_request("missing ciphertext to decrypt")
            plaintext = key.decrypt(item["ciphertext"], self.aad(item))
            version = parse_int(item.get("key_version"), "key_version", default_version)
            ciphertext, number = key.encrypt(plaintext, version, self.aad(item))
            return {"ciphertext": ciphertext, "key_version": number}
        if "batch_input" in req.body:
            return run_batch(req, req.body["batch_input"], one)
        return Result(data=one(req.body))

    def datakey(self, req, mount, plaintext_type, name):
        if plaintext_type not in ("plaintext", "wrapped"):
            raise bad_request('invalid path variable "plaintext"')
        key = self.key(mount, name, "encryption key not found")
        bits = parse_int(req.body.get("bits"), "bits", 256)
        if bits not in (128, 256, 512):
            raise bad_request("invalid bits length")
        secret = os.urandom(bits // 8)
        ciphertext, number = key.encrypt(secret, parse_int(req.body.get("key_version"), "key_version"))
        data = {"ciphertext": ciphertext, "key_version": number}
        if plaintext_type == "plaintext":
            data["plaintext"] = b64e(secret)
        return Result(data=data)

    # -- signatures ---------------------------------------------------------------------------

    @staticmethod
    def signature_options(body, url_hash):
        hash_name = url_hash or body.get("hash_algorithm") or body.get("algorithm") or "sha2-256"
        if hash_name not in HASHES:
            raise bad_request("invalid hash algorithm %s" % hash_name)
        marshaling = body.get("marshaling_algorithm") or "asn1"
        if marshaling not in ("asn1", "jws"):
            raise bad_request('invalid marshaling type "%s"' % marshaling)
        return {"hash_name": hash_name, "prehashed": parse_bool(body.get("prehashed"), "prehashed"),
                "sig_alg": body.get("signature_algorithm") or "pss", "marshaling": marshaling,
                "salt_length": body.get("salt_length") or "auto"}

    def sign(self, req, mount, name, url_hash):
        key = self.key(mount, name, "signing key not found")
        options = self.signature_options(req.body, url_hash)
        default_version = parse_int(req.body.get("key_version"), "key_version")

        def one(item):
            data = b64d(item.get("input", ""), "unable to decode input as base64")
            signature, number = key.sign(data, default_version, **options)
            return {"signature": signature, "key_version": number}
        if "batch_input" in req.body:
            return run_batch(req, req.body["batch_input"], one)
        return Result(data=one(req.body))

    def verify(self, req, mount, name, url_hash):
        key = self.key(mount, name, "signature verification key not found")
        options = self.signature_options(req.body, url_hash)

        def one(item):
            if not item.get("signature"):
                raise bad_request("missing signature")
            data = b64d(item.get("input", ""), "unable to decode input as base64")
            return {"valid": key.verify(data, item["signature"], **options)}
        if "batch_input" in req.body:
            return run_batch(req, req.body["batch_input"], one)
        return Result(data=one(req.body))


# ----------------------------------------------------------------------------- auth: tokens

class TokenAuth:
    """auth/token/*: lookup-self, renew-self, revoke-self, create, lookup."""
    kind = "token"

    def __init__(self, double):
        self.double = double

    def route(self, req, rest):
        family = "auth/token/" + rest.split("/")[0]
        tokens = self.double.tokens

        def route_for(table):
            return pick_op(req, table, family, mount_type="token")
        if rest == "lookup-self":
            return route_for({"read": (lambda r: Result(data=tokens.lookup_data(r.token_rec)), "read"),
                              "write": (lambda r: Result(data=tokens.lookup_data(r.token_rec)), "read")})
        if rest == "renew-self":
            return route_for({"write": (self.renew_self, "update")})
        if rest == "revoke-self":
            return route_for({"write": (self.revoke_self, "update")})
        if rest in ("create", "create-orphan"):
            return route_for({"write": (self.create, "update")})
        if rest == "lookup":
            return route_for({"write": (self.lookup, "update"), "read": (self.lookup, "read")})
        raise no_route(req.path)

    def renew_self(self, req):
        increment = parse_duration(req.body.get("increment"), "increment")
        auth, warnings = self.double.tokens.renew(req.token_rec, increment)
        self.double.store.save()
        return Result(auth=auth, warnings=warnings)

    def revoke_self(self, req):
        self.double.tokens.tokens.pop(req.token_rec["id"], None)
        self.double.store.save()
        return None

    def lookup(self, req):
        rec = self.double.tokens.get(req.body.get("token"))
        if rec is None or rec["namespace"] != req.namespace:
            raise bad_request("bad token")
        return Result(data=self.double.tokens.lookup_data(rec))

    def create(self, req):
        body, parent = req.body, req.token_rec
        policies = parse_list(body.get("policies")) or [p for p in parent["policies"] if p != "default"]
        if "root" not in parent["policies"]:
            extra = set(policies) - set(parent["policies"]) - {"default"}
            if extra:
                raise bad_request("child policies must be subset of parent")
        rec = self.double.tokens.mint(
            req.namespace, policies, ttl=parse_duration(body.get("ttl"), "ttl"),
            max_ttl=parse_duration(body.get("explicit_max_ttl"), "explicit_max_ttl"),
            explicit_max_ttl=parse_duration(body.get("explicit_max_ttl"), "explicit_max_ttl"),
            renewable=parse_bool(body.get("renewable", True), "renewable"),
            display_name="token" + ("-" + body["display_name"] if body.get("display_name") else ""),
            meta=body.get("meta") or None, num_uses=parse_int(body.get("num_uses"), "num_uses"),
            no_default_policy=parse_bool(body.get("no_default_policy"), "no_default_policy"),
            orphan=req.path.endswith("create-orphan") or parse_bool(body.get("no_parent"), "no_parent"))
        self.double.store.save()
        return Result(auth=self.double.tokens.auth_block(rec))


# ----------------------------------------------------------------------------- auth: methods

def role_token_settings(body, current=None):
    """The token_* fields every auth role carries (Vault's tokenutil), with the legacy names."""
    role = dict(current or {})
    if "token_policies" in body or "policies" in body:
        role["token_policies"] = parse_list(body.get("token_policies", body.get("policies")))
    for field, legacy in (("token_ttl", "ttl"), ("token_max_ttl", "max_ttl"),
                          ("token_explicit_max_ttl", None)):
        if field in body or (legacy and legacy in body):
            role[field] = parse_duration(body.get(field, body.get(legacy)), field)
    if "token_num_uses" in body:
        role["token_num_uses"] = parse_int(body["token_num_uses"], "token_num_uses")
    if "token_no_default_policy" in body:
        role["token_no_default_policy"] = parse_bool(body["token_no_default_policy"], "token_no_default_policy")
    for field, default in (("token_policies", []), ("token_ttl", 0), ("token_max_ttl", 0),
                           ("token_explicit_max_ttl", 0), ("token_num_uses", 0), ("token_no_default_policy", False)):
        role.setdefault(field, default)
    return role


def token_settings_view(role):
    return {"token_policies": role["token_policies"], "policies": role["token_policies"],
            "token_ttl": role["token_ttl"], "ttl": role["token_ttl"], "token_max_ttl": role["token_max_ttl"],
            "max_ttl": role["token_max_ttl"], "token_explicit_max_ttl": role["token_explicit_max_ttl"],
            "token_num_uses": role["token_num_uses"], "token_no_default_policy": role["token_no_default_policy"],
            "token_period": 0, "period": 0, "token_type": "default", "token_bound_cidrs": []}


class AuthMethod:
    """What AppRole, Kubernetes and JWT share: role CRUD, config, minting the login token."""
    kind = ""

    def __init__(self, double):
        self.double = double

    def route(self, req, ns, mount_name, mount, rest):
        segs = rest.split("/") if rest else []
        family = "auth/%s/%s" % (mount_name, segs[0] if segs else "")

        def route_for(table, **kw):
            return pick_op(req, table, family, mount_type=self.kind, **kw)
        if rest == "login":
            return route_for({"write": (lambda r: self.counted_login(r, ns, mount_name, mount), "update")},
                             auth="none")
        if rest == "config":
            return route_for({"read": (lambda r: Result(data=dict(mount["config"])), "read"),
                              "write": (lambda r: self.write_config(r, mount), "update")})
        if rest == "role":
            return route_for({"list": (lambda r: self.list_roles(mount), "list")})
        if len(segs) == 2 and segs[0] == "role":
            name = segs[1]
            return route_for({"read": (lambda r: self.read_role(mount, name), "read"),
                              "write": (lambda r: self.write_role(r, mount, name), "write",
                                        lambda: name in mount["roles"]),
                              "delete": (lambda r: self.delete_role(mount, name), "delete")})
        return self.extra_route(req, mount, segs, route_for)

    def extra_route(self, req, mount, segs, route_for):
        raise no_route(req.path)

    def counted_login(self, req, ns, mount_name, mount):
        result = self.login(req, ns, mount_name, mount)
        self.double.bump_login(self.kind)
        return result

    def list_roles(self, mount):
        if not mount["roles"]:
            raise not_found()
        return Result(data={"keys": sorted(mount["roles"])})

    def read_role(self, mount, name):
        role = mount["roles"].get(name)
        if role is None:
            raise not_found()
        return Result(data=self.role_view(role))

    def role_view(self, role):
        view = token_settings_view(role)
        view.update({k: v for k, v in role.items() if not k.startswith("token_") and k != "name"})
        return view

    def write_role(self, req, mount, name):
        mount["roles"][name] = self.make_role(req.body, mount["roles"].get(name), name)
        self.double.store.save()
        return None

    def delete_role(self, mount, name):
        mount["roles"].pop(name, None)
        self.double.store.save()
        return None

    def write_config(self, req, mount):
        mount["config"].update(req.body)
        self.double.store.save()
        return None

    def issue(self, req, mount_name, role, display_name, metadata, entity_seed):
        rec = self.double.tokens.mint(
            req.namespace, role["token_policies"], ttl=role["token_ttl"], max_ttl=role["token_max_ttl"],
            explicit_max_ttl=role["token_explicit_max_ttl"], num_uses=role["token_num_uses"],
            no_default_policy=role["token_no_default_policy"], path="auth/%s/login" % mount_name,
            display_name=display_name, meta=metadata, orphan=True, role_ttl=role["token_ttl"],
            entity_id=str(uuid.uuid5(uuid.NAMESPACE_URL, "%s|%s|%s" % (req.namespace, mount_name, entity_seed))))
        self.double.store.save()
        return Result(auth=self.double.tokens.auth_block(rec))


class AppRoleAuth(AuthMethod):
    kind = "approle"

    def make_role(self, body, current, name):
        role = role_token_settings(body, current)
        role.setdefault("role_id", str(uuid.uuid4()))
        if body.get("role_id"):
            role["role_id"] = str(body["role_id"])
        for field in ("secret_id_ttl",):
            if field in body:
                role[field] = parse_duration(body[field], field)
        if "secret_id_num_uses" in body:
            role["secret_id_num_uses"] = parse_int(body["secret_id_num_uses"], "secret_id_num_uses")
        if "bind_secret_id" in body:
            role["bind_secret_id"] = parse_bool(body["bind_secret_id"], "bind_secret_id")
        for field, default in (("secret_id_ttl", 0), ("secret_id_num_uses", 0), ("bind_secret_id", True)):
            role.setdefault(field, default)
        return role

    def role_view(self, role):
        view = token_settings_view(role)
        view.update({"bind_secret_id": role["bind_secret_id"], "secret_id_ttl": role["secret_id_ttl"],
                     "secret_id_num_uses": role["secret_id_num_uses"], "local_secret_ids": False,
                     "secret_id_bound_cidrs": None})
        return view

    def delete_role(self, mount, name):
        mount["roles"].pop(name, None)
        for secret_id in [s for s, e in mount["secret_ids"].items() if e["role"] == name]:
            del mount["secret_ids"][secret_id]
        self.double.store.save()
        return None

    def extra_route(self, req, mount, segs, route_for):
        if len(segs) >= 3 and segs[0] == "role":
            name, tail = segs[1], "/".join(segs[2:])
            if tail == "role-id":
                return route_for({"read": (lambda r: self.read_role_id(mount, name), "read"),
                                  "write": (lambda r: self.write_role_id(r, mount, name), "update")})
            if tail == "secret-id":
                return route_for({"write": (lambda r: self.generate_secret_id(r, mount, name), "update"),
                                  "list": (lambda r: self.list_accessors(mount, name), "list")})
            if tail in ("secret-id/lookup", "secret-id/destroy"):
                handler = self.lookup_secret_id if tail.endswith("lookup") else self.destroy_secret_id
                return route_for({"write": (lambda r: handler(r, mount, name), "update")})
        raise no_route(req.path)

    def role_or_400(self, mount, name):
        role = mount["roles"].get(name)
        if role is None:
            raise bad_request('role "%s" does not exist' % name)
        return role

    def read_role_id(self, mount, name):
        role = mount["roles"].get(name)
        if role is None:
            raise not_found()
        return Result(data={"role_id": role["role_id"]})

    def write_role_id(self, req, mount, name):
        role = self.role_or_400(mount, name)
        if not req.body.get("role_id"):
            raise bad_request("missing role_id")
        role["role_id"] = str(req.body["role_id"])
        self.double.store.save()
        return None

    def new_secret_id(self, mount, name, secret_id=None, ttl=None, num_uses=None, metadata=None):
        role = mount["roles"][name]
        ttl = role["secret_id_ttl"] if ttl is None else ttl
        num_uses = role["secret_id_num_uses"] if num_uses is None else num_uses
        now = Clock.now()
        entry = {"role": name, "accessor": str(uuid.uuid4()), "created": now, "updated": now,
                 "expire_at": now + ttl if ttl else None, "ttl": ttl, "num_uses": num_uses,
                 "uses_left": num_uses, "metadata": metadata or {}}
        secret_id = secret_id or str(uuid.uuid4())
        mount["secret_ids"][secret_id] = entry
        return secret_id, entry

    def generate_secret_id(self, req, mount, name):
        self.role_or_400(mount, name)
        metadata = req.body.get("metadata")
        if isinstance(metadata, str) and metadata:
            try:
                metadata = json.loads(metadata)
            except ValueError:
                raise bad_request("failed to parse metadata: not a JSON string")
        if metadata is not None and not isinstance(metadata, dict):
            raise bad_request("failed to parse metadata: expected a map of strings")
        ttl = parse_duration(req.body["ttl"], "ttl") if req.body.get("ttl") not in (None, "") else None
        uses = parse_int(req.body["num_uses"], "num_uses") if req.body.get("num_uses") not in (None, "") else None
        secret_id, entry = self.new_secret_id(mount, name, ttl=ttl, num_uses=uses, metadata=metadata)
        self.double.store.save()
        return Result(data={"secret_id": secret_id, "secret_id_accessor": entry["accessor"],
                            "secret_id_ttl": entry["ttl"], "secret_id_num_uses": entry["num_uses"]})

    def list_accessors(self, mount, name):
        accessors = sorted(e["accessor"] for e in mount["secret_ids"].values() if e["role"] == name)
        if not accessors:
            raise not_found()
        return Result(data={"keys": accessors})

    def live_secret_id(self, mount, secret_id):
        entry = mount["secret_ids"].get(secret_id or "")
        if entry is not None and entry["expire_at"] is not None and entry["expire_at"] <= Clock.now():
            del mount["secret_ids"][secret_id]
            self.double.store.save()
            return None
        return entry

    def lookup_secret_id(self, req, mount, name):
        entry = self.live_secret_id(mount, req.body.get("secret_id"))
        if entry is None or entry["role"] != name:
            return None  # Vault answers 204 for an unknown secret ID
        return Result(data={"cidr_list": [], "token_bound_cidrs": [], "creation_time": rfc3339(entry["created"]),
                            "expiration_time": rfc3339(entry["expire_at"]) if entry["expire_at"] else
                            "0001-01-01T00:00:00Z", "last_updated_time": rfc3339(entry["updated"]),
                            "metadata": entry["metadata"], "secret_id_accessor": entry["accessor"],
                            "secret_id_num_uses": entry["uses_left"], "secret_id_ttl": entry["ttl"]})

    def destroy_secret_id(self, req, mount, name):
        entry = mount["secret_ids"].get(req.body.get("secret_id") or "")
        if entry is not None and entry["role"] == name:
            del mount["secret_ids"][req.body["secret_id"]]
            self.double.store.save()
        return None

    def login(self, req, ns, mount_name, mount):
        role_id, secret_id = req.body.get("role_id"), req.body.get("secret_id")
        if not role_id:
            raise bad_request("missing role_id")
        name = next((n for n, r in mount["roles"].items() if r["role_id"] == str(role_id)), None)
        if name is None:
            raise bad_request("invalid role or secret ID")
        role = mount["roles"][name]
        metadata = {"role_name": name}
        if role["bind_secret_id"]:
            if not secret_id:
                raise bad_request("missing secret_id")
            entry = self.live_secret_id(mount, str(secret_id))
            if entry is None or entry["role"] != name:
                raise bad_request("invalid role or secret ID")
            if entry["num_uses"]:
                entry["uses_left"] -= 1
                if entry["uses_left"] <= 0:
                    del mount["secret_ids"][str(secret_id)]
            entry["updated"] = Clock.now()
            metadata.update(entry["metadata"])
        return self.issue(req, mount_name, role, "approle", metadata, role["role_id"])


def decode_jwt(token):
    """(header, claims, signing input, signature) of a compact JWS; 400 when it does not parse."""
    parts = str(token or "").split(".")
    if len(parts) != 3:
        raise bad_request("error validating token: token contains an invalid number of segments")
    try:
        header, claims = json.loads(b64url_decode(parts[0])), json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, binascii.Error):
        raise bad_request("error validating token: illegal base64 data or JSON in the token")
    if not isinstance(claims, dict) or not isinstance(header, dict):
        raise bad_request("error validating token: claims are not a JSON object")
    return header, claims, (parts[0] + "." + parts[1]).encode(), signature


def verify_jwt_signature(header, signing_input, signature, pem_keys):
    """Optional: check RS256/384/512, PS256, ES256/384/512 or EdDSA against configured PEM keys."""
    alg = header.get("alg", "")
    hash_cls = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}.get(alg[2:], hashes.SHA256)
    for pem in pem_keys:
        key = serialization.load_pem_public_key(pem.encode())
        try:
            if alg.startswith("RS"):
                key.verify(signature, signing_input, padding.PKCS1v15(), hash_cls())
            elif alg.startswith("PS"):
                key.verify(signature, signing_input, padding.PSS(padding.MGF1(hash_cls()), padding.PSS.AUTO), hash_cls())
            elif alg.startswith("ES"):
                half = len(signature) // 2
                der = encode_dss_signature(int.from_bytes(signature[:half], "big"),
                                           int.from_bytes(signature[half:], "big"))
                key.verify(der, signing_input, ec.ECDSA(hash_cls()))
            elif alg == "EdDSA":
                key.verify(signature, signing_input)
            else:
                continue
            return True
        except (InvalidSignature, ValueError, TypeError, AttributeError):
            continue
    return False


def check_time_claims(claims, leeway=150):
    now = Clock.now()
    if "exp" in claims and isinstance(claims["exp"], (int, float)) and claims["exp"] + leeway < now:
        raise bad_request("error validating token: token is expired (exp)")
    if "nbf" in claims and isinstance(claims["nbf"], (int, float)) and claims["nbf"] - leeway > now:
        raise bad_request("error validating token: token not valid yet (nbf)")


class KubernetesAuth(AuthMethod):
    """Kubernetes login: the JWT's sub (system:serviceaccount:<ns>:<name>) must match the role's
    bound service account names and namespaces.  No TokenReview and, unless the mount config
    lists pem_keys, no signature check."""
    kind = "kubernetes"

    def make_role(self, body, current, name):
        role = role_token_settings(body, current)
        for field in ("bound_service_account_names", "bound_service_account_namespaces"):
            if field in body:
                role[field] = parse_list(body[field])
            role.setdefault(field, [])
        if "audience" in body:
            role["audience"] = str(body["audience"])
        role.setdefault("audience", "")
        if not role["bound_service_account_names"] or not role["bound_service_account_namespaces"]:
            raise bad_request('"bound_service_account_names" and "bound_service_account_namespaces" '
                              'can not be empty')
        return role

    def login(self, req, ns, mount_name, mount):
        role_name, jwt = req.body.get("role"), req.body.get("jwt")
        if not role_name:
            raise bad_request("missing role")
        if not jwt:
            raise bad_request("missing jwt")
        role = mount["roles"].get(role_name)
        if role is None:
            raise bad_request('invalid role name "%s"' % role_name)
        header, claims, signing_input, signature = decode_jwt(jwt)
        if mount["config"].get("pem_keys") and not verify_jwt_signature(header, signing_input, signature,
                                                                        mount["config"]["pem_keys"]):
            raise permission_denied()
        check_time_claims(claims)
        match = re.fullmatch(r"system:serviceaccount:([^:]+):([^:]+)", str(claims.get("sub", "")))
        sa_namespace = claims.get("kubernetes.io/serviceaccount/namespace") or (match and match.group(1))
        sa_name = claims.get("kubernetes.io/serviceaccount/service-account.name") or (match and match.group(2))
        if not sa_name or not sa_namespace:
            raise bad_request("error validating token: the token is not a Kubernetes service account token")
        if "*" not in role["bound_service_account_names"] and sa_name not in role["bound_service_account_names"]:
            raise VaultError(403, ["service account name not authorized"])
        if "*" not in role["bound_service_account_namespaces"] and \
                sa_namespace not in role["bound_service_account_namespaces"]:
            raise VaultError(403, ["namespace not authorized"])
        if role["audience"]:
            audiences = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
            if role["audience"] not in audiences:
                raise VaultError(403, ["invalid audience (aud) claim: audience claim does not match any "
                                       "expected audience"])
        k8s = claims.get("kubernetes.io") if isinstance(claims.get("kubernetes.io"), dict) else {}
        uid = (k8s.get("serviceaccount") or {}).get("uid") or claims.get(
            "kubernetes.io/serviceaccount/service-account.uid", "")
        metadata = {"role": role_name, "service_account_name": sa_name, "service_account_namespace": sa_namespace,
                    "service_account_secret_name": claims.get("kubernetes.io/serviceaccount/secret.name", ""),
                    "service_account_uid": uid}
        return self.issue(req, mount_name, role, "%s-%s-%s" % (mount_name, sa_namespace, sa_name), metadata,
                          uid or "%s/%s" % (sa_namespace, sa_name))


class JwtAuth(AuthMethod):
    """JWT login: role's bound_subject, bound_audiences and bound_claims are checked against the
    claims.  The signature is checked only when the mount config lists jwt_validation_pubkeys."""
    kind = "jwt"

    def make_role(self, body, current, name):
        role = role_token_settings(body, current)
        for field in ("bound_audiences",):
            if field in body:
                role[field] = parse_list(body[field])
            role.setdefault(field, [])
        for field, default in (("bound_subject", ""), ("user_claim", "sub"), ("role_type", "jwt")):
            if field in body:
                role[field] = str(body[field])
            role.setdefault(field, default)
        if "bound_claims" in body:
            if not isinstance(body["bound_claims"], dict):
                raise bad_request("bound_claims must be a map")
            role["bound_claims"] = body["bound_claims"]
        role.setdefault("bound_claims", {})
        if "claim_mappings" in body:
            role["claim_mappings"] = dict(body["claim_mappings"] or {})
        role.setdefault("claim_mappings", {})
        return role

    def login(self, req, ns, mount_name, mount):
        config = mount["config"]
        role_name = req.body.get("role") or config.get("default_role")
        if not role_name:
            raise bad_request("missing role")
        role = mount["roles"].get(role_name)
        if role is None:
            raise bad_request('role "%s" could not be found' % role_name)
        if not req.body.get("jwt"):
            raise bad_request("missing token")
        header, claims, signing_input, signature = decode_jwt(req.body["jwt"])
        keys = config.get("jwt_validation_pubkeys") or []
        if keys and not verify_jwt_signature(header, signing_input, signature, keys):
            raise bad_request("error validating token: failed to verify id token signature")
        check_time_claims(claims)
        if config.get("bound_issuer") and claims.get("iss") != config["bound_issuer"]:
            raise bad_request("error validating token: invalid issuer (iss) claim")
        self.check_claims(role, claims)
        user = claims.get(role["user_claim"])
        if user in (None, ""):
            raise bad_request('claim "%s" not found in token' % role["user_claim"])
        metadata = {"role": role_name}
        for claim, meta_key in role["claim_mappings"].items():
            if claim in claims:
                metadata[meta_key] = str(claims[claim])
        return self.issue(req, mount_name, role, "%s-%s" % (mount_name, user), metadata, str(user))

    @staticmethod
    def check_claims(role, claims):
        audiences = claims.get("aud") if isinstance(claims.get("aud"), list) else \
            ([claims["aud"]] if "aud" in claims else [])
        if role["bound_audiences"]:
            if not set(audiences) & set(role["bound_audiences"]):
                raise bad_request("error validating claims: invalid audience (aud) claim: audience claim does "
                                  "not match any expected audience")
        elif audiences:
            raise bad_request("audience claim found in JWT but no audiences bound to the role")
        if role["bound_subject"] and claims.get("sub") != role["bound_subject"]:
            raise bad_request("sub claim does not match bound subject")
        for claim, wanted in role["bound_claims"].items():
            wanted = wanted if isinstance(wanted, list) else [wanted]
            have = claims.get(claim)
            have = have if isinstance(have, list) else [have]
            if not set(map(str, have)) & set(map(str, wanted)):
                raise bad_request('error validating claims: claim "%s" does not match any associated bound '
                                  'claim values' % claim)


# ----------------------------------------------------------------------------- sys

class SysBackend:
    """sys/*: health, seal-status, leader, seal, unseal, mounts, internal/ui/mounts, wrapping,
    policies, capabilities-self."""

    def __init__(self, double):
        self.double = double

    def route(self, req, rest):
        segs = rest.split("/") if rest else []
        head = segs[0] if segs else ""
        family = "sys/" + ("/".join(segs[:2]) if head in ("wrapping", "policies") else head)

        def route_for(table, **kw):
            return pick_op(req, table, family, mount_type="system", **kw)
        simple = {
            "health": ({"read": (self.health, "read")}, "none"),
            "seal-status": ({"read": (lambda r: Result(raw=self.seal_status()), "read")}, "none"),
            "leader": ({"read": (self.leader, "read")}, "none"),
            "unseal": ({"write": (self.unseal, "update")}, "none"),
            "seal": ({"write": (self.seal, "update")}, "acl"),
            "mounts": ({"read": (self.mounts, "read")}, "acl"),
            "capabilities-self": ({"write": (self.capabilities_self, "update")}, "acl"),
        }
        if rest in simple:
            table, auth = simple[rest]
            return route_for(table, auth=auth, sudo=rest == "seal")
        if head == "internal" and segs[1:3] == ["ui", "mounts"]:
            return route_for({"read": (lambda r: self.ui_mounts(r, "/".join(segs[3:])), "read")}, auth="token")
        if head == "wrapping" and len(segs) == 2 and segs[1] in ("unwrap", "lookup"):
            handler = self.unwrap if segs[1] == "unwrap" else self.wrap_lookup
            return route_for({"write": (handler, "update")}, auth="none")
        if rest == "wrapping/wrap":
            return route_for({"write": (self.wrap, "update")})
        if rest in ("policy", "policies/acl"):
            return route_for({"read": (lambda r: self.list_policies(r, rest == "policy"), "read"),
                              "list": (lambda r: self.list_policies(r, rest == "policy"), "list")})
        if (head == "policy" and len(segs) == 2) or (rest.startswith("policies/acl/") and len(segs) == 3):
            name, legacy = segs[-1], head == "policy"
            return route_for({"read": (lambda r: self.read_policy(r, name, legacy), "read"),
                              "write": (lambda r: self.write_policy(r, name), "write",
                                        lambda: name in self.double.store.namespace(req.namespace)["policies"]),
                              "delete": (lambda r: self.delete_policy(r, name), "delete")})
        raise no_route(req.path)

    # -- status ---------------------------------------------------------------------------------

    def identity(self):
        data = self.double.store.data
        return {"cluster_name": data["cluster_name"], "cluster_id": data["cluster_id"]}

    def health(self, req):
        double, query = self.double, req.query

        def code(name, default):
            return parse_int(query.get(name), name, default) if query.get(name) else default
        standby = bool(double.standby) and not double.sealed
        if double.sealed:
            status = code("sealedcode", 503)
        elif standby and not parse_bool(query.get("standbyok"), "standbyok"):
            status = code("standbycode", 429)
        else:
            status = code("activecode", 200)
        body = {"initialized": True, "sealed": double.sealed, "standby": standby, "performance_standby": False,
                "replication_performance_mode": "disabled", "replication_dr_mode": "disabled",
                "server_time_utc": int(Clock.now()), "version": VAULT_VERSION}
        if not double.sealed:
            body.update(self.identity())
        return Result(raw=body, status=status)

    def seal_status(self):
        sealed = self.double.sealed
        body = {"type": "shamir", "initialized": True, "sealed": sealed, "t": 1, "n": 1, "progress": 0,
                "nonce": "", "version": VAULT_VERSION, "build_date": BUILD_DATE, "migration": False,
                "recovery_seal": False, "storage_type": "inmem"}
        if not sealed:
            body.update(self.identity())
        return body

    def leader(self, req):
        return Result(raw={"ha_enabled": False, "is_self": not self.double.standby,
                           "active_time": "0001-01-01T00:00:00Z", "leader_address": "",
                           "leader_cluster_address": "", "performance_standby": False,
                           "performance_standby_last_remote_wal": 0})

    def seal(self, req):
        self.double.sealed = True
        return None

    def unseal(self, req):
        if parse_bool(req.body.get("reset"), "reset"):
            return Result(raw=self.seal_status())
        if not req.body.get("key"):
            raise bad_request("'key' must be specified in request body as JSON, or 'reset' set to true")
        self.double.sealed = False
        return Result(raw=self.seal_status())

    # -- mounts ---------------------------------------------------------------------------------

    @staticmethod
    def mount_entry(mount, kind):
        return {"accessor": mount.get("accessor", ""), "config": {"default_lease_ttl": 0, "force_no_cache": False,
                                                                  "max_lease_ttl": 0},
                "description": "", "external_entropy_access": False, "local": False,
                "options": {"version": "2"} if kind == "kv" else None, "plugin_version": "",
                "running_plugin_version": "v%s+builtin.vault" % VAULT_VERSION, "running_sha256": "",
                "seal_wrap": False, "type": kind, "uuid": mount.get("uuid", "")}

    def secret_mounts(self, ns):
        out = {name + "/": self.mount_entry(m, m["type"]) for name, m in ns["mounts"].items()}
        for name, kind in (("sys", "system"), ("cubbyhole", "cubbyhole"), ("identity", "identity")):
            out[name + "/"] = self.mount_entry({"accessor": "%s_%s" % (kind, ns["id"])}, kind)
        return out

    def mounts(self, req):
        return Result(data=self.secret_mounts(self.double.store.namespace(req.namespace)), top_level=True)

    def ui_mounts(self, req, path):
        ns = self.double.store.namespace(req.namespace)
        if not path:
            auth = {"%s/" % n: self.mount_entry(a, a["type"]) for n, a in ns["auth"].items()}
            auth["token/"] = self.mount_entry({"accessor": "auth_token_" + ns["id"]}, "token")
            return Result(data={"secret": self.secret_mounts(ns), "auth": auth})
        if path.startswith("auth/"):
            name = longest_mount(ns["auth"], path[5:])
            entry = ns["auth"].get(name) if name else None
            prefix = "auth/%s/" % name if name else ""
        else:
            name = longest_mount(ns["mounts"], path)
            entry = ns["mounts"].get(name) if name else None
            prefix = name + "/" if name else ""
        if entry is None:
            raise bad_request('preflight capability check returned 403, please ensure client\'s policies grant '
                              'access to path "%s/"' % path)
        return Result(data=dict(self.mount_entry(entry, entry["type"]), path=prefix))

    # -- wrapping -------------------------------------------------------------------------------

    def wrap_entry(self, req):
        """The wrapping token named in the body (third party) or sent as X-Vault-Token."""
        body_token = req.body.get("token")
        if body_token:
            caller = self.double.tokens.get(req.token)
            if caller is None or not req.namespace.startswith(caller["namespace"]):
                raise permission_denied()
            wrap_token = str(body_token)
        elif req.token:
            wrap_token = req.token
        else:
            raise permission_denied()
        wraps = self.double.store.data["wraps"]
        entry = wraps.get(wrap_token)
        if entry is not None and entry["expire_at"] <= Clock.now():
            del wraps[wrap_token]
            self.double.store.save()
            entry = None
        if entry is None or entry["namespace"] != req.namespace:
            raise bad_request("wrapping token is not valid or does not exist")
        return wrap_token, entry

    def unwrap(self, req):
        wrap_token, entry = self.wrap_entry(req)
        del self.double.store.data["wraps"][wrap_token]  # a wrapping token is single-use
        self.double.store.save()
        self.double.bump("unwraps")
        response = entry["response"]
        return Result(data=response["data"], auth=response["auth"], warnings=response["warnings"])

    def wrap_lookup(self, req):
        _, entry = self.wrap_entry(req)
        return Result(data={"creation_path": entry["creation_path"], "creation_time": rfc3339(entry["created"]),
                            "creation_ttl": entry["ttl"]})

    def wrap(self, req):
        header = req.headers.get("X-Vault-Wrap-TTL")
        if not header:
            raise bad_request("wrap ttl must be set via the X-Vault-Wrap-TTL header")
        return self.double.wrap_result(req, Result(data=dict(req.body)), parse_duration(header, "wrap_ttl"), "system")

    # -- policies -------------------------------------------------------------------------------

    def list_policies(self, req, legacy):
        names = sorted(self.double.store.namespace(req.namespace)["policies"]) + (["root"] if not req.namespace
                                                                                 else [])
        data = {"keys": sorted(names)}
        if legacy:
            data["policies"] = sorted(names)
        return Result(data=data, top_level=legacy)

    def read_policy(self, req, name, legacy):
        policy = self.double.store.namespace(req.namespace)["policies"].get(name)
        if policy is None:
            raise not_found()
        return Result(data={"name": name, ("rules" if legacy else "policy"): policy["text"]}, top_level=legacy)

    def write_policy(self, req, name):
        if name == "root":
            raise bad_request('cannot update "root" policy')
        text = req.body.get("policy", req.body.get("rules"))
        if text in (None, ""):
            raise bad_request("'policy' parameter not supplied or empty")
        self.double.set_policy(req.namespace, name, text)
        return None

    def delete_policy(self, req, name):
        if name in ("root", "default"):
            raise bad_request('cannot delete "%s" policy' % name)
        self.double.store.namespace(req.namespace)["policies"].pop(name, None)
        self.double.store.save()
        return None

    def capabilities_self(self, req):
        paths = req.body.get("paths", req.body.get("path"))
        paths = [paths] if isinstance(paths, str) else list(paths or [])
        if not paths:
            raise bad_request("paths must be supplied")
        data = {}
        for path in paths:
            data[path] = self.double.capability_list(req.token_rec, req.namespace, path.strip("/"))
        if len(paths) == 1:
            data["capabilities"] = data[paths[0]]
        return Result(data=data)


def longest_mount(mounts, path):
    for name in sorted(mounts, key=len, reverse=True):
        if path == name or path.startswith(name + "/"):
            return name
    return None


# ----------------------------------------------------------------------------- the double

class Double:
    def __init__(self, args):
        self.args = args
        self.settings = Settings(args, load_config(args))
        self.store = Store(os.path.join(args.dir, "state.json"))
        self.tokens = TokenStore(self)
        self.engines = {"kv": KVEngine(self), "transit": TransitEngine(self)}
        self.auth_methods = {"approle": AppRoleAuth(self), "kubernetes": KubernetesAuth(self), "jwt": JwtAuth(self)}
        self.token_auth = TokenAuth(self)
        self.sys = SysBackend(self)
        self.sealed, self.standby, self.refuse_renewal = False, None, False
        self.faults, self.rate_limits = [], []
        self.stats = self.fresh_stats()
        with self.store.lock:
            self.apply_config()

    @staticmethod
    def fresh_stats():
        return {"calls": {}, "logins": {"approle": 0, "kubernetes": 0, "jwt": 0}, "renewals": 0,
                "renewals_refused": 0, "wraps": 0, "unwraps": 0, "faults_served": 0, "status_403": 0,
                "status_429": 0, "status_503": 0, "statuses": {}}

    def bump(self, name, amount=1):
        with self.store.lock:
            self.stats[name] += amount

    def bump_login(self, kind):
        with self.store.lock:
            self.stats["logins"][kind] = self.stats["logins"].get(kind, 0) + 1

    # -- configuration --------------------------------------------------------------------------

    def apply_config(self):
        """Mounts and namespaces, the root token, then the config's policies, roles and tokens
        (re-applied at each start, so the config wins over what state.json holds)."""
        settings, data = self.settings, self.store.data
        self.store.ensure_namespace("", settings)
        for name in settings.namespaces:
            self.store.ensure_namespace(name, settings)
        for name in list(data["namespaces"]):
            self.store.ensure_namespace(name, settings)
        root = settings.root_token or data["root_token"] or ("hvs." + random_alnum(24))
        if data["root_token"] and data["root_token"] != root:
            data["tokens"].pop(data["root_token"], None)
        data["root_token"] = root
        if root not in data["tokens"]:
            self.tokens.mint("", ["root"], path="auth/token/root", display_name="root", token_id=root, orphan=True)
        self.apply_section("", settings.config)
        for name, section in settings.namespaces.items():
            self.apply_section(name, section)
        self.store.save()
        serving.write_atomic(os.path.join(self.args.dir, "root-token"), (root + "\n").encode(), 0o600)

    def apply_section(self, namespace, section):
        for name, spec in (section.get("policies") or {}).items():
            self.set_policy(namespace, name, spec, save=False)
        for name, spec in (section.get("approle") or {}).items():
            self.make_approle(dict(spec, name=name, namespace=namespace))
        for kind in ("kubernetes", "jwt"):
            block = section.get(kind) or {}
            mount_name = block.get("mount") or self.auth_mount_of(namespace, kind)
            if mount_name is None:
                continue
            mount = self.store.namespace(namespace)["auth"][mount_name]
            mount["config"].update(block.get("config") or {})
            for role_name, spec in (block.get("roles") or {}).items():
                mount["roles"][role_name] = self.auth_methods[kind].make_role(spec, None, role_name)
        for spec in section.get("tokens") or []:
            if spec.get("id") and spec["id"] in self.store.data["tokens"]:
                continue
            self.mint_control_token(dict(spec, namespace=namespace))

    def auth_mount_of(self, namespace, kind, wanted=None):
        ns = self.store.namespace(namespace)
        if wanted:
            mount = ns["auth"].get(wanted.strip("/"))
            if mount is None or mount["type"] != kind:
                raise ValueError("no %s auth mount named %s" % (kind, wanted))
            return wanted.strip("/")
        return next((name for name, m in sorted(ns["auth"].items()) if m["type"] == kind), None)

    def set_policy(self, namespace, name, spec, save=True):
        rules = parse_policy(spec)
        text = spec if isinstance(spec, str) else json.dumps(spec)
        self.store.namespace(namespace)["policies"][name] = {"rules": rules, "text": text}
        if save:
            self.store.save()

    def make_approle(self, spec):
        """Create or update an AppRole role and mint a secret ID (the /_double/approle control)."""
        namespace = norm_namespace(spec.get("namespace"))
        mount_name = self.auth_mount_of(namespace, "approle", spec.get("mount"))
        if mount_name is None:
            raise ValueError("no approle auth mount")
        mount = self.store.namespace(namespace)["auth"][mount_name]
        name = spec.get("name") or "signet"
        approle = self.auth_methods["approle"]
        mount["roles"][name] = approle.make_role(spec, mount["roles"].get(name), name)
        secret_id = spec.get("secret_id")
        entry = mount["secret_ids"].get(secret_id) if secret_id else None
        if entry is None or entry["role"] != name:
            secret_id, entry = approle.new_secret_id(mount, name, secret_id=secret_id)
        self.store.save()
        return {"role": name, "mount": mount_name, "namespace": namespace, "role_id": mount["roles"][name]["role_id"],
                "secret_id": secret_id, "secret_id_accessor": entry["accessor"]}

    def mint_control_token(self, spec):
        namespace = norm_namespace(spec.get("namespace"))
        if self.store.namespace(namespace) is None:
            raise ValueError("no namespace %r" % namespace)
        rec = self.tokens.mint(
            namespace, parse_list(spec.get("policies", ["default"])), ttl=parse_duration(spec.get("ttl"), "ttl"),
            max_ttl=parse_duration(spec.get("max_ttl"), "max_ttl"),
            explicit_max_ttl=parse_duration(spec.get("explicit_max_ttl"), "explicit_max_ttl"),
            renewable=parse_bool(spec.get("renewable", True), "renewable"),
            display_name=spec.get("display_name", "token"), meta=spec.get("meta"),
            num_uses=parse_int(spec.get("num_uses"), "num_uses"), token_id=spec.get("id"),
            no_default_policy=parse_bool(spec.get("no_default_policy"), "no_default_policy"))
        self.store.save()
        return rec

    # -- authorisation --------------------------------------------------------------------------

    def capabilities(self, rec, namespace, path):
        if "root" in rec["policies"]:
            return set(CAPABILITIES)
        if not namespace.startswith(rec["namespace"]):
            return set()
        ns = self.store.namespace(rec["namespace"])
        rules = [ns["policies"][p]["rules"] for p in rec["policies"] if p in ns["policies"]]
        return acl_capabilities(rules, namespace[len(rec["namespace"]):] + path)

    def capability_list(self, rec, namespace, path):
        if "root" in rec["policies"]:
            return ["root"]
        return sorted(self.capabilities(rec, namespace, path)) or ["deny"]

    def authorize(self, req, route):
        if route.auth == "none":
            return
        rec = self.tokens.get(req.token)
        if rec is None:
            raise permission_denied("invalid token") if req.token else permission_denied()
        if not req.namespace.startswith(rec["namespace"]):
            raise permission_denied()
        if route.auth == "acl":
            caps = self.capabilities(rec, req.namespace, req.path)
            if route.required_capability() not in caps or (route.sudo and "sudo" not in caps):
                raise permission_denied()
        req.token_rec = rec
        if rec["num_uses"] > 0:  # a use-limited token is revoked once its last use is spent
            rec["num_uses"] -= 1
            if rec["num_uses"] == 0:
                self.tokens.tokens.pop(rec["id"], None)
            self.store.save()

    # -- request processing ---------------------------------------------------------------------

    def resolve_namespace(self, req):
        """X-Vault-Namespace and a namespace path prefix combine; the longest known namespace wins."""
        combined = norm_namespace(req.headers.get("X-Vault-Namespace")) + req.raw_path[len("/v1/"):]
        best = ""
        for name in self.store.data["namespaces"]:
            if name and combined.startswith(name) and len(name) > len(best):
                best = name
        req.namespace, req.path = best, combined[len(best):]

    def family(self, req):
        segs = req.path.split("/")
        if segs[0] == "sys":
            return "/".join(segs[:3] if len(segs) > 2 and segs[1] in ("wrapping", "policies", "internal")
                            else segs[:2])
        if segs[0] == "auth":
            return "/".join(segs[:3])
        ns = self.store.namespace(req.namespace)
        mount = longest_mount(ns["mounts"], req.path) if ns else None
        if mount:
            rest = req.path[len(mount) + 1:]
            return "%s/%s" % (mount, rest.split("/")[0])
        return segs[0]

    def route(self, req):
        ns, path = self.store.namespace(req.namespace), req.path
        if path == "sys" or path.startswith("sys/"):
            return self.sys.route(req, path[4:])
        if path.startswith("auth/"):
            rest = path[5:]
            if rest == "token" or rest.startswith("token/"):
                return self.token_auth.route(req, rest[6:])
            mount = longest_mount(ns["auth"], rest)
            if mount:
                auth = ns["auth"][mount]
                return self.auth_methods[auth["type"]].route(req, ns, mount, auth, rest[len(mount) + 1:])
            raise no_route(path)
        mount = longest_mount(ns["mounts"], path)
        if mount:
            return self.engines[ns["mounts"][mount]["type"]].route(req, ns, mount, ns["mounts"][mount],
                                                                   path[len(mount) + 1:])
        raise no_route(path)

    def check_availability(self, req):
        answered_anyway = any(req.path == p or req.path.startswith(p + "/") for p in ALWAYS_ANSWERED)
        if self.sealed and not answered_anyway:
            raise VaultError(503, ["Vault is sealed"])
        if self.standby and not self.standby.get("forward") and not answered_anyway:
            raise VaultError(503, ["local node not active but active cluster node not found"])

    def check_rate_limit(self, req):
        target = req.namespace + req.path
        if any(req.path == p or req.path.startswith(p + "/") for p in QUOTA_EXEMPT):
            return
        for limit in self.rate_limits:
            if target.startswith(limit["path_prefix"]):
                if limit["count"] > 0:
                    limit["count"] -= 1
                    if limit["count"] == 0:
                        self.rate_limits.remove(limit)
                raise VaultError(429, ['request path "%s": rate limit quota exceeded' % target],
                                 headers=[("Retry-After", str(limit["retry_after"]))])

    def process(self, req):
        """Everything after faults: availability, quotas, parsing, routing, ACL, the handler, wrapping."""
        if self.settings.require_request_header and req.headers.get("X-Vault-Request", "").lower() != "true":
            raise VaultError(412, ["missing 'X-Vault-Request' header"])
        if req.op is None:
            raise unsupported_operation()
        self.check_availability(req)
        self.check_rate_limit(req)
        if req.http_method == "PATCH":
            content_type = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if content_type != "application/merge-patch+json":
                raise VaultError(415, ["PATCH requires Content-Type application/merge-patch+json"])
        req.parse_body()
        try:
            route = self.route(req)
        except VaultError as err:
            if err.status == 404 and err.errors:  # no handler: a token without rights sees 403 first
                rec = self.tokens.get(req.token)
                if rec is None or "root" not in rec["policies"] and \
                        {"read": "read", "list": "list", "delete": "delete", "patch": "patch"}.get(
                            req.op, "update") not in self.capabilities(rec, req.namespace, req.path):
                    raise permission_denied()
            raise
        self.authorize(req, route)
        result = route.handler(req)
        header = req.headers.get("X-Vault-Wrap-TTL")
        if header and isinstance(result, Result) and result.status == 200 and result.raw is None and \
                not req.path.startswith("sys/wrapping/") and (result.data is not None or result.auth is not None):
            result = self.wrap_result(req, result, parse_duration(header, "wrap_ttl"), route.mount_type)
        return result, route

    def wrap_result(self, req, result, ttl, mount_type):
        """Response wrapping: the answer is stored behind a single-use token; wrap_info is returned."""
        if ttl <= 0:
            raise bad_request("invalid wrap TTL")
        now = Clock.now()
        token, accessor = self.tokens.new_id(req.namespace)
        wrapped_accessor = (result.data or {}).get("secret_id_accessor") or (result.auth or {}).get("accessor", "")
        entry = {"accessor": accessor, "namespace": req.namespace, "created": now, "ttl": ttl,
                 "expire_at": now + ttl, "creation_path": req.namespace + req.path,
                 "response": {"data": result.data, "auth": result.auth, "warnings": result.warnings,
                              "mount_type": mount_type}}
        self.store.data["wraps"][token] = entry
        self.store.save()
        self.stats["wraps"] += 1
        return Result(wrap_info={"token": token, "accessor": accessor, "ttl": ttl, "creation_time": rfc3339(now),
                                 "creation_path": entry["creation_path"], "wrapped_accessor": wrapped_accessor})

    def handle_v1(self, req):
        """A /v1 request: count it, apply a queued fault, process it and build the reply."""
        with self.store.lock:
            self.resolve_namespace(req)
            label = "LIST" if req.op == "list" else req.http_method
            key = "%s %s" % (label, self.family(req))
            self.stats["calls"][key] = self.stats["calls"].get(key, 0) + 1
        fault = self.take_fault(req)
        self.fault_before(fault)
        with self.store.lock:
            result, route = self.process(req)
            reply = self.to_reply(result, route.mount_type)
        if fault is not None and fault["kind"] == "lost":
            raise DropConnection()  # the work is done (and saved); the answer never arrives
        return reply

    @staticmethod
    def to_reply(result, mount_type):
        if result is None:
            return Reply(204, b"", content_type=None)
        if result.raw is not None:
            return json_reply(result.status, result.raw)
        envelope = {"request_id": str(uuid.uuid4()), "lease_id": "", "renewable": False, "lease_duration": 0,
                    "data": result.data, "wrap_info": result.wrap_info, "warnings": result.warnings,
                    "auth": result.auth, "mount_type": mount_type}
        if result.wrap_info is not None:
            envelope["mount_type"] = ""
        if result.top_level and isinstance(result.data, dict):
            envelope = dict(result.data, **envelope)  # sys/mounts, sys/policy repeat data at the top level
        return json_reply(result.status, envelope)

    def error_reply(self, err):
        errors = err.errors
        if self.settings.error_style == "multierror" and err.go_error and errors:
            errors = ["%d error%s occurred:\n\t%s\n\n" % (len(errors), "" if len(errors) == 1 else "s",
                                                          "\n\t".join("* " + e for e in errors))]
        elif err.go_error:
            errors = errors[:1]  # plain style: just "permission denied" / "unsupported operation"
        return json_reply(err.status, {"errors": errors}, err.headers)

    # -- faults ---------------------------------------------------------------------------------

    def take_fault(self, req):
        target = req.namespace + req.path

        def matches(fault):
            prefix = fault["path_prefix"]
            return fault["method"] in ("*", req.http_method, "LIST" if req.op == "list" else None) and \
                (req.raw_path.startswith(prefix) or target.startswith(prefix.replace("/v1/", "", 1).lstrip("/")))
        with self.store.lock:
            return serving.take_fault(self.faults, matches, self.stats)

    @staticmethod
    def fault_before(fault):
        if fault is None or fault["kind"] == "lost":
            return
        if serving.transport_fault(fault):
            return
        status = fault["status"]
        defaults = {429: "rate limit quota exceeded", 500: "internal error", 502: "upstream error",
                    503: "Vault is sealed", 412: "required index state not present"}
        headers = []
        if status == 429 or "retry_after" in fault:
            headers.append(("Retry-After", str(fault.get("retry_after", 1))))
        raise VaultError(status, [fault.get("message", defaults.get(status, "injected fault"))], headers)

    # -- test controls --------------------------------------------------------------------------

    def handle_control(self, method, path, query, raw_body):
        try:
            body = json.loads(raw_body.decode("utf-8")) if raw_body.strip() else {}
        except (ValueError, UnicodeDecodeError) as exc:
            return json_reply(400, {"error": "body is not JSON: %s" % exc})
        path = path.rstrip("/")
        handler = CONTROLS.get((method, path))
        if handler is None:
            return json_reply(404, {"error": "no such control: %s %s" % (method, path)})
        try:
            with self.store.lock:
                return json_reply(200, handler(self, body, query))
        except (ValueError, TypeError, KeyError) as exc:
            return json_reply(400, {"error": str(exc)})
        except VaultError as err:
            return json_reply(400, {"error": "; ".join(err.errors)})


# ----------------------------------------------------------------------------- test controls

def control_seal(double, body, query):
    double.sealed = True
    return {"sealed": True}


def control_unseal(double, body, query):
    double.sealed = False
    return {"sealed": False}


def control_standby(double, body, query):
    double.standby = {"forward": bool(body.get("forward", False))} if body.get("on", True) else None
    return {"standby": double.standby}


def control_refuse_renewal(double, body, query):
    double.refuse_renewal = bool(body.get("on", True))
    return {"refuse_renewal": double.refuse_renewal}


def control_add_rate_limit(double, body, query):
    added = []
    for spec in body if isinstance(body, list) else [body]:
        prefix = str(spec.get("path_prefix", "")).lstrip("/")
        prefix = prefix[3:] if prefix.startswith("v1/") else prefix
        added.append({"path_prefix": prefix, "count": int(spec.get("count", 1)),
                      "retry_after": int(spec.get("retry_after", 1))})
    double.rate_limits.extend(added)
    return {"rate_limits": double.rate_limits}


def control_list_rate_limits(double, body, query):
    return {"rate_limits": double.rate_limits}


def control_clear_rate_limits(double, body, query):
    double.rate_limits.clear()
    return {"rate_limits": []}


def control_add_faults(double, body, query):
    for spec in body if isinstance(body, list) else [body]:
        if not isinstance(spec, dict) or spec.get("kind") not in FAULT_KINDS:
            raise ValueError("each fault needs kind: one of %s" % ", ".join(FAULT_KINDS))
        fault = dict(spec, method=str(spec.get("method", "*")).upper(), path_prefix=str(spec.get("path_prefix", "/")),
                     count=int(spec.get("count", 1)))
        if "seconds" in spec:
            fault["seconds"] = float(spec["seconds"])
        if fault["kind"] == "status" and (not isinstance(spec.get("status"), int) or not 400 <= spec["status"] <= 599):
            raise ValueError("a status fault needs status: 400..599")
        double.faults.append(fault)
    return {"faults": double.faults}


def control_list_faults(double, body, query):
    return {"faults": double.faults}


def control_clear_faults(double, body, query):
    double.faults.clear()
    return {"faults": []}


def control_mint_token(double, body, query):
    rec = double.mint_control_token(body)
    return {"token": rec["id"], "accessor": rec["accessor"], "policies": rec["policies"],
            "ttl": double.tokens.ttl_left(rec), "renewable": rec["renewable"], "namespace": rec["namespace"]}


def control_list_tokens(double, body, query):
    return {"tokens": [{"accessor": r["accessor"], "policies": r["policies"], "namespace": r["namespace"],
                        "path": r["path"], "ttl": double.tokens.ttl_left(r), "expired": r["expire_at"] is not None
                        and r["expire_at"] <= Clock.now()} for r in double.tokens.tokens.values()]}


def control_approle(double, body, query):
    return double.make_approle(body)


def control_roles(double, body, query):
    kind = body.get("type") or ("kubernetes" if "bound_service_account_names" in body else "jwt")
    namespace = norm_namespace(body.get("namespace"))
    mount_name = double.auth_mount_of(namespace, kind, body.get("mount"))
    if mount_name is None:
        raise ValueError("no %s auth mount" % kind)
    mount = double.store.namespace(namespace)["auth"][mount_name]
    mount["config"].update(body.get("config") or {})
    role = None
    if body.get("name"):
        spec = {k: v for k, v in body.items() if k not in ("type", "mount", "namespace", "config", "name")}
        mount["roles"][body["name"]] = double.auth_methods[kind].make_role(spec, None, body["name"])
        role = double.auth_methods[kind].role_view(mount["roles"][body["name"]])
    double.store.save()
    return {"mount": mount_name, "role": role, "config": mount["config"]}


def control_set_policies(double, body, query):
    namespace = norm_namespace(body.get("namespace"))
    if double.store.namespace(namespace) is None:
        raise ValueError("no namespace %r" % namespace)
    specs = body.get("policies") if isinstance(body.get("policies"), dict) else {body["name"]: body["policy"]}
    for name, spec in specs.items():
        double.set_policy(namespace, name, spec)
    return control_list_policies(double, body, {"namespace": namespace})


def control_list_policies(double, body, query):
    ns = double.store.namespace(norm_namespace(query.get("namespace")))
    return {"policies": {name: p["rules"] for name, p in ns["policies"].items()}}


def control_expire_tokens(double, body, query):
    """Every token with a TTL (or only the one named by token/accessor) expires now."""
    now, expired = Clock.now(), 0
    for rec in double.tokens.tokens.values():
        if body.get("token") and rec["id"] != body["token"]:
            continue
        if body.get("accessor") and rec["accessor"] != body["accessor"]:
            continue
        if rec["expire_at"] is None and not (body.get("token") or body.get("accessor")):
            continue  # the root token only when named
        rec["expire_at"], expired = now - 1, expired + 1
    double.store.save()
    return {"expired": expired}


def control_stats(double, body, query):
    return double.stats


def control_reset_stats(double, body, query):
    double.stats = double.fresh_stats()
    return double.stats


def control_kv(double, body, query):
    ns = double.store.namespace(norm_namespace(query.get("namespace")))
    if ns is None:
        raise ValueError("no such namespace")
    mount = ns["mounts"].get((query.get("mount") or "secret").strip("/"))
    if mount is None or mount["type"] != "kv":
        raise ValueError("no kv mount %r" % query.get("mount"))
    if not query.get("path"):
        return {"keys": sorted(mount["keys"])}
    return {"path": query["path"], "key": mount["keys"].get(query["path"]), "config": mount["config"]}


def control_clock(double, body, query):
    if "advance" in body:
        Clock.offset += float(body["advance"])
    if "offset" in body:
        Clock.offset = float(body["offset"])
    return {"offset": Clock.offset, "now": Clock.now(), "now_rfc3339": rfc3339(Clock.now())}


def control_namespaces(double, body, query):
    if body.get("name"):
        double.store.ensure_namespace(norm_namespace(body["name"]), double.settings)
        double.store.save()
    return {"namespaces": sorted(double.store.data["namespaces"])}


def control_jwt(double, body, query):
    """An unsigned-in-effect JWT (the double does not check signatures unless configured to)."""
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")
    now = int(Clock.now())
    claims = dict({"iat": now, "nbf": now, "exp": now + 3600}, **(body.get("claims") or {}))
    header = dict({"alg": "RS256", "typ": "JWT", "kid": "vault-double"}, **(body.get("header") or {}))
    signature = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    return {"jwt": "%s.%s.%s" % (part(header), part(claims), signature)}


CONTROLS = {
    ("POST", "/_double/seal"): control_seal,
    ("POST", "/_double/unseal"): control_unseal,
    ("POST", "/_double/standby"): control_standby,
    ("POST", "/_double/refuse-renewal"): control_refuse_renewal,
    ("POST", "/_double/rate-limit"): control_add_rate_limit,
    ("GET", "/_double/rate-limit"): control_list_rate_limits,
    ("DELETE", "/_double/rate-limit"): control_clear_rate_limits,
    ("POST", "/_double/faults"): control_add_faults,
    ("GET", "/_double/faults"): control_list_faults,
    ("DELETE", "/_double/faults"): control_clear_faults,
    ("POST", "/_double/tokens"): control_mint_token,
    ("GET", "/_double/tokens"): control_list_tokens,
    ("POST", "/_double/approle"): control_approle,
    ("POST", "/_double/roles"): control_roles,
    ("POST", "/_double/policies"): control_set_policies,
    ("GET", "/_double/policies"): control_list_policies,
    ("POST", "/_double/expire-tokens"): control_expire_tokens,
    ("GET", "/_double/stats"): control_stats,
    ("DELETE", "/_double/stats"): control_reset_stats,
    ("GET", "/_double/kv"): control_kv,
    ("POST", "/_double/clock"): control_clock,
    ("GET", "/_double/clock"): control_clock,
    ("POST", "/_double/namespaces"): control_namespaces,
    ("GET", "/_double/namespaces"): control_namespaces,
    ("POST", "/_double/jwt"): control_jwt,
}


# ----------------------------------------------------------------------------- HTTP plumbing

class Handler(serving.LoggingHandler):
    max_body = MAX_BODY
    log_name = NAME

    protocol_version = "HTTP/1.1"  # keep-alive, as Go's net/http; every answer has a length

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_LIST = do_GET

    def __getattr__(self, name):
        if name.startswith("do_"):  # any other verb: Vault answers 405
            return self.dispatch
        raise AttributeError(name)

    def send_response(self, code, message=None):
        # Go's net/http sends no Server header; keep Date only.
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def dispatch(self):
        double = self.server.double
        try:
            body = self.read_body()
        except OverflowError:
            self.close_connection = True
            return self.send(double.error_reply(VaultError(413, ["http: request body too large"])))
        except ValueError:
            self.close_connection = True
            return self.send(Reply(400, b"Bad Request", "text/plain"))
        split = urlsplit(self.path)
        try:
            if split.path.startswith("/_double/"):
                query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
                reply = double.handle_control(self.command, split.path, query, body)
            elif split.path.startswith("/v1/"):
                req = Request(self, body)
                req.raw_path = unquote(split.path)
                reply = double.handle_v1(req)
            else:
                reply = double.error_reply(not_found())
        except VaultError as err:
            reply = double.error_reply(err)
        except DropConnection as drop:
            return self.drop(drop)
        except Exception:  # a bug in the double: say so loudly rather than hang the client
            traceback.print_exc()
            self.close_connection = True
            reply = json_reply(500, {"errors": ["internal error in vault_double.py (see its log)"]})
        if split.path.startswith("/v1/"):
            with double.store.lock:
                stats = double.stats
                stats["statuses"][str(reply.status)] = stats["statuses"].get(str(reply.status), 0) + 1
                if reply.status in (403, 429, 503):
                    stats["status_%d" % reply.status] += 1
        self.send(reply)

    extra_headers = (("Cache-Control", "no-store"),)


Server = serving.QuietServer


def load_config(args):
    path = args.config or os.path.join(args.dir, "config.json")
    if not os.path.exists(path):
        if args.config:
            raise SystemExit("%s: no config file %s" % (NAME, path))
        return {}
    with open(path, "rb") as handle:
        config = json.load(handle)
    if not isinstance(config, dict):
        raise SystemExit("%s: %s must hold a JSON object" % (NAME, path))
    return config


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Loopback HashiCorp Vault HTTP API double "
                                                 "(token/AppRole/Kubernetes/JWT auth, KV v2, Transit).")
    parser.add_argument("--dir", required=True, help="state directory (state.json, port, root-token)")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (written to DIR/port)")
    parser.add_argument("--config", help="JSON config file (default DIR/config.json when present)")
    parser.add_argument("--root-token", help="the root token (default: kept from state, else generated)")
    parser.add_argument("--token-ttl", help="system default token TTL (seconds or 20m, 1h...; default 768h)")
    parser.add_argument("--token-max-ttl", help="system max token TTL (default 768h)")
    parser.add_argument("--kv-mount", action="append", help="KV v2 mount path (repeatable; default secret)")
    parser.add_argument("--transit-mount", action="append", help="Transit mount path (repeatable; default transit)")
    parser.add_argument("--namespace", action="append", help="a namespace to create, e.g. team1 (repeatable)")
    parser.add_argument("--error-style", choices=("plain", "multierror"),
                        help='"multierror": 403/405 bodies as "1 error occurred:\\n\\t* permission denied\\n\\n"')
    parser.add_argument("--require-request-header", action="store_true", default=None,
                        help="refuse requests without X-Vault-Request: true (412), as Vault Agent can")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    return serving.serve(NAME, args.dir, args.port, Server, Handler, lambda: Double(args))


if __name__ == "__main__":
    sys.exit(main())
