#!/usr/bin/env python3
"""A tiny but honest "remote certificate authority" over HTTPS, for tests.

The ca-remote example plugin talks to it; PROTOCOL.md describes the API and
the command line. It issues real certificates from a root and an issuing CA
kept in --dir, and keeps enrolments, idempotency keys and revocations in
DIR/state.json, so a restart changes nothing a client can see. A test
fixture, not a CA: keys sit unencrypted on disk, and /_test/* lets a test
inject faults and approve or deny enrolments. Python 3.8+, cryptography 38+.
"""

import argparse
import datetime
import hmac
import ipaddress
import json
import os
import re
import secrets
import signal
import socketserver
import ssl
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UTC = datetime.timezone.utc
MAX_BODY = 1024 * 1024
DISCARD_LIMIT = 16 * MAX_BODY        # oversized bodies up to this are read and dropped
PENDING_RETRY_AFTER = 2                # seconds, in both the body and the header
DEFAULT_TTL = 30 * 24 * 3600
REVOCATION_REASONS = ("unspecified", "key_compromise", "ca_compromise", "affiliation_changed", "superseded",
                      "cessation_of_operation", "certificate_hold", "privilege_withdrawn", "aa_compromise")


class ApiError(Exception):
    """An answer other than success: status, snake_case code, human message."""

    def __init__(self, status, code, message, extra=None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.extra, self.headers = extra or {}, headers or {}

    def response(self):
        body = dict(self.extra)
        body["error"] = {"code": self.code, "message": self.message}
        return self.status, body, self.headers


def log(text):
    print("remote-ca: " + text, file=sys.stderr, flush=True)


def rfc3339(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_atomic(path, data, mode=0o644):
    """Write a temporary file beside `path` and rename it over: readers (and a
    crash) see the old file or the new one, never half of one."""
    tmp = "%s.tmp-%d-%d" % (path, os.getpid(), threading.get_ident())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # the umask must not widen or narrow what we meant
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    os.replace(tmp, path)


# ---------------------------------------------------------------- PKI on disk

def not_after_of(cert):
    # not_valid_after_utc arrived in cryptography 42; 38 only has the naive one.
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else cert.not_valid_after.replace(tzinfo=UTC)


def ski_of(cert):
    return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value


def key_usage(signature=False, encipherment=False, cert_sign=False):
    return x509.KeyUsage(digital_signature=signature, content_commitment=False, key_encipherment=encipherment,
                         data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
                         crl_sign=cert_sign, encipher_only=False, decipher_only=False)


def make_cert(subject, public_key, issuer, signing_key, days, extensions):
    """A certificate valid from now for `days`; `issuer` None = self-signed."""
    now = datetime.datetime.now(UTC).replace(microsecond=0)
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer.subject if issuer else subject)
               .public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now)
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski_of(issuer)), critical=False)
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(private_key=signing_key, algorithm=hashes.SHA256())


class Pki:
    """Root CA -> issuing CA -> leaves; the root also signs the TLS certificate,
    so DIR/tls-ca.pem (a copy of the root) is all a client needs for TLS."""

    def __init__(self, directory):
        self.dir = directory
        self.root_cert, self.root_key, new_root = self._pair("root-ca", None, False, lambda key: make_cert(
            cn_name("Remote Example Root CA"), key.public_key(), None, key, 3650,
            [(x509.BasicConstraints(ca=True, path_length=None), True), (key_usage(cert_sign=True), True)]))
        self.issuing_cert, self.issuing_key, _ = self._pair("issuing-ca", self.root_cert, new_root, lambda key: make_cert(
            cn_name("Remote Example Issuing CA"), key.public_key(), self.root_cert, self.root_key, 1825,
            [(x509.BasicConstraints(ca=True, path_length=0), True), (key_usage(cert_sign=True), True)]))
        tls_sans = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.IPAddress(ipaddress.ip_address("::1")),
                    x509.DNSName("localhost")]
        self._pair("tls", self.root_cert, new_root, lambda key: make_cert(
            cn_name("localhost"), key.public_key(), self.root_cert, self.root_key, 825,
            [(x509.BasicConstraints(ca=False, path_length=None), True), (key_usage(signature=True), True),
             (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
             (x509.SubjectAlternativeName(tls_sans), False)]))
        write_atomic(self.path("tls-ca.pem"), pem(self.root_cert))
        self.tls_cert_path, self.tls_key_path = self.path("tls.pem"), self.path("tls.key")

    def path(self, name):
        return os.path.join(self.dir, name)

    def _pair(self, stem, issuer, issuer_is_new, create):
        """Load STEM.pem + STEM.key, or make both with create(new key) when a
        file is missing, the certificate ends within a day, or its issuer was
        just made anew (or is not the one on disk)."""
        cert_path, key_path = self.path(stem + ".pem"), self.path(stem + ".key")
        if os.path.exists(cert_path) and os.path.exists(key_path) and not issuer_is_new:
            with open(cert_path, "rb") as f:
                cert = x509.load_pem_x509_certificate(f.read())
            with open(key_path, "rb") as f:
                key = serialization.load_pem_private_key(f.read(), password=None)
            fresh = not_after_of(cert) > datetime.datetime.now(UTC) + datetime.timedelta(days=1)
            if fresh and (issuer is None or cert.issuer == issuer.subject):
                return cert, key, False
        key = ec.generate_private_key(ec.SECP256R1())
        cert = create(key)
        write_atomic(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()), 0o600)
        write_atomic(cert_path, pem(cert))
        return cert, key, True

    def chain_pem(self, order):
        # Real CAs hand bundles out in either order; root-first makes the
        # client prove it orders chains itself.
        certs = [self.root_cert, self.issuing_cert] if order == "root-first" else [self.issuing_cert, self.root_cert]
        return "".join(pem(c).decode() for c in certs)


def cn_name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def load_api_key(directory):
    path = os.path.join(directory, "api-key")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            key = f.read().strip()
        if not key:
            sys.exit("remote-ca: %s is empty" % path)
        return key
    key = secrets.token_urlsafe(32)
    write_atomic(path, (key + "\n").encode(), 0o600)
    return key


# ---------------------------------------------------------------- validation

def parse_approval(text):
    if text in ("auto", "manual"):
        return text
    match = re.fullmatch(r"after:(\d{1,6})", text or "")
    if not match:
        raise ValueError("approval must be auto, manual or after:N")
    return "after:%d" % int(match.group(1))


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def looks_like_dns(name):
    if "." not in name or " " in name:
        return False
    try:
        ipaddress.ip_address(name)
        return False  # "127.0.0.1" has dots but is no DNS name
    except ValueError:
        return True


def general_names(sans):
    """The SAN list for a validated `sans` object; ValueError if cryptography
    refuses a name (e.g. a non-ASCII DNS name)."""
    names = [x509.DNSName(n) for n in sans["dns"]]
    names += [x509.IPAddress(ipaddress.ip_address(n)) for n in sans["ip"]]
    names += [x509.RFC822Name(n) for n in sans["email"]]
    names += [x509.UniformResourceIdentifier(n) for n in sans["uri"]]
    return names


def csr_san(csr):
    try:
        return list(csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        return []


def validate_enrollment(body, max_ttl, allowed_domains):
    """Check a new enrolment in the documented order; returns what to store."""
    csr_text = body.get("csr")
    if not isinstance(csr_text, str):
        raise ApiError(400, "invalid_request", "csr must be a PEM string")
    try:
        csr = x509.load_pem_x509_csr(csr_text.encode("utf-8"))
        if not csr.is_signature_valid:
            raise ValueError("bad signature")
        csr.public_key()
        csr_names = csr_san(csr)
        csr_cn = [a.value for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    except Exception:  # cryptography raises several types for bad input
        raise ApiError(400, "invalid_csr", "csr is not a PEM certificate request with a valid self-signature")

    common_name = body.get("common_name")
    if common_name is None:
        common_name = csr_cn[0] if csr_cn else None
    elif not isinstance(common_name, str):
        raise ApiError(400, "invalid_request", "common_name must be a string")
    if common_name is not None and not 1 <= len(common_name) <= 64:
        raise ApiError(422, "invalid_name", "the common name must be 1 to 64 characters")

    ttl = body.get("ttl_seconds")
    if ttl is not None and (not is_int(ttl) or ttl < 0):
        raise ApiError(400, "invalid_request", "ttl_seconds must be a non-negative integer")
    if ttl is not None and ttl > max_ttl:
        raise ApiError(422, "ttl_too_long", "ttl_seconds exceeds the maximum of %d seconds" % max_ttl)
    if not ttl:
        ttl = min(DEFAULT_TTL, max_ttl)

    profile = body.get("profile")
    if profile is not None and not isinstance(profile, str):
        raise ApiError(400, "invalid_request", "profile must be a string")

    sans = body.get("sans")
    if sans is not None:
        if not isinstance(sans, dict) or set(sans) - {"dns", "ip", "email", "uri"}:
            raise ApiError(400, "invalid_request", "sans must be an object with dns, ip, email and uri lists")
        sans = {kind: sans.get(kind) or [] for kind in ("dns", "ip", "email", "uri")}
        for kind, values in sans.items():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ApiError(400, "invalid_request", "sans.%s must be a list of strings" % kind)

    # Names checked against policy are the ones that will be in the
    # certificate: sans.dns, or the CSR's DNS names when sans is absent.
    dns_names = sans["dns"] if sans is not None else [n.value for n in csr_names if isinstance(n, x509.DNSName)]
    if common_name is not None and looks_like_dns(common_name):
        dns_names = dns_names + [common_name]
    if allowed_domains is not None:
        for name in dns_names:
            plain = name.lower().rstrip(".")
            if not any(plain == d or plain.endswith("." + d) for d in allowed_domains):
                raise ApiError(422, "name_not_allowed", "%r is not in an allowed domain" % name)
    if sans is not None:
        try:
            if any(not n for n in sans["dns"] + sans["email"] + sans["uri"]):
                raise ValueError("a name is empty")
            general_names(sans)  # bad IP addresses, non-ASCII DNS names...
        except ValueError as error:
            raise ApiError(422, "invalid_name", "a subject alternative name is not acceptable: %s" % error)
    return {"common_name": common_name, "sans": sans, "ttl_seconds": ttl, "profile": profile}


def normalize_serial(text):
    """Path serial -> stored form: hex, case and colons and leading zeros ignored."""
    plain = text.replace(":", "").lower()
    if not re.fullmatch(r"[0-9a-f]{1,128}", plain):
        return None
    return plain.lstrip("0") or "0"


# ---------------------------------------------------------------- the CA

class RemoteCA:
    """All state behind one lock; every change is written to state.json before
    the answer goes out, so what a client was told survives a restart."""

    def __init__(self, pki, api_key, state_path, approval, max_ttl, allowed_domains, chain_order):
        self.pki, self.state_path = pki, state_path
        self.api_key = api_key.encode("utf-8")
        self.approval, self.max_ttl = approval, max_ttl
        self.allowed_domains, self.chain_order = allowed_domains, chain_order
        self.lock = threading.Lock()
        self.faults = None          # test control; in memory only
        self.requests = 0           # since this process started
        self.enrollments, self.idempotency, self.revocations = {}, {}, {}
        self.counters = {"issued": 0, "revocations": 0}
        if os.path.exists(state_path):
            with open(state_path, encoding="utf-8") as f:
                state = json.load(f)
            self.enrollments = state["enrollments"]
            self.idempotency = state["idempotency_keys"]
            self.revocations = state["revocations"]
            self.counters.update(state["counters"])
        self.serials = {e["serial"]: e["id"] for e in self.enrollments.values() if e.get("serial")}

    def save(self):  # lock held
        state = {"version": 1, "enrollments": self.enrollments, "idempotency_keys": self.idempotency,
                 "revocations": self.revocations, "counters": self.counters}
        write_atomic(self.state_path, json.dumps(state, indent=1, sort_keys=True).encode(), 0o600)

    def authorized(self, header):
        scheme, _, token = (header or "").strip().partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode("utf-8"), self.api_key)

    def count_request(self, path):
        # Counts what the client under test sends, not the test's own controls.
        if not path.startswith("/_test/"):
            with self.lock:
                self.requests += 1

    def take_fault(self, path):
        if path.startswith("/_test/"):
            return None
        with self.lock:
            fault = self.faults
            if not fault or not path.startswith(fault["path_prefix"]):
                return None
            fault["count"] -= 1
            if fault["count"] <= 0:
                self.faults = None
        code = {429: "rate_limited", 503: "unavailable"}.get(fault["status"], "injected_fault")
        headers = {} if fault["retry_after"] is None else {"Retry-After": str(fault["retry_after"])}
        return ApiError(fault["status"], code, "injected fault (test control)", headers=headers).response()

    # --- enrolments -----------------------------------------------------

    def _issue(self, enrollment):  # lock held
        csr = x509.load_pem_x509_csr(enrollment["csr"].encode("utf-8"))
        public_key = csr.public_key()
        now = datetime.datetime.now(UTC).replace(microsecond=0)
        # Never past the issuing CA's own end, as a real CA would not either.
        not_after = min(now + datetime.timedelta(seconds=enrollment["ttl_seconds"]),
                        not_after_of(self.pki.issuing_cert))
        serial = x509.random_serial_number()
        while format(serial, "x") in self.serials:
            serial = x509.random_serial_number()
        cn = enrollment["common_name"]
        sans = general_names(enrollment["sans"]) if enrollment["sans"] is not None else csr_san(csr)
        builder = (x509.CertificateBuilder()
                   .subject_name(cn_name(cn) if cn else x509.Name([]))
                   .issuer_name(self.pki.issuing_cert.subject)
                   .public_key(public_key)
                   .serial_number(serial)
                   .not_valid_before(now)
                   .not_valid_after(not_after)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(key_usage(signature=True, encipherment=isinstance(public_key, rsa.RSAPublicKey)),
                                  critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                         ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                       ski_of(self.pki.issuing_cert)), critical=False)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))
        if sans:
            # RFC 5280 §4.2.1.6: critical when the subject is empty.
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=not cn)
        cert = builder.sign(private_key=self.pki.issuing_key, algorithm=hashes.SHA256())
        enrollment.update(status="issued", serial=format(serial, "x"), certificate=pem(cert).decode(),
                          issued_at=rfc3339(now))
        self.serials[enrollment["serial"]] = enrollment["id"]
        self.counters["issued"] += 1

    def _poll(self, enrollment):  # lock held; True if something changed
        if enrollment["status"] != "pending" or not enrollment["approval"].startswith("after:"):
            return False
        if enrollment["polls_left"] > 0:
            enrollment["polls_left"] -= 1
        else:
            self._issue(enrollment)
        return True

    def _render(self, enrollment, created):  # lock held
        status = enrollment["status"]
        if status == "issued":
            return 201 if created else 200, {
                "id": enrollment["id"], "status": "issued", "serial": enrollment["serial"],
                "certificate": enrollment["certificate"], "chain": self.pki.chain_pem(self.chain_order)}, {}
        if status == "pending":
            return 202, {"id": enrollment["id"], "status": "pending", "retry_after": PENDING_RETRY_AFTER}, \
                {"Retry-After": str(PENDING_RETRY_AFTER)}
        return ApiError(403, "denied", "denied by %s" % enrollment["denied_reason"],
                        extra={"id": enrollment["id"]}).response()

    def create_enrollment(self, params, body, headers):
        key = headers.get("Idempotency-Key")
        if key is None or not 1 <= len(key) <= 200:
            raise ApiError(400, "missing_idempotency_key", "an Idempotency-Key header of 1 to 200 characters is required")
        with self.lock:
            known = self.idempotency.get(key)
            if known is not None:
                enrollment = self.enrollments[known]
                if body.get("csr") != enrollment["csr"]:
                    raise ApiError(422, "idempotency_key_reused", "this Idempotency-Key was used with another CSR")
                if self._poll(enrollment):
                    self.save()
                status, answer, extra = self._render(enrollment, created=True)
                return status, answer, dict(extra, **{"Idempotent-Replayed": "true",
                                                      "Location": "/v1/enrollments/" + known})
            fields = validate_enrollment(body, self.max_ttl, self.allowed_domains)
            enrollment_id = "enr_" + secrets.token_hex(8)
            approval = self.approval
            enrollment = dict(fields, id=enrollment_id, idempotency_key=key, csr=body["csr"], approval=approval,
                              polls_left=int(approval[6:]) if approval.startswith("after:") else 0,
                              status="pending", created_at=rfc3339(datetime.datetime.now(UTC)),
                              serial=None, certificate=None, denied_reason=None)
            self.enrollments[enrollment_id] = enrollment
            self.idempotency[key] = enrollment_id
            if approval == "auto":
                self._issue(enrollment)
            self.save()
            status, answer, extra = self._render(enrollment, created=True)
            return status, answer, dict(extra, Location="/v1/enrollments/" + enrollment_id)

    def get_enrollment(self, params, body, headers):
        with self.lock:
            enrollment = self.enrollments.get(params[0])
            if enrollment is None:
                raise ApiError(404, "unknown_enrollment", "no enrollment with this id")
            if self._poll(enrollment):
                self.save()
            return self._render(enrollment, created=False)

    # --- certificates ---------------------------------------------------

    def revoke(self, params, body, headers):
        reason = body.get("reason", "unspecified")
        if reason not in REVOCATION_REASONS:
            raise ApiError(400, "invalid_reason", "reason must be one of " + ", ".join(REVOCATION_REASONS))
        serial = normalize_serial(params[0])
        with self.lock:
            if serial is None or serial not in self.serials:
                raise ApiError(404, "unknown_serial", "no certificate with this serial was issued here")
            if serial in self.revocations:
                raise ApiError(409, "already_revoked", "the certificate is already revoked",
                               extra={"revoked_at": self.revocations[serial]["revoked_at"]})
            revoked_at = rfc3339(datetime.datetime.now(UTC))
            self.revocations[serial] = {"revoked_at": revoked_at, "reason": reason}
            self.counters["revocations"] += 1
            self.save()
        return 200, {"serial": serial, "status": "revoked", "revoked_at": revoked_at, "reason": reason}, {}

    def chain(self, params, body, headers):
        return 200, {"chain": self.pki.chain_pem(self.chain_order)}, {}

    def health(self, params, body, headers):
        return 200, {"status": "ok"}, {}

    # --- test controls --------------------------------------------------

    def set_faults(self, params, body, headers):
        status, count = body.get("status", 503), body.get("count", 1)
        retry_after, prefix = body.get("retry_after"), body.get("path_prefix", "/v1/")
        for ok, rule in ((is_int(status) and 400 <= status <= 599, "status must be an integer from 400 to 599"),
                         (is_int(count) and count >= 1, "count must be a positive integer"),
                         (retry_after is None or is_int(retry_after) and retry_after >= 0,
                          "retry_after must be a non-negative integer"),
                         (isinstance(prefix, str) and prefix.startswith("/"), "path_prefix must start with /")):
            if not ok:
                raise ApiError(400, "invalid_request", rule)
        fault = {"status": status, "count": count, "retry_after": retry_after, "path_prefix": prefix}
        with self.lock:
            self.faults = dict(fault)  # replaces any earlier one
        return 200, fault, {}

    def clear_faults(self, params, body, headers):
        with self.lock:
            self.faults = None
        return 200, {"status": "cleared"}, {}

    def decide(self, params, body, approve):
        reason = body.get("reason", "operator")
        if not isinstance(reason, str) or not reason:
            raise ApiError(400, "invalid_request", "reason must be a non-empty string")
        with self.lock:
            enrollment = self.enrollments.get(params[0])
            if enrollment is None:
                raise ApiError(404, "unknown_enrollment", "no enrollment with this id")
            wanted = "issued" if approve else "denied"
            if enrollment["status"] == "pending":
                if approve:
                    self._issue(enrollment)
                else:
                    enrollment.update(status="denied", denied_reason=reason)
                self.save()
            elif enrollment["status"] != wanted:
                raise ApiError(409, "not_pending", "the enrollment is already %s" % enrollment["status"])
            return 200, {"id": enrollment["id"], "status": enrollment["status"]}, {}

    def approve(self, params, body, headers):
        return self.decide(params, body, approve=True)

    def deny(self, params, body, headers):
        return self.decide(params, body, approve=False)

    def list_enrollments(self, params, body, headers):
        """What an approver's queue shows: every enrollment, oldest first."""
        with self.lock:
            items = [{"id": e["id"], "status": e["status"], "common_name": e.get("common_name")}
                     for e in sorted(self.enrollments.values(), key=lambda e: e["created_at"])]
        return 200, {"items": items}, {}

    def stats(self, params, body, headers):
        with self.lock:
            return 200, {"enrollments": len(self.enrollments), "issued": self.counters["issued"],
                         "revocations": self.counters["revocations"], "requests": self.requests}, {}

    def set_approval(self, params, body, headers):
        try:
            mode = parse_approval(body.get("mode"))
        except (ValueError, TypeError):
            raise ApiError(400, "invalid_request", "mode must be auto, manual or after:N")
        with self.lock:
            self.approval = mode
        return 200, {"mode": mode}, {}


# (path pattern, {method: (RemoteCA method, body: None | "optional" | "required")})
ROUTES = [
    (r"/v1/health", {"GET": ("health", None)}),
    (r"/v1/ca/chain", {"GET": ("chain", None)}),
    (r"/v1/enrollments", {"POST": ("create_enrollment", "required")}),
    (r"/v1/enrollments/([^/]+)", {"GET": ("get_enrollment", None)}),
    (r"/v1/certificates/([^/]+)/revoke", {"POST": ("revoke", "optional")}),
    (r"/_test/faults", {"POST": ("set_faults", "optional"), "DELETE": ("clear_faults", None)}),
    (r"/_test/enrollments", {"GET": ("list_enrollments", None)}),
    (r"/_test/enrollments/([^/]+)/approve", {"POST": ("approve", "optional")}),
    (r"/_test/enrollments/([^/]+)/deny", {"POST": ("deny", "optional")}),
    (r"/_test/stats", {"GET": ("stats", None)}),
    (r"/_test/approval", {"POST": ("set_approval", "required")}),
]


# ---------------------------------------------------------------- HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer has Content-Length
    server_version = "remote-ca/1.0"
    timeout = 30                   # a stalled client must not hold a thread forever

    def setup(self):
        # TLS handshake here, in the connection's own thread, so one slow
        # client cannot stall the accept loop.
        self.request.settimeout(self.timeout)
        self.request = self.server.ssl_context.wrap_socket(self.request, server_side=True)
        super().setup()

    def __getattr__(self, name):
        # Every method, known or not, goes through dispatch: wrong ones get 405.
        if name.startswith("do_"):
            return self.dispatch
        raise AttributeError(name)

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        pass  # the default line holds the request line; ours is send_json's

    def send_error(self, code, message=None, explain=None):
        # http.server's own errors (malformed request line, too-long headers)
        # in our JSON shape rather than its HTML page.
        self.close_connection = True
        names = {400: "bad_request", 408: "timeout", 414: "too_large", 431: "too_large"}
        self.send_json(*ApiError(code, names.get(code, "bad_request"), message or "bad request").response())

    def dispatch(self):
        self.body_read = False
        path = urlsplit(self.path).path
        try:
            status, body, headers = self.route(path)
        except ApiError as error:
            status, body, headers = error.response()
        except Exception as error:
            log("internal error: " + "".join(traceback.format_exception_only(type(error), error)).strip())
            status, body, headers = ApiError(500, "internal_error", "internal error").response()
        self.send_json(status, body, headers)

    def route(self, path):
        ca = self.server.ca
        ca.count_request(path)
        if not ca.authorized(self.headers.get("Authorization")):
            raise ApiError(401, "unauthorized", "a valid bearer API key is required",
                           headers={"WWW-Authenticate": "Bearer"})
        fault = ca.take_fault(path)
        if fault:
            return fault
        for pattern, methods in ROUTES:
            match = re.fullmatch(pattern, path)
            if match:
                break
        else:
            raise ApiError(404, "not_found", "no such endpoint")
        if self.command not in methods:
            raise ApiError(405, "method_not_allowed", "%s is not allowed here" % self.command,
                           headers={"Allow": ", ".join(methods)})
        name, body_rule = methods[self.command]
        body = self.read_body(body_rule) if self.command == "POST" else {}
        return getattr(ca, name)(match.groups(), body, self.headers)

    def read_body(self, rule):
        length = self.headers.get("Content-Length")
        if length is None:
            raise ApiError(411, "length_required", "a Content-Length header is required")
        if not length.strip().isdigit():
            raise ApiError(400, "invalid_request", "Content-Length is not a number")
        if int(length) > MAX_BODY:
            raise ApiError(413, "too_large", "the body is larger than %d bytes" % MAX_BODY)
        raw = self.rfile.read(int(length))
        self.body_read = True
        if not raw and rule == "optional":
            return {}
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:  # UnicodeDecodeError is a ValueError too
            raise ApiError(400, "invalid_json", "the body is not JSON")
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_json", "the body is not a JSON object")
        return body

    def discard_body(self):
        """Read a body nobody looked at: closing on unread data makes TCP reset
        the connection before the client reads our answer. Chunked or huge
        bodies close the connection instead."""
        headers = getattr(self, "headers", None)
        length = (headers.get("Content-Length") or "0").strip() if headers is not None else ""
        if not length.isdigit() or int(length) > DISCARD_LIMIT or headers.get("Transfer-Encoding") is not None:
            self.close_connection = True
            return
        left = int(length)
        while left > 0:
            chunk = self.rfile.read(min(left, 65536))
            left = left - len(chunk) if chunk else 0

    def send_json(self, status, body, headers=None):
        data = (json.dumps(body) + "\n").encode("utf-8")
        if not self.close_connection and not getattr(self, "body_read", False):
            self.discard_body()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        path = urlsplit(getattr(self, "path", "") or "").path  # never the query, headers or body
        log("%s %s %d" % (self.command or "-", path or "-", status))


class Server(ThreadingHTTPServer):
    daemon_threads = True  # open keep-alive connections must not block exit

    def server_bind(self):
        # HTTPServer.server_bind looks up the host's FQDN, which can hang
        # without DNS; nothing here needs it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        # TLS failures (a client that does not trust us) and resets: one line.
        error = sys.exc_info()[1]
        log("connection error: %s" % "".join(traceback.format_exception_only(type(error), error)).strip())


def parse_listen(text):
    host, _, port = text.rpartition(":")
    address = ipaddress.IPv4Address(host)  # a literal: nothing to resolve
    if not address.is_loopback or not port.isdigit() or int(port) > 65535:
        raise ValueError("want a 127.x.y.z address and a port")
    return str(address), int(port)


def main():
    parser = argparse.ArgumentParser(description="An example remote CA over HTTPS, for tests (see PROTOCOL.md).")
    parser.add_argument("--dir", required=True, help="where keys, certificates, the API key and state live")
    parser.add_argument("--listen", default="127.0.0.1:0", help="loopback HOST:PORT (default 127.0.0.1:0)")
    parser.add_argument("--approval", default="auto", help="auto, manual or after:N (default auto)")
    parser.add_argument("--max-ttl", default=7776000, type=int, help="longest certificate lifetime in seconds")
    parser.add_argument("--allowed-domains", default=None, help="comma-separated domains; default: any name")
    parser.add_argument("--chain-order", default="root-first", choices=("root-first", "issuing-first"))
    args = parser.parse_args()
    try:
        address, port = parse_listen(args.listen)
    except ValueError as error:
        parser.error("--listen %s: %s" % (args.listen, error))
    try:
        approval = parse_approval(args.approval)
    except ValueError as error:
        parser.error("--approval: %s" % error)
    if args.max_ttl < 1:
        parser.error("--max-ttl must be positive")
    allowed = None
    if args.allowed_domains is not None:
        allowed = [d.strip().lower().rstrip(".") for d in args.allowed_domains.split(",") if d.strip()]

    os.makedirs(args.dir, mode=0o700, exist_ok=True)
    port_path = os.path.join(args.dir, "port")
    if os.path.exists(port_path):
        os.unlink(port_path)  # a stale port file would send a waiting test to a dead server
    try:
        pki = Pki(args.dir)
        ca = RemoteCA(pki, load_api_key(args.dir), os.path.join(args.dir, "state.json"), approval,
                      args.max_ttl, allowed, args.chain_order)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(pki.tls_cert_path, pki.tls_key_path)
        server = Server((address, port), Handler)
    except (OSError, ValueError, KeyError) as error:
        sys.exit("remote-ca: cannot start: %s" % error)
    server.ca, server.ssl_context = ca, context

    port = server.server_address[1]
    write_atomic(port_path, ("%d\n" % port).encode())
    print("remote-ca: listening on https://%s:%d" % (address, port), flush=True)

    # serve_forever runs in a thread: shutdown() waits for it, so it cannot
    # be called from the thread that serves, and signals land in this one.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    serving.start()
    while not stop.wait(1.0):
        pass
    server.shutdown()
    server.server_close()
    ca.lock.acquire()  # let a state write in progress finish; start no other
    if os.path.exists(port_path):
        os.unlink(port_path)
    log("stopped")


if __name__ == "__main__":
    main()
