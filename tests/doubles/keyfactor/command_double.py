#!/usr/bin/env python3
"""command_double.py - a loopback stand-in for the Keyfactor Command REST API that Signet talks to.

One server on 127.0.0.1 (plain HTTP, or HTTPS with --tls) answers as Keyfactor Command does on
the wire, following the shared contract (external-apis.md section 3 and the Keyfactor line of
section 8), not what any one client expects:
  * common rules: the base path (default /KeyfactorAPI, matched case-insensitively as IIS does),
    x-keyfactor-requested-with (mandatory), x-keyfactor-api-version, Basic auth with
    DOMAIN\\user:password or an OAuth2 Bearer token, {"ErrorCode","Message"} error bodies;
  * POST Enrollment/CSR: a real CA of its own (root + issuing, ECDSA P-256) signs the CSR's key;
    an auto-issue template (WebServer) and one that waits for approval (WebServerApproval);
  * GET Certificates (pq.* query, paging, revoked/expired filtering), GET Certificates/{id},
    POST Certificates/Revoke, POST Certificates/Download (P7B);
  * POST /oauth2/token: an OAuth2 client-credentials token endpoint (the identity provider
    Command would be configured with), so Bearer auth can be tested without Keycloak;
  * test controls under /_double/ (no auth): approve/deny, faults, stats, the enrolment log.

Keyfactor itself is never contacted.  Python 3.11 with cryptography >= 38 (Debian's
/usr/bin/python3 works).
"""

import argparse
import base64
import binascii
import datetime
import hashlib
import ipaddress
import json
import os
import re
import secrets
import ssl
import sys
import threading
import time
import traceback
import uuid
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import serving  # noqa: E402  (tests/doubles/serving.py)

from cryptography import x509
from cryptography.exceptions import InternalError  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402
from cryptography.hazmat.primitives.serialization import pkcs7  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier  # noqa: E402

# ----------------------------------------------------------------------------- constants

NAME = "keyfactor-command-double"
CA_HOST = "ca.corp.example"
CA_LOGICAL_NAME = "CorpIssuingCA"
CA_FULL_NAME = CA_HOST + "\\" + CA_LOGICAL_NAME
# Template short name -> whether issuance waits for an approval.  Validity comes from
# --validity-days (the template's default period).
TEMPLATES = {"WebServer": {"approval": False}, "WebServerApproval": {"approval": True}}
REQUESTED_WITH = ("apiclient", "xmlhttprequest")
API_VERSIONS = ("1", "2")
# Ids start far apart so a client that confuses a certificate id with a request id fails.
FIRST_CERT_ID, FIRST_REQUEST_ID, FIRST_WORKFLOW_REF = 1001, 5001, 301
ADCS_BACKDATE = 600  # AD CS sets notBefore 10 minutes back (its default clock-skew allowance)
UPN_OID = ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
MAX_BODY = 4 * 1024 * 1024
PENDING_MESSAGE = "The certificate request is being processed by the CA, and will be available at a later time."
NO_FORMAT_MESSAGE = "You must supply a certificate format in the 'X-CertificateFormat' header of the request."
REVOCATION_REASONS = (0, 1, 2, 3, 4, 5, 6)  # RFC 5280 numbering (contract 3.3); 6 = Certificate Hold
REMOVE_FROM_HOLD = -1

# ErrorCode values.  Only those marked "contract" come from external-apis.md; the rest are
# invented (plausible 0xA011xxxx-style codes) and listed as such in README.md.
E_NO_FORMAT = "0xA0110007"          # contract 8: missing X-CertificateFormat
E_KEY_TYPE = "0xA0110004"           # contract 8: key type disallowed by policy
E_SORT_FIELD = "0xA011004A"         # contract 8: invalid sort field
E_REQUESTED_WITH = "0xA0060001"     # invented: x-keyfactor-requested-with missing or wrong
E_API_VERSION = "0xA0060002"        # invented: unsupported x-keyfactor-api-version
E_BODY = "0xA0110010"               # invented: body missing or not JSON / wrong shape
E_CSR = "0xA0110011"                # invented: CSR missing, unreadable or badly signed
E_TEMPLATE = "0xA0110012"           # invented: unknown template
E_CA = "0xA0110013"                 # invented: unknown certificate authority
E_SANS = "0xA0110014"               # invented: SANs object malformed
E_TIMESTAMP = "0xA0110015"          # invented: Timestamp missing or not ISO 8601
E_FORMAT_VALUE = "0xA0110016"       # invented: X-CertificateFormat value not supported here
E_QUERY = "0xA0110020"              # invented: pq.queryString not understood
E_PAGING = "0xA0110021"             # invented: pq.pageReturned / returnLimit / include* invalid
E_NOT_FOUND = "0xA0110030"          # invented: certificate id (or download target) unknown
E_REVOKE = "0xA0110031"             # invented: revoke body invalid (Comment, ids, reason, date)
E_FAULT = "0xA0110099"              # invented: default code of an injected fault
FAULT_BODIES = {  # plausible bodies for injected statuses (all invented wording)
    429: ("0xA0110098", "Too many requests. Please try again later."),
    500: ("0x80004005", "An unknown error has occurred."),        # E_FAIL, as Windows reports it
    502: ("0x800706BA", "The RPC server is unavailable."),        # AD CS unreachable from Command
    503: ("0x800706BA", "The RPC server is unavailable."),
}


# ----------------------------------------------------------------------------- errors and replies

class ApiError(Exception):
    """An answer with Keyfactor's error body {"ErrorCode", "Message"}; code None leaves ErrorCode
    out (ASP.NET's own 404/405/415 bodies carry Message only)."""

    def __init__(self, status, code, message, headers=()):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, list(headers)


def bad_request(code, message):
    return ApiError(400, code, message)


class Unauthorized(Exception):
    """401 with an empty body (IIS answers before Command's code runs; contract 3.4)."""


class Reply(serving.Reply):
    content_type_default = "application/json; charset=utf-8"


def json_reply(status, obj, headers=()):
    return Reply(status, json.dumps(obj).encode(), headers=headers)


def error_reply(err):
    body = {"ErrorCode": err.code, "Message": err.message} if err.code else {"Message": err.message}
    return json_reply(err.status, body, err.headers)


DropConnection = serving.DropConnection


# ----------------------------------------------------------------------------- small helpers

def iso_z(epoch):
    return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def naive_utc(epoch):
    # cryptography 38 wants naive UTC datetimes for certificate validity.
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).replace(tzinfo=None)


def parse_iso(text):
    """An ISO 8601 date-time (Z or an offset; no offset means UTC) -> epoch seconds, or None."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def windows_dn(name):
    """A DN as Windows (and so Keyfactor) prints it: most specific first, ", " between RDNs."""
    return ", ".join(rdn.rfc4514_string() for rdn in reversed(name.rdns))


def common_name(name):
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return values[0].value if values else None


def pem_of(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def der_of(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def b64(raw):
    return base64.b64encode(raw).decode()


def parse_bool_param(value, name):
    text = value.strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0", ""):
        return False
    raise bad_request(E_PAGING, "The value '%s' is not valid for %s." % (value, name))


def parse_int_param(value, name, minimum):
    try:
        number = int(value.strip())
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise bad_request(E_PAGING, "The value '%s' is not valid for %s." % (value, name))
    return number


def parse_sort_order(value):
    """pq.sortAscending is an enum in Keyfactor's API: 0 ascending, 1 descending. true/false are
    taken by their names too. -> True when descending."""
    text = value.strip().lower()
    if text in ("0", "true", ""):
        return False
    if text in ("1", "false"):
        return True
    raise bad_request(E_PAGING, "The value '%s' is not valid for pq.sortAscending." % value)


# ----------------------------------------------------------------------------- persistent state

class State:
    """Certificates, requests, tokens, the enrolment log and counters, in DIR/state.json
    (rewritten whole after every change), behind one lock."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.RLock()
        self.data = {"next_cert_id": FIRST_CERT_ID, "next_request_id": FIRST_REQUEST_ID,
                     "next_workflow_ref": FIRST_WORKFLOW_REF, "certificates": {}, "requests": {},
                     "tokens": {}, "enrollments": [], "stats": fresh_stats()}
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                self.data.update(json.load(handle))

    def save(self):
        with self.lock:
            serving.write_atomic(self.path, json.dumps(self.data, indent=1, sort_keys=True).encode(), 0o600)

    def next_id(self, counter):
        value = self.data[counter]
        self.data[counter] = value + 1
        return value


def fresh_stats():
    return {"calls": {}, "enrollments": 0, "token_grants": 0, "statuses": {}, "faults_served": 0,
            "revocations": 0, "approvals": 0, "denials": 0}


# ----------------------------------------------------------------------------- the CA

def new_ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def ca_certificate(subject, issuer, public_key, signing_key, not_after, path_length, issuer_ski=None):
    now = time.time()
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(naive_utc(now - 86400)).not_valid_after(naive_utc(not_after))
               .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
               .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                              critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))
    if issuer_ski is not None:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski),
                                        critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def write_key(path, key):
    serving.write_atomic(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()), 0o600)


def load_cert(path):
    with open(path, "rb") as handle:
        return x509.load_pem_x509_certificate(handle.read())


def load_key(path):
    with open(path, "rb") as handle:
        return serialization.load_pem_private_key(handle.read(), password=None)


class IssuingCA:
    """An AD CS-like hierarchy: CorpRootCA signs CorpIssuingCA, whose CN is the CA's logical name.
    Made at first start and kept in DIR (ca-root.pem, ca-issuing.pem and their keys)."""

    def __init__(self, directory):
        self.dir = directory
        if not all(os.path.exists(self._path(n)) for n in ("ca-root.pem", "ca-issuing.pem", "ca-issuing-key.pem")):
            self._create()
        self.root = load_cert(self._path("ca-root.pem"))
        self.issuing = load_cert(self._path("ca-issuing.pem"))
        self.key = load_key(self._path("ca-issuing-key.pem"))
        self.ski = self.issuing.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        self.issuer_dn = windows_dn(self.issuing.subject)
        # Tests trust this file; rewritten on every start (issuing CA first, then the root).
        serving.write_atomic(self._path("ca-chain.pem"), (pem_of(self.issuing) + pem_of(self.root)).encode())

    def _path(self, name):
        return os.path.join(self.dir, name)

    def _create(self):
        def name(cn):
            return x509.Name([x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "example"),
                              x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "corp"),
                              x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        now = time.time()
        root_key, issuing_key = new_ec_key(), new_ec_key()
        root_name = name("CorpRootCA")
        root = ca_certificate(root_name, root_name, root_key.public_key(), root_key, now + 20 * 365 * 86400, None)
        root_ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        issuing = ca_certificate(name(CA_LOGICAL_NAME), root_name, issuing_key.public_key(), root_key,
                                 now + 10 * 365 * 86400, 0, root_ski)
        write_key(self._path("ca-root-key.pem"), root_key)
        write_key(self._path("ca-issuing-key.pem"), issuing_key)
        serving.write_atomic(self._path("ca-root.pem"), pem_of(root).encode())
        serving.write_atomic(self._path("ca-issuing.pem"), pem_of(issuing).encode())

    def chain(self):
        """The certificates above a leaf, issuing CA first."""
        return [self.issuing, self.root]

    def sign(self, csr, san, validity_days):
        """The leaf for an approved request: the CSR's subject and key, the request's SANs,
        WebServer-template usages, a random 16-byte serial."""
        now = time.time()
        raw = bytearray(os.urandom(16))
        raw[0] = 0x10 + raw[0] % 0x70  # positive and always 32 hex digits
        builder = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(self.issuing.subject)
                   .public_key(csr.public_key()).serial_number(int.from_bytes(bytes(raw), "big"))
                   .not_valid_before(naive_utc(now - ADCS_BACKDATE))
                   .not_valid_after(naive_utc(now + validity_days * 86400))
                   .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False),
                                  critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(self.ski),
                                  critical=False))
        if san:
            # RFC 5280 4.2.1.6: critical when the subject is empty.
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=len(csr.subject) == 0)
        return builder.sign(self.key, hashes.SHA256())


def make_tls_context(directory):
    """--tls: a test TLS CA and a server certificate for 127.0.0.1/localhost, made once and kept
    in DIR (tls-ca.pem is what clients trust). Separate from the issuing CA on purpose."""
    paths = {n: os.path.join(directory, n) for n in ("tls-ca.pem", "tls-server.pem", "tls-server-key.pem")}
    if not all(os.path.exists(p) for p in paths.values()):
        now = time.time()
        ca_key, server_key = new_ec_key(), new_ec_key()
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Keyfactor Double Test TLS CA")])
        ca = ca_certificate(ca_name, ca_name, ca_key.public_key(), ca_key, now + 10 * 365 * 86400, 0)
        ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        server = (x509.CertificateBuilder()
                  .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
                  .issuer_name(ca_name).public_key(server_key.public_key())
                  .serial_number(x509.random_serial_number())
                  .not_valid_before(naive_utc(now - 86400)).not_valid_after(naive_utc(now + 2 * 365 * 86400))
                  .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                              x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                 critical=False)
                  .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                  .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                                 critical=True)
                  .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                  .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                                 critical=False)
                  .sign(ca_key, hashes.SHA256()))
        write_key(paths["tls-server-key.pem"], server_key)
        serving.write_atomic(paths["tls-server.pem"], pem_of(server).encode())
        serving.write_atomic(paths["tls-ca.pem"], pem_of(ca).encode())  # last: its presence means "complete"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(paths["tls-server.pem"], paths["tls-server-key.pem"])
    return context


# ----------------------------------------------------------------------------- enrolment input

def parse_csr(text):
    """CSR: PEM (with BEGIN/END lines, NEW or not) or the bare base64 of the DER (contract 3.2)."""
    if not isinstance(text, str) or not text.strip():
        raise bad_request(E_CSR, "A CSR is required.")
    try:
        if "-----BEGIN" in text:
            pem = text.strip().replace("NEW CERTIFICATE REQUEST", "CERTIFICATE REQUEST")
            csr = x509.load_pem_x509_csr(pem.encode())
        else:
            csr = x509.load_der_x509_csr(base64.b64decode("".join(text.split()), validate=True))
        valid = csr.is_signature_valid
        key = csr.public_key()
    except (ValueError, binascii.Error, TypeError, InternalError):  # InternalError: a mangled key
        raise bad_request(E_CSR, "The CSR could not be decoded.")
    if not valid:
        raise bad_request(E_CSR, "The CSR signature is not valid.")
    allowed = (isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048) or \
        (isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in ("secp256r1", "secp384r1", "secp521r1"))
    if not allowed:
        raise bad_request(E_KEY_TYPE, "The key type or size of the request is not allowed by the template.")
    return csr


def upn_name(value):
    # otherName UPN: [0] EXPLICIT UTF8String, DER-encoded as the value x509.OtherName expects.
    raw = value.encode()
    if len(raw) > 127:
        raise bad_request(E_SANS, "The UPN '%s' is too long." % value)
    return x509.OtherName(UPN_OID, bytes([0x0C, len(raw)]) + raw)


SAN_BUILDERS = {
    "dns": x509.DNSName,
    "ip4": lambda v: x509.IPAddress(ipaddress.IPv4Address(v)),
    "ip6": lambda v: x509.IPAddress(ipaddress.IPv6Address(v)),
    "uri": x509.UniformResourceIdentifier,
    "mail": x509.RFC822Name,
    "upn": upn_name,
}


def build_sans(sans, csr):
    """The SANs body object {"dns": [...], "ip4": [...], ...} -> GeneralNames. Without one, the
    CSR's own SAN extension is used (an assumption: AD CS can take SANs from either)."""
    if sans is None or sans == {}:
        try:
            return list(csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
        except x509.ExtensionNotFound:
            return []
    if not isinstance(sans, dict):
        raise bad_request(E_SANS, "SANs must be an object of arrays.")
    names = []
    for key, values in sans.items():
        builder = SAN_BUILDERS.get(key.lower())
        if builder is None:
            raise bad_request(E_SANS, "The SAN type '%s' is not supported." % key)
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise bad_request(E_SANS, "SANs.%s must be an array of strings." % key)
        for value in values:
            try:
                names.append(builder(value.strip()))
            except ValueError:
                raise bad_request(E_SANS, "The %s SAN '%s' is not valid." % (key, value))
    return names


# ----------------------------------------------------------------------------- certificate queries

# pq.queryString field (lower case) -> (field of the certificate view, kind)
QUERY_FIELDS = {"id": ("Id", int), "certrequestid": ("CertRequestId", int), "serialnumber": ("SerialNumber", str),
                "thumbprint": ("Thumbprint", str), "issuedcn": ("IssuedCN", str), "issueddn": ("IssuedDN", str),
                "templatename": ("TemplateName", str), "certstate": ("CertState", int),
                "issuerdn": ("IssuerDN", str)}
SORT_FIELDS = {"id": "Id", "certrequestid": "CertRequestId", "serialnumber": "SerialNumber", "issuedcn": "IssuedCN",
               "notbefore": "NotBefore", "notafter": "NotAfter", "thumbprint": "Thumbprint"}
TERM_RE = re.compile(r'\s*([A-Za-z]+)\s+(-eq|-ne)\s+("[^"]*"|\'[^\']*\'|[^\s"\']+)\s*', re.I)
AND_RE = re.compile(r"AND\s", re.I)


def parse_query(text):
    """Keyfactor's query language, the part the double knows: `Field -eq value` (or -ne) terms
    joined by AND; values quoted or not; field names case-insensitive. -> [(field, op, value)]."""
    terms, pos, text = [], 0, (text or "").strip()
    while pos < len(text):
        match = TERM_RE.match(text, pos)
        if match is None:
            raise bad_request(E_QUERY, "The query '%s' is not valid." % text)
        # Any other field is a custom metadata field, as Command lets them be searched by name.
        field = QUERY_FIELDS.get(match.group(1).lower()) or ("Metadata." + match.group(1), str)
        name, kind = field
        value = match.group(3)
        if value[:1] in ('"', "'"):
            value = value[1:-1]
        if kind is int:
            try:
                value = int(value)
            except ValueError:
                raise bad_request(E_QUERY, "The value '%s' is not valid for the field %s." % (value, name))
        terms.append((name, match.group(2).lower(), value))
        pos = match.end()
        if pos < len(text):
            joiner = AND_RE.match(text, pos)
            if joiner is None:
                raise bad_request(E_QUERY, "The query '%s' is not valid." % text)
            pos = joiner.end()
    return terms


def serial_text(number):
    """Upper-case hex in whole octets, as Microsoft CAs (and Command) show serial numbers."""
    text = "%X" % number
    return "0" + text if len(text) % 2 else text


def term_holds(view, term):
    name, op, wanted = term
    if name.startswith("Metadata."):
        metadata = {k.lower(): v for k, v in (view.get("Metadata") or {}).items()}
        have = metadata.get(name[len("Metadata."):].lower())
    else:
        have = view[name]
    # String comparison ignores case, as SQL Server's default collation does.
    same = have == wanted if isinstance(wanted, int) else str(have or "").lower() == wanted.lower()
    return same if op == "-eq" else not same


# ----------------------------------------------------------------------------- the double

class Request:
    """What a handler needs from one HTTP request, parsed once."""

    def __init__(self, handler, body, base_path):
        split = urlsplit(handler.path)
        self.method, self.path, self.body, self.headers = handler.command, split.path, body, handler.headers
        # ASP.NET binds query names case-insensitively: keep them lower-cased.
        self.query = {k.lower(): v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        prefix = "/" + base_path.lower() + "/"
        self.rel = split.path[len(prefix):].strip("/") if split.path.lower().startswith(prefix) else None

    def json_body(self):
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type and content_type not in ("application/json", "text/json"):
            raise ApiError(415, None, "The request entity's media type '%s' is not supported for this resource."
                           % content_type)
        try:
            body = json.loads(self.body.decode("utf-8")) if self.body.strip() else None
        except (ValueError, UnicodeDecodeError):
            raise bad_request(E_BODY, "The request body is not valid JSON.")
        if not isinstance(body, dict):
            raise bad_request(E_BODY, "A request body is required.")
        return body


class Double:
    def __init__(self, args):
        self.args = args
        os.makedirs(args.dir, exist_ok=True)
        self.state = State(os.path.join(args.dir, "state.json"))
        self.ca = IssuingCA(args.dir)
        self.tls_context = make_tls_context(args.dir) if args.tls else None
        self.faults = []
        self.routes = [  # (pattern on the lower-cased relative path, label, {method: handler})
            (re.compile(r"enrollment/csr"), "Enrollment/CSR", {"POST": self.enroll_csr}),
            (re.compile(r"certificates"), "Certificates", {"GET": self.list_certificates}),
            (re.compile(r"certificates/revoke"), "Certificates/Revoke", {"POST": self.revoke}),
            (re.compile(r"certificates/download"), "Certificates/Download", {"POST": self.download}),
            (re.compile(r"certificates/(\d+)"), "Certificates/{id}", {"GET": self.get_certificate}),
        ]
        with self.state.lock:
            self.state.save()

    @property
    def stats(self):
        return self.state.data["stats"]

    def count(self, key, label):
        with self.state.lock:
            bucket = self.stats[key]
            bucket[label] = bucket.get(label, 0) + 1
            self.state.save()  # counters survive a restart like everything else

    # -- authentication and common headers -------------------------------------------------------

    def authenticate(self, headers):
        """Basic DOMAIN\\user:password or a live Bearer token from /oauth2/token (--auth picks
        which are accepted); Unauthorized otherwise."""
        scheme, _, credential = (headers.get("Authorization") or "").strip().partition(" ")
        if scheme.lower() == "basic" and self.args.auth in ("basic", "both"):
            try:
                user, sep, password = base64.b64decode(credential.strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise Unauthorized()
            # Windows account names ignore case; passwords do not.
            if sep and user.lower() == self.args.user.lower() and \
                    secrets.compare_digest(password.encode(), self.args.password.encode()):
                return
        elif scheme.lower() == "bearer" and self.args.auth in ("oauth", "both"):
            with self.state.lock:
                token = self.state.data["tokens"].get(credential.strip())
            if token is not None and token["expires_at"] > time.time():
                return
        raise Unauthorized()

    def www_authenticate(self):
        headers = []
        if self.args.auth in ("basic", "both"):
            headers.append(("WWW-Authenticate", 'Basic realm="%s"' % CA_HOST))
        if self.args.auth in ("oauth", "both"):
            headers.append(("WWW-Authenticate", "Bearer"))
        return headers

    @staticmethod
    def check_common_headers(req):
        if (req.headers.get("x-keyfactor-requested-with") or "").strip().lower() not in REQUESTED_WITH:
            raise bad_request(E_REQUESTED_WITH, "The 'x-keyfactor-requested-with' header is required "
                                                "(APIClient or XMLHttpRequest).")
        version = (req.headers.get("x-keyfactor-api-version") or "1").strip()
        if version not in API_VERSIONS:
            raise bad_request(E_API_VERSION, "The API version '%s' is not supported." % version)

    # -- faults ---------------------------------------------------------------------------------

    def take_fault(self, method, rel):
        """The first queued fault whose path_prefix starts this path (relative to the base path)."""
        with self.state.lock:
            return serving.take_fault(self.faults, lambda fault: fault["method"] in ("*", method) and
                                      rel.lower().startswith(fault["path_prefix"]), self.stats)

    @staticmethod
    def fault_before(fault):
        """Faults that replace the answer; 'lost' acts after the work is done."""
        if fault is None or fault["kind"] == "lost" or serving.transport_fault(fault):
            return
        code, message = FAULT_BODIES.get(fault["status"], (E_FAULT, "Injected fault."))
        headers = [("Retry-After", str(fault["retry_after"]))] if "retry_after" in fault else []
        raise ApiError(fault["status"], fault.get("error_code", code), fault.get("message", message), headers)

    # -- OAuth2 token endpoint ------------------------------------------------------------------

    def handle_token(self, req):
        """POST /oauth2/token, RFC 6749 4.4: client_credentials, client authenticated by form
        fields or HTTP Basic. Every grant is a new token."""
        if req.method != "POST":
            return json_reply(405, {"error": "invalid_request", "error_description": "POST required"})
        content_type = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return json_reply(400, {"error": "invalid_request", "error_description": "form-encoded body required"})
        form = {k: v[-1] for k, v in parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        scheme, _, credential = (req.headers.get("Authorization") or "").partition(" ")
        if not client_id and scheme.lower() == "basic":
            try:
                client_id, _, secret = base64.b64decode(credential.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                pass
        if client_id != self.args.client_id or not secrets.compare_digest(secret.encode(),
                                                                          self.args.client_secret.encode()):
            return json_reply(401, {"error": "invalid_client", "error_description": "Invalid client credentials"},
                              [("WWW-Authenticate", "Basic")])
        if form.get("grant_type") != "client_credentials":
            return json_reply(400, {"error": "unsupported_grant_type",
                                    "error_description": "Only client_credentials is supported"})
        token = secrets.token_urlsafe(32)
        with self.state.lock:
            now = time.time()
            tokens = self.state.data["tokens"]
            for old in [t for t, entry in tokens.items() if entry["expires_at"] <= now]:
                del tokens[old]  # keep state.json small
            tokens[token] = {"expires_at": now + self.args.token_ttl, "issued_at": now}
            self.stats["token_grants"] += 1
            self.state.save()
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": self.args.token_ttl}
        if form.get("scope"):
            answer["scope"] = form["scope"]
        return json_reply(200, answer, [("Cache-Control", "no-store"), ("Pragma", "no-cache")])

    # -- the API --------------------------------------------------------------------------------

    def route(self, req):
        rel = req.rel.lower()
        for pattern, label, methods in self.routes:
            match = pattern.fullmatch(rel)
            if match:
                return label, methods, match
        return req.rel, None, None

    def handle_api(self, req):
        """Count, authenticate, check the common headers, route, apply a queued fault, answer."""
        label, methods, match = self.route(req)
        self.count("calls", "%s %s" % (req.method, label))
        self.authenticate(req.headers)
        self.check_common_headers(req)
        if methods is None:
            raise ApiError(404, None, "No HTTP resource was found that matches the request URI '%s'." % req.path)
        handler = methods.get(req.method)
        if handler is None:
            raise ApiError(405, None, "The requested resource does not support http method '%s'." % req.method)
        fault = self.take_fault(req.method, req.rel)
        self.fault_before(fault)
        with self.state.lock:
            reply = handler(req, *match.groups())
        if fault is not None and fault["kind"] == "lost":
            raise DropConnection()  # the work is done (and saved); the answer never arrives
        return reply

    # -- Enrollment/CSR -------------------------------------------------------------------------

    def enroll_csr(self, req):
        fmt = (req.headers.get("x-certificateformat") or "").strip()
        if not fmt:
            raise bad_request(E_NO_FORMAT, NO_FORMAT_MESSAGE)
        if fmt.upper() not in ("PEM", "DER"):
            raise bad_request(E_FORMAT_VALUE, "The certificate format '%s' is not supported for CSR enrollment."
                              % fmt)
        body = req.json_body()
        csr = parse_csr(body.get("CSR"))
        if parse_iso(body.get("Timestamp")) is None:
            raise bad_request(E_TIMESTAMP, "A valid Timestamp (ISO 8601) is required.")
        template = self.check_template(body.get("Template"))
        ca_name = self.check_ca(body.get("CertificateAuthority"))
        san = build_sans(body.get("SANs"), csr)  # checked now, rebuilt from the body when issued
        if len(csr.subject) == 0 and not san:
            raise bad_request(E_CSR, "The request has neither a subject nor subject alternative names.")
        metadata = body.get("Metadata") or {}
        if not isinstance(metadata, dict):
            raise bad_request(E_BODY, "Metadata must be an object.")
        request = self.new_request(csr, body.get("SANs"), template, ca_name, metadata, bool(body.get("IncludeChain")),
                                   fmt.upper())
        if not TEMPLATES[template]["approval"]:
            self.issue(request)
        self.log_enrollment(request)
        self.state.save()
        return json_reply(200, {"CertificateInformation": self.enrollment_info(request), "Metadata": metadata})

    @staticmethod
    def check_template(name):
        if not isinstance(name, str) or not name.strip():
            raise bad_request(E_TEMPLATE, "A template is required.")
        for known in TEMPLATES:
            if known.lower() == name.strip().lower():
                return known
        raise bad_request(E_TEMPLATE, "The template '%s' is not available for enrollment on %s." % (name, CA_FULL_NAME))

    @staticmethod
    def check_ca(name):
        """The CA as "<host>\\<logical name>" or the bare logical name (case-insensitive). Missing
        picks the only CA: the contract requires it for standalone CAs only, and this one plays an
        enterprise CA."""
        if name is None or name == "":
            return CA_FULL_NAME
        if isinstance(name, str) and name.strip().lower() in (CA_FULL_NAME.lower(), CA_LOGICAL_NAME.lower()):
            return CA_FULL_NAME
        raise bad_request(E_CA, "The certificate authority '%s' could not be found." % name)

    def new_request(self, csr, sans, template, ca_name, metadata, include_chain, fmt):
        data = self.state.data
        request_id = self.state.next_id("next_request_id")
        request = {"request_id": request_id, "template": template, "ca": ca_name, "metadata": metadata,
                   "include_chain": include_chain, "format": fmt, "submitted_at": iso_z(time.time()),
                   "csr_pem": csr.public_bytes(serialization.Encoding.PEM).decode(),
                   "sans": sans,
                   "state": "EXTERNAL_VALIDATION", "cert_id": 0, "workflow_reference_id": None,
                   "workflow_instance_id": None}
        if TEMPLATES[template]["approval"]:
            request["workflow_reference_id"] = self.state.next_id("next_workflow_ref")
            request["workflow_instance_id"] = str(uuid.uuid4())
        data["requests"][str(request_id)] = request
        return request

    def issue(self, request):
        """Sign the request's CSR and store the certificate; the request becomes ISSUED."""
        csr = x509.load_pem_x509_csr(request["csr_pem"].encode())
        # The SANs were checked at submission; rebuilding them from the body keeps state.json plain JSON.
        days = self.args.validity_hours / 24 if self.args.validity_hours else self.args.validity_days
        cert = self.ca.sign(csr, build_sans(request["sans"], csr), days)
        cert_id = self.state.next_id("next_cert_id")
        self.state.data["certificates"][str(cert_id)] = {
            "id": cert_id, "request_id": request["request_id"], "template": request["template"],
            "ca": request["ca"], "der": b64(der_of(cert)), "state": 1, "revocation_date": None,
            "revocation_reason": None, "revocation_comment": None}
        request["state"], request["cert_id"] = "ISSUED", cert_id
        return cert_id

    def enrollment_info(self, request):
        """CertificateInformation for an enrolment answer (contract 3.2)."""
        info = {"SerialNumber": None, "IssuerDN": None, "Thumbprint": None, "KeyfactorID": 0, "Certificates": [],
                "KeyfactorRequestId": request["request_id"], "RequestDisposition": request["state"],
                "DispositionMessage": PENDING_MESSAGE, "EnrollmentContext": {}}
        if request["state"] == "ISSUED":
            record = self.state.data["certificates"][str(request["cert_id"])]
            cert = x509.load_der_x509_certificate(base64.b64decode(record["der"]))
            chain = [cert] + (self.ca.chain() if request["include_chain"] else [])
            encode = pem_of if request["format"] == "PEM" else (lambda c: b64(der_of(c)))
            info.update(SerialNumber=serial_text(cert.serial_number), IssuerDN=windows_dn(cert.issuer),
                        Thumbprint=hashlib.sha1(der_of(cert)).hexdigest().upper(), KeyfactorID=record["id"],
                        Certificates=[encode(c) for c in chain], DispositionMessage="Issued")
        else:
            info.update(WorkflowInstanceId=request["workflow_instance_id"],
                        WorkflowReferenceId=request["workflow_reference_id"])
        return info

    def log_enrollment(self, request):
        self.state.data["enrollments"].append({
            "time": request["submitted_at"], "request_id": request["request_id"], "template": request["template"],
            "certificate_authority": request["ca"], "disposition": request["state"],
            "cert_id": request["cert_id"], "metadata": request["metadata"]})
        self.stats["enrollments"] += 1

    # -- Certificates ---------------------------------------------------------------------------

    def certificate_view(self, record):
        """A certificate as GET Certificates lists it (the fields contract 3.2 names)."""
        cert = x509.load_der_x509_certificate(base64.b64decode(record["der"]))
        revoked = record["state"] == 2
        return {"Id": record["id"], "Thumbprint": hashlib.sha1(der_of(cert)).hexdigest().upper(),
                "SerialNumber": serial_text(cert.serial_number), "IssuedDN": windows_dn(cert.subject),
                "IssuedCN": common_name(cert.subject), "NotBefore": iso_z(cert.not_valid_before.replace(
                    tzinfo=datetime.timezone.utc).timestamp()),
                "NotAfter": iso_z(cert.not_valid_after.replace(tzinfo=datetime.timezone.utc).timestamp()),
                "IssuerDN": windows_dn(cert.issuer), "CertState": record["state"],
                "CertStateString": "Revoked" if revoked else "Active",
                "RevocationEffDate": record["revocation_date"] if revoked else None,
                "RevocationReason": record["revocation_reason"] if revoked else None,
                "CertificateAuthorityName": record["ca"], "TemplateName": record["template"],
                "CertRequestId": record["request_id"], "ContentBytes": record["der"],
                "Metadata": (self.state.data["requests"].get(str(record["request_id"])) or {}).get("metadata") or {}}

    def list_certificates(self, req):
        q = req.query
        terms = parse_query(q.get("pq.querystring", ""))
        page = parse_int_param(q.get("pq.pagereturned", "1"), "pq.pageReturned", 1)
        limit = parse_int_param(q.get("pq.returnlimit", "50"), "pq.returnLimit", 1)
        include_revoked = parse_bool_param(q.get("pq.includerevoked", "false"), "pq.includeRevoked")
        include_expired = parse_bool_param(q.get("pq.includeexpired", "false"), "pq.includeExpired")
        sort_name = q.get("pq.sortfield", "").strip()
        sort_field = SORT_FIELDS.get(sort_name.lower(), None) if sort_name else "Id"
        if sort_field is None:
            raise bad_request(E_SORT_FIELD, "'%s' is not a valid sort field." % sort_name)
        descending = parse_sort_order(q.get("pq.sortascending", "0"))
        now_text = iso_z(time.time())
        views = []
        for record in self.state.data["certificates"].values():
            view = self.certificate_view(record)
            if view["CertState"] == 2 and not include_revoked:
                continue
            if view["NotAfter"] <= now_text and not include_expired:
                continue
            if all(term_holds(view, term) for term in terms):
                views.append(view)
        views.sort(key=lambda v: (v[sort_field] is None, v[sort_field] if v[sort_field] is not None else 0),
                   reverse=descending)
        return json_reply(200, views[(page - 1) * limit:page * limit])

    def find_record(self, cert_id):
        record = self.state.data["certificates"].get(str(cert_id))
        if record is None:
            raise ApiError(404, E_NOT_FOUND, "Certificate with ID %s does not exist." % cert_id)
        return record

    def get_certificate(self, req, cert_id):
        return json_reply(200, self.certificate_view(self.find_record(int(cert_id))))

    # -- Certificates/Revoke --------------------------------------------------------------------

    def revoke(self, req):
        body = req.json_body()
        ids = body.get("CertificateIds")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise bad_request(E_REVOKE, "CertificateIds must be a non-empty array of certificate ids.")
        reason = body.get("Reason", 0)
        if isinstance(reason, bool) or reason not in REVOCATION_REASONS + (REMOVE_FROM_HOLD,):
            raise bad_request(E_REVOKE, "The revocation reason '%s' is not valid." % (reason,))
        comment = body.get("Comment")
        if not isinstance(comment, str) or not comment.strip():
            raise bad_request(E_REVOKE, "A comment is required to revoke a certificate.")
        effective = body.get("EffectiveDate")
        when = time.time() if effective in (None, "") else parse_iso(effective)
        if when is None:
            raise bad_request(E_REVOKE, "The effective date '%s' is not valid." % effective)
        for cert_id in ids:  # all or nothing: check every id before changing any
            record = self.find_record(cert_id)
            if reason == REMOVE_FROM_HOLD and not (record["state"] == 2 and record["revocation_reason"] == 6):
                raise bad_request(E_REVOKE, "Certificate %d is not on hold." % cert_id)
        for cert_id in ids:
            self.revoke_one(self.state.data["certificates"][str(cert_id)], reason, comment, when)
        self.state.save()
        return json_reply(200, {"RevokedIds": ids, "SuspendedCerts": []})

    def revoke_one(self, record, reason, comment, when):
        if reason == REMOVE_FROM_HOLD:
            record.update(state=1, revocation_date=None, revocation_reason=None, revocation_comment=None)
        elif record["state"] != 2:
            # An already revoked certificate keeps its first date and reason (an assumption).
            record.update(state=2, revocation_date=iso_z(when), revocation_reason=reason, revocation_comment=comment)
            self.stats["revocations"] += 1

    # -- Certificates/Download ------------------------------------------------------------------

    def download(self, req):
        fmt = (req.headers.get("x-certificateformat") or "").strip().upper()
        if not fmt:
            raise bad_request(E_NO_FORMAT, NO_FORMAT_MESSAGE)
        if fmt not in ("P7B", "PEM", "DER"):
            raise bad_request(E_FORMAT_VALUE, "The certificate format '%s' is not supported for download." % fmt)
        body = req.json_body()
        record = self.download_target(body)
        cert = x509.load_der_x509_certificate(base64.b64decode(record["der"]))
        chain = [cert] + (self.ca.chain() if body.get("IncludeChain") else [])
        if str(body.get("ChainOrder") or "EndEntityFirst").lower() == "rootfirst":
            chain.reverse()
        if fmt == "P7B":
            content = pkcs7.serialize_certificates(chain, serialization.Encoding.DER)
        elif fmt == "PEM":
            content = "".join(pem_of(c) for c in chain).encode()
        else:
            content = der_of(cert)  # DER holds one certificate: the leaf only
        return json_reply(200, {"Content": b64(content)})

    def download_target(self, body):
        """By CertID, else Thumbprint, else SerialNumber (with IssuerDN when given)."""
        if body.get("CertID") not in (None, 0):
            if not isinstance(body["CertID"], int):
                raise bad_request(E_BODY, "CertID must be an integer.")
            return self.find_record(body["CertID"])
        for record in self.state.data["certificates"].values():
            view = self.certificate_view(record)
            if body.get("Thumbprint") and str(body["Thumbprint"]).upper() == view["Thumbprint"]:
                return record
            if body.get("SerialNumber") and str(body["SerialNumber"]).upper() == view["SerialNumber"] and \
                    (not body.get("IssuerDN") or str(body["IssuerDN"]).lower() == view["IssuerDN"].lower()):
                return record
        raise ApiError(404, E_NOT_FOUND, "The requested certificate could not be found.")

    # -- test controls --------------------------------------------------------------------------

    def handle_control(self, req):
        try:
            body = json.loads(req.body.decode("utf-8")) if req.body.strip() else {}
        except (ValueError, UnicodeDecodeError) as exc:
            return json_reply(400, {"error": "body is not JSON: %s" % exc})
        handler = CONTROLS.get((req.method, req.path.rstrip("/")))
        if handler is None:
            return json_reply(404, {"error": "no such control: %s %s" % (req.method, req.path)})
        try:
            with self.state.lock:
                status, answer = handler(self, body, req.query)
                self.state.save()
            return json_reply(status, answer)
        except (ValueError, TypeError, KeyError) as exc:
            return json_reply(400, {"error": str(exc)})
        except ApiError as err:
            return json_reply(400, {"error": err.message})

    def pending_request(self, body):
        if not isinstance(body, dict) or not isinstance(body.get("request_id"), int):
            raise ValueError('expected {"request_id": <KeyfactorRequestId>}')
        request = self.state.data["requests"].get(str(body["request_id"]))
        if request is None:
            return None, (404, {"error": "no request %d" % body["request_id"]})
        if request["state"] != "EXTERNAL_VALIDATION":
            return None, (409, {"error": "request %d is %s, not pending" % (body["request_id"], request["state"]),
                                "request": request_view(request)})
        return request, None


def request_view(request):
    return {"request_id": request["request_id"], "state": request["state"], "template": request["template"],
            "cert_id": request["cert_id"], "workflow_reference_id": request["workflow_reference_id"],
            "submitted_at": request["submitted_at"], "metadata": request["metadata"]}


# ----------------------------------------------------------------------------- test controls

def control_approve(double, body, query):
    request, refusal = double.pending_request(body)
    if refusal:
        return refusal
    double.issue(request)
    double.stats["approvals"] += 1
    return 200, request_view(request)


def control_deny(double, body, query):
    request, refusal = double.pending_request(body)
    if refusal:
        return refusal
    request["state"] = "DENIED"
    double.stats["denials"] += 1
    return 200, request_view(request)


def control_requests(double, body, query):
    views = [request_view(r) for r in double.state.data["requests"].values()]
    if query.get("request_id"):
        views = [v for v in views if str(v["request_id"]) == query["request_id"]]
    if query.get("state"):
        views = [v for v in views if v["state"] == query["state"].upper()]
    return 200, {"requests": views}


def control_certificates(double, body, query):
    return 200, {"certificates": [dict(double.certificate_view(r), RevocationComment=r["revocation_comment"])
                                  for r in double.state.data["certificates"].values()]}


def control_add_faults(double, body, query):
    added = []
    for spec in body if isinstance(body, list) else [body]:
        if not isinstance(spec, dict):
            raise ValueError("each fault is an object")
        kind = "drop" if spec.get("drop") else "reset" if spec.get("reset") else "lost" if spec.get("lost") \
            else "status" if "status" in spec else "delay" if "seconds" in spec else None
        if kind is None:
            raise ValueError('a fault needs "status", "drop", "reset", "lost" or "seconds"')
        if kind == "status" and (not isinstance(spec["status"], int) or not 400 <= spec["status"] <= 599):
            raise ValueError("status must be 400..599")
        # Prefixes are relative to the base path ("Enrollment/CSR"); a leading "/KeyfactorAPI/" is dropped.
        prefix = str(spec.get("path_prefix", "")).lstrip("/").lower()
        base = double.args.base_path.lower() + "/"
        prefix = prefix[len(base):] if prefix.startswith(base) else prefix
        fault = dict(spec, kind=kind, path_prefix=prefix, count=int(spec.get("count", 1)),
                     method=str(spec.get("method", "*")).upper())
        if "seconds" in spec:
            fault["seconds"] = float(spec["seconds"])
        added.append(fault)
    double.faults.extend(added)
    return 200, {"faults": double.faults}


def control_list_faults(double, body, query):
    return 200, {"faults": double.faults}


def control_clear_faults(double, body, query):
    double.faults.clear()
    return 200, {"faults": []}


def control_stats(double, body, query):
    return 200, double.stats


def control_reset_stats(double, body, query):
    double.state.data["stats"] = fresh_stats()
    double.state.data["enrollments"] = []
    return 200, double.stats


def control_enrollments(double, body, query):
    entries = double.state.data["enrollments"]
    return 200, {"count": len(entries), "enrollments": entries}


def control_expire_tokens(double, body, query):
    now, expired = time.time(), 0
    for entry in double.state.data["tokens"].values():
        if entry["expires_at"] > now:
            entry["expires_at"], expired = now - 1, expired + 1
    return 200, {"expired": expired}


CONTROLS = {
    ("POST", "/_double/approve"): control_approve,
    ("POST", "/_double/deny"): control_deny,
    ("GET", "/_double/requests"): control_requests,
    ("GET", "/_double/certificates"): control_certificates,
    ("POST", "/_double/faults"): control_add_faults,
    ("GET", "/_double/faults"): control_list_faults,
    ("DELETE", "/_double/faults"): control_clear_faults,
    ("GET", "/_double/stats"): control_stats,
    ("DELETE", "/_double/stats"): control_reset_stats,
    ("GET", "/_double/enrollments"): control_enrollments,
    ("POST", "/_double/expire-tokens"): control_expire_tokens,
}


# ----------------------------------------------------------------------------- HTTP plumbing

class Handler(serving.LoggingHandler):
    max_body = MAX_BODY
    log_name = NAME

    protocol_version = "HTTP/1.1"  # keep-alive; every answer has a Content-Length
    server_version = NAME
    sys_version = ""

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def dispatch(self):
        double = self.server.double
        try:
            body = self.read_body()
        except ValueError:
            self.close_connection = True
            return self.send(Reply(400, b"Bad Request", "text/plain"))
        req = Request(self, body, double.args.base_path)
        counted = True
        try:
            if req.path.startswith("/_double/"):
                counted = False
                reply = double.handle_control(req)
            elif req.path.rstrip("/") == "/oauth2/token" and double.args.auth in ("oauth", "both"):
                double.count("calls", "%s oauth2/token" % req.method)
                fault = double.take_fault(req.method, "oauth2/token")
                double.fault_before(fault)
                reply = double.handle_token(req)
                if fault is not None and fault["kind"] == "lost":
                    raise DropConnection()
            elif req.rel is not None:
                reply = double.handle_api(req)
            else:
                reply = Reply(404, b"Not Found", "text/plain")
        except ApiError as err:
            reply = error_reply(err)
        except Unauthorized:
            reply = Reply(401, b"", None, double.www_authenticate())
        except DropConnection as drop:
            return self.drop(drop)
        except Exception:  # a bug in the double: say so loudly rather than hang the client
            traceback.print_exc()
            self.close_connection = True
            reply = Reply(500, b"internal error in command_double.py (see its log)", "text/plain")
        if counted:
            double.count("statuses", str(reply.status))
        self.send(reply)



class Server(serving.QuietServer):
    """With --tls, each accepted socket is wrapped here and its handshake done in the request's
    own thread, so a slow or failing client never stalls the accept loop."""

    def get_request(self):
        sock, address = super().get_request()
        context = self.double.tls_context
        if context is not None:
            sock = context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def finish_request(self, request, client_address):
        if isinstance(request, ssl.SSLSocket):
            request.settimeout(10)
            request.do_handshake()  # a failure (client distrusts us) is an OSError: dropped quietly
            request.settimeout(None)
        super().finish_request(request, client_address)


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Loopback Keyfactor Command REST API double "
                                                 "(CSR enrolment, certificate search, revoke, download, OAuth).")
    parser.add_argument("--dir", required=True, help="state directory (state.json, CA files, port)")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (written to DIR/port)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS; clients trust DIR/tls-ca.pem")
    parser.add_argument("--base-path", default="KeyfactorAPI", help="API base path (default KeyfactorAPI)")
    parser.add_argument("--auth", choices=("basic", "oauth", "both"), default="both")
    parser.add_argument("--user", default="CORP\\signet", help="Basic user, DOMAIN\\user (default CORP\\signet)")
    parser.add_argument("--password", default="signet-password")
    parser.add_argument("--client-id", default="signet-client")
    parser.add_argument("--client-secret", default="signet-secret")
    parser.add_argument("--token-ttl", type=int, default=300, help="OAuth access token lifetime, seconds")
    parser.add_argument("--validity-days", type=float, default=30, help="templates' default validity period")
    parser.add_argument("--validity-hours", type=float, help="the same in hours (overrides --validity-days)")
    args = parser.parse_args(argv)
    args.base_path = args.base_path.strip("/")
    return args


def announce_tls(double):
    # serving.serve's "listening on http://" line is shared by every double; say what differs here.
    if double.tls_context is not None:
        print("%s: TLS on: the port speaks https; trust %s" % (NAME, os.path.join(double.args.dir, "tls-ca.pem")),
              file=sys.stderr, flush=True)


def main(argv=None):
    args = parse_args(argv)
    return serving.serve(NAME, args.dir, args.port, Server, Handler, lambda: Double(args), on_bound=announce_tls)


if __name__ == "__main__":
    sys.exit(main())
