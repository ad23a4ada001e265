#!/usr/bin/env python3
"""ejbca_double.py - a loopback stand-in for the EJBCA REST API v1 that Signet can talk to.

One HTTPS server on 127.0.0.1 answers as EJBCA does on the wire, following the shared contract
external-apis.md section 3.5 and its section 8 corrections, not what any one client expects:
  * authentication by TLS client certificate (the handshake completes without one, the request is
    then refused with 403), or with --oauth an OAuth2 Bearer token from POST /oauth2/token;
  * POST v1/certificate/pkcs10enroll: a real CA signs the CSR's key; certificate profile SERVER
    issues at once, SERVER_APPROVAL answers 202 and waits for an approval (controls below);
  * POST v1/certificate/{id}/finalize, PUT v1/certificate/{issuer_dn}/{serial}/revoke,
    GET v1/certificate/{issuer_dn}/{serial}/revocationstatus, GET v1/certificate/status;
  * GET v1/ca, GET v1/ca/{subject_dn}/certificate/download, GET v1/ca/{issuer_dn}/getLatestCrl;
  * POST v1/certificate/search (QUERY EQUAL on a username only);
  * test controls under /_double/ (same port, no client certificate): approvals, faults, offline,
    stats, the enrolment log.

Errors are {"error_code": <status>, "error_message": "..."}; "waiting for approval" is
{"status_code": 202, "info_message": "...", "link": ".../v1/certificate/<id>/finalize"}.
EJBCA itself is never contacted.  Python 3.11 with cryptography >= 38 (Debian's /usr/bin/python3).
"""

import argparse
import base64
import binascii
import datetime
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
from urllib.parse import parse_qs, unquote, urlsplit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import serving  # noqa: E402  (tests/doubles/serving.py)

from cryptography import x509
from cryptography.exceptions import InternalError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# ----------------------------------------------------------------------------- constants

NAME = "ejbca-double"
API_PREFIX = "/ejbca/ejbca-rest-api/v1/"
TOKEN_PATH = "/oauth2/token"

# The issuing CA's common name and organisation hold ", " and "=": its DN must be escaped
# (RFC 4514 / BouncyCastle style) and then percent-encoded in a URL path.
ISSUING_CA = "Signet Test CA"
ISSUING_RDNS = ((NameOID.COUNTRY_NAME, "SE"), (NameOID.ORGANIZATION_NAME, "Example=Corp"),
                (NameOID.COMMON_NAME, "Signet Test CA, Issuing"))
ROOT_RDNS = ((NameOID.COUNTRY_NAME, "SE"), (NameOID.ORGANIZATION_NAME, "Example=Corp"),
             (NameOID.COMMON_NAME, "Signet Test Root CA"))
# As in a stock EJBCA install, ManagementCA issues the administrators' client certificates and
# the server's TLS certificate.
MANAGEMENT_CA = "ManagementCA"
MANAGEMENT_RDNS = ((NameOID.COMMON_NAME, "ManagementCA"),)
ADMIN_RDNS = ((NameOID.COUNTRY_NAME, "SE"), (NameOID.ORGANIZATION_NAME, "Signet Test"),
              (NameOID.COMMON_NAME, "signet-ra-admin"))
UNAUTHORISED_RDNS = ((NameOID.COUNTRY_NAME, "SE"), (NameOID.ORGANIZATION_NAME, "Signet Test"),
                     (NameOID.COMMON_NAME, "signet-unauthorised"))

CERTIFICATE_PROFILES = {
    "SERVER": {"approval": False, "validity_days": 365},
    "SERVER_APPROVAL": {"approval": True, "validity_days": 365},
}
END_ENTITY_PROFILES = {
    "SIGNET_EE": {"cas": (ISSUING_CA,), "certificate_profiles": ("SERVER", "SERVER_APPROVAL")},
}
RSA_SIZES = (2048, 3072, 4096)
EC_CURVES = ("secp256r1", "secp384r1", "secp521r1")
ENROLL_FORMATS = ("DER", "PKCS7")   # contract 8: PEM is refused on pkcs10enroll
FINALIZE_FORMATS = ("DER", "PEM")   # what EJBCA's finalize accepts for a CSR (user-generated keys)

# The reasons EJBCA's revoke resource takes (contract 3.5) -> CRL reason; None for the two that
# take a certificate off hold instead of revoking it.
REVOCATION_REASONS = {
    "NOT_REVOKED": None, "REMOVE_FROM_CRL": None,
    "UNSPECIFIED": x509.ReasonFlags.unspecified, "KEY_COMPROMISE": x509.ReasonFlags.key_compromise,
    "CA_COMPROMISE": x509.ReasonFlags.ca_compromise,
    "AFFILIATION_CHANGED": x509.ReasonFlags.affiliation_changed,
    "SUPERSEDED": x509.ReasonFlags.superseded,
    "CESSATION_OF_OPERATION": x509.ReasonFlags.cessation_of_operation,
    "CERTIFICATE_HOLD": x509.ReasonFlags.certificate_hold,
    "PRIVILEGES_WITHDRAWN": x509.ReasonFlags.privilege_withdrawn,
    "AA_COMPROMISE": x509.ReasonFlags.aa_compromise,
}

# EJBCA's short attribute names, for DNs printed the way EJBCA prints them.
DN_NAMES = {NameOID.COMMON_NAME: "CN", NameOID.ORGANIZATION_NAME: "O", NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
            NameOID.COUNTRY_NAME: "C", NameOID.LOCALITY_NAME: "L", NameOID.STATE_OR_PROVINCE_NAME: "ST",
            NameOID.EMAIL_ADDRESS: "E", NameOID.SERIAL_NUMBER: "SN", NameOID.DOMAIN_COMPONENT: "DC",
            NameOID.USER_ID: "UID", NameOID.SURNAME: "SURNAME", NameOID.GIVEN_NAME: "GIVENNAME",
            NameOID.TITLE: "T"}
DN_SPECIALS = ',"\\+=<>;'  # escaped with a backslash, as BouncyCastle (and so EJBCA) does

FAULT_KINDS = ("status", "drop", "reset", "lost", "delay")
FAULT_MESSAGES = {400: "Bad request.", 403: "Not authorized to resource /administrator.",
                  404: "Not found.", 409: "Conflict.", 422: "Unprocessable entity.",
                  500: "General failure.", 503: "CA '%s' is offline." % ISSUING_CA}
NO_CERT = "Error no client certificate received for authentication."
NOT_ADMIN = "Not authorized to resource /administrator."
BAD_SERIAL = ("Invalid serial number format. Should be HEX encoded (optionally with '0x' prefix) "
              "e.g. '0x10782a83eef170d4'")
HANDSHAKE_TIMEOUT = 10


class ApiError(Exception):
    """An answer in EJBCA's error envelope; body=False for the bare (bodiless) 400."""

    def __init__(self, status, message="", body=True, headers=()):
        super().__init__(message)
        self.status, self.message, self.body, self.headers = status, message, body, list(headers)


class Reply(serving.Reply):
    content_type_default = "application/json"


def json_reply(status, obj, headers=(), note=""):
    # Compact, as Jackson writes it.
    return Reply(status, json.dumps(obj, separators=(",", ":")).encode(), headers=headers, note=note)


def error_reply(err):
    if not err.body:
        return Reply(err.status, b"", None, err.headers, "bare")
    return json_reply(err.status, {"error_code": err.status, "error_message": err.message}, err.headers,
                      err.message)


DropConnection = serving.DropConnection


# ----------------------------------------------------------------------------- small helpers

def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def iso_z(moment):
    # EJBCA's JsonDateSerializer: yyyy-MM-dd'T'HH:mm:ssXXX in UTC, so a "Z" suffix.
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def not_after(cert):
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def b64(data):
    return base64.b64encode(data).decode("ascii")


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def serial_hex(number):
    # EJBCA prints serials as upper-case hex without prefix or leading zeros (so the length varies).
    return format(number, "X")


def parse_serial(text):
    """A serial from a URL: hex, any case, leading zeros and a 0x prefix tolerated."""
    digits = text[2:] if text[:2].lower() == "0x" else text
    if not re.fullmatch(r"[0-9a-fA-F]+", digits):
        raise ApiError(400, BAD_SERIAL)
    return int(digits, 16)


def new_serial():
    # 20 random octets with the top bit clear, as EJBCA's default serial number generator makes.
    return int.from_bytes(os.urandom(20), "big") >> 1 or 1


def make_name(rdns):
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in rdns])


def escape_dn_value(value):
    out = "".join("\\" + ch if ch in DN_SPECIALS else ch for ch in value)
    if out.startswith("#") or out.startswith(" "):
        out = "\\" + out
    if out.endswith(" ") and not out.endswith("\\ "):
        out = out[:-1] + "\\ "
    return out


def ejbca_dn(name):
    """A DN as EJBCA prints it: CN first, country last (the reverse of the ASN.1 order the double
    encodes, which is EJBCA's default), values escaped with backslashes."""
    parts = []
    for rdn in reversed(name.rdns):
        parts.append("+".join("%s=%s" % (DN_NAMES.get(a.oid, a.oid.dotted_string), escape_dn_value(a.value))
                              for a in rdn))
    return ",".join(parts)


def parse_dn(text):
    """A DN string -> sorted (TYPE, value) pairs, for comparing DNs that differ only in spacing,
    case or attribute order (EJBCA normalises a DN before looking a CA up by it)."""
    pairs, kind, value, in_value, i = [], [], bytearray(), False, 0
    data = text.encode("utf-8")
    while i < len(data):
        ch = data[i:i + 1]
        if ch == b"\\" and i + 1 < len(data):
            pair = data[i + 1:i + 3]
            if len(pair) == 2 and re.fullmatch(rb"[0-9a-fA-F]{2}", pair):
                value.append(int(pair, 16))
                i += 3
                continue
            (value if in_value else kind).append(data[i + 1])
            i += 2
            continue
        if ch == b"=" and not in_value:
            in_value = True
        elif ch in (b",", b"+", b";") and in_value:
            pairs.append((bytes(kind), bytes(value)))
            kind, value, in_value = [], bytearray(), False
        else:
            (value if in_value else kind).append(data[i])
        i += 1
    if in_value:
        pairs.append((bytes(kind), bytes(value)))
    elif kind and bytes(kind).strip():
        return None  # "CN" with no "=": not a DN
    normal = []
    for raw_kind, raw_value in pairs:
        kind_text = raw_kind.decode("utf-8", "replace").strip().upper()
        value_text = " ".join(raw_value.decode("utf-8", "replace").split()).lower()
        normal.append((kind_text, value_text))
    return sorted(normal)


def signing_hash(key):
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def write_key(path, key):
    serving.write_atomic(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()), 0o600)


def load_key(path):
    with open(path, "rb") as handle:
        return serialization.load_pem_private_key(handle.read(), password=None)


# ----------------------------------------------------------------------------- certificates

def ca_certificate(subject, key, issuer_name, issuer_key, issuer_ski, years, path_length):
    now = utc_now()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(new_serial())
               .not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=365 * years))
               .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
               .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
               .add_extension(ski, critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski or ski),
                              critical=False))
    return builder.sign(issuer_key, signing_hash(issuer_key))


def end_entity_certificate(ca, subject, public_key, days, ekus, sans=None, san_critical=False, serial=None,
                           end_time=None):
    """A leaf signed by ca (a CA object); notBefore 10 minutes back, as EJBCA's default offset."""
    now = utc_now()
    end = min(now + datetime.timedelta(days=days), not_after(ca.cert))
    if end_time is not None:
        end = min(end, end_time)
    if isinstance(public_key, rsa.RSAPublicKey):
        usage = x509.KeyUsage(True, False, True, False, False, False, False, False, False)
    else:
        usage = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca.cert.subject)
               .public_key(public_key).serial_number(serial or new_serial())
               .not_valid_before(now - datetime.timedelta(minutes=10)).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(usage, critical=True)
               .add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca.ski),
                              critical=False))
    if sans is not None:
        builder = builder.add_extension(sans, critical=san_critical)
    return builder.sign(ca.key, signing_hash(ca.key))


class CA:
    """One certificate authority as EJBCA knows it: a name, a certificate, its key and the chain
    above it (issuer first, root last)."""

    def __init__(self, name, cert, key, parents):
        self.name, self.cert, self.key, self.parents = name, cert, key, parents
        self.dn = ejbca_dn(cert.subject)
        self.normal_dn = parse_dn(self.dn)
        self.ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value

    def chain(self):
        return [self.cert] + self.parents


# ----------------------------------------------------------------------------- persistent state

class State:
    """Everything that must survive a restart, in DIR/state.json, behind one lock."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.RLock()
        self.data = {"cas": {}, "certificates": {}, "approvals": {}, "enrollments": [], "crls": {},
                     "admins": [], "tokens": {}}
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                self.data.update(json.load(handle))

    def save(self):
        with self.lock:
            serving.write_atomic(self.path, json.dumps(self.data, indent=1, sort_keys=True).encode(), 0o600)


class Setup:
    """Makes (at first start) or loads (afterwards) the CAs, the TLS server certificate and the two
    client certificates, and (re)writes the files tests read from DIR."""

    def __init__(self, directory, state):
        self.dir, self.state = directory, state
        os.makedirs(self._path("keys"), exist_ok=True)
        with state.lock:
            if not self._complete():
                self._create()
            self.cas = {name: self._load_ca(name) for name in state.data["cas"]}
        issuing = self.cas[ISSUING_CA]
        serving.write_atomic(self._path("ca-chain.pem"), "".join(pem(c) for c in issuing.chain()).encode())
        serving.write_atomic(self._path("issuer-dn.txt"), (issuing.dn + "\n").encode())
        serving.write_atomic(self._path("ca-name.txt"), (ISSUING_CA + "\n").encode())
        serving.write_atomic(self._path("tls-ca.pem"), pem(self.cas[MANAGEMENT_CA].cert).encode())

    def _path(self, *names):
        return os.path.join(self.dir, *names)

    def _complete(self):
        cas = self.state.data["cas"]
        files = ["keys/tls-server.key", "keys/tls-server.pem", "client.pem", "client.key",
                 "unauthorised.pem", "unauthorised.key"] + [c["key_file"] for c in cas.values()]
        return ISSUING_CA in cas and MANAGEMENT_CA in cas and all(os.path.exists(self._path(f)) for f in files)

    def _load_ca(self, name):
        record = self.state.data["cas"][name]
        cert = x509.load_pem_x509_certificate(record["certificate"].encode())
        parents = [x509.load_pem_x509_certificate(p.encode()) for p in record["parents"]]
        return CA(name, cert, load_key(self._path(record["key_file"])), parents)

    def _create(self):
        # A fresh start: anything issued by CAs that no longer exist is forgotten too.
        data = self.state.data
        for key in ("certificates", "approvals", "crls", "tokens"):
            data[key] = {}
        data["enrollments"], data["admins"] = [], []
        root_key, issuing_key = ec.generate_private_key(ec.SECP384R1()), ec.generate_private_key(ec.SECP384R1())
        root_name = make_name(ROOT_RDNS)
        root = ca_certificate(root_name, root_key, root_name, root_key, None, 20, None)
        root_ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        issuing = ca_certificate(make_name(ISSUING_RDNS), issuing_key, root_name, root_key, root_ski, 10, 0)
        management_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        management_name = make_name(MANAGEMENT_RDNS)
        management = ca_certificate(management_name, management_key, management_name, management_key, None, 10, None)
        write_key(self._path("keys", "root-ca.key"), root_key)  # kept only so nothing is lost
        for name, cert, key, parents, key_file in (
                (ISSUING_CA, issuing, issuing_key, [root], "keys/issuing-ca.key"),
                (MANAGEMENT_CA, management, management_key, [], "keys/management-ca.key")):
            write_key(self._path(key_file), key)
            data["cas"][name] = {"certificate": pem(cert), "parents": [pem(p) for p in parents],
                                 "key_file": key_file, "created_at": iso_z(utc_now())}
            data["certificates"][name] = {}
        mgmt = CA(MANAGEMENT_CA, management, management_key, [])
        self._tls_server(mgmt)
        admin = self._client(mgmt, ADMIN_RDNS, "client")
        self._client(mgmt, UNAUTHORISED_RDNS, "unauthorised")
        data["admins"] = [[MANAGEMENT_CA, serial_hex(admin.serial_number)]]  # the "Signet RA" role's one member
        self.state.save()

    def _tls_server(self, mgmt):
        key = ec.generate_private_key(ec.SECP256R1())
        sans = x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                            x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        cert = end_entity_certificate(mgmt, make_name(((NameOID.COMMON_NAME, "localhost"),)), key.public_key(),
                                      730, [ExtendedKeyUsageOID.SERVER_AUTH], sans)
        write_key(self._path("keys", "tls-server.key"), key)
        serving.write_atomic(self._path("keys", "tls-server.pem"), pem(cert).encode())

    def _client(self, mgmt, rdns, stem):
        """A client certificate from ManagementCA, recorded there so that it can be revoked."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = end_entity_certificate(mgmt, make_name(rdns), key.public_key(), 730, [ExtendedKeyUsageOID.CLIENT_AUTH])
        write_key(self._path(stem + ".key"), key)
        serving.write_atomic(self._path(stem + ".pem"), pem(cert).encode())
        self.state.data["certificates"][MANAGEMENT_CA][serial_hex(cert.serial_number)] = {
            "certificate": pem(cert), "username": stem, "certificate_profile": "ENDUSER",
            "end_entity_profile": "EMPTY", "issued_at": iso_z(utc_now()), "status": "active",
            "reason": None, "revocation_date": None}
        return cert

    def tls_context(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self._path("keys", "tls-server.pem"), self._path("keys", "tls-server.key"))
        # Optional: a client without a certificate still completes the handshake and is refused by
        # the application with a JSON 403, as EJBCA (verify-client=REQUESTED) does.  A certificate
        # from an unknown CA fails the handshake itself.
        context.verify_mode = ssl.CERT_OPTIONAL
        context.load_verify_locations(cadata=pem(self.cas[MANAGEMENT_CA].cert))
        return context


# ----------------------------------------------------------------------------- request parsing

def parse_end_time(value):
    """A validity override: "yyyy-MM-dd HH:mm:ss" in UTC, as EJBCA parses it (RFC 3339 is refused)."""
    if value is None:
        return None
    try:
        parsed = datetime.datetime.strptime(value, "%Y-%m-%d %H:%M:%S") if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise ApiError(400, "Invalid end_time '%s': the format is yyyy-MM-dd HH:mm:ss (UTC)." % value)
    parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    if parsed <= utc_now():
        raise ApiError(400, "Invalid end_time '%s': it has passed." % value)
    return parsed


def parse_csr(text):
    """certificate_request: PEM (or bare base64 DER, which EJBCA also takes) -> a verified CSR."""
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "Invalid certificate request: no PKCS#10 request was given.")
    try:
        if "-----BEGIN" in text:
            csr = x509.load_pem_x509_csr(text.encode("ascii"))
        else:
            csr = x509.load_der_x509_csr(base64.b64decode("".join(text.split()), validate=True))
        valid = csr.is_signature_valid
        csr.public_key()
        list(csr.extensions)
    except (ValueError, TypeError, UnicodeEncodeError, binascii.Error, InternalError):  # InternalError: a mangled key
        raise ApiError(400, "Invalid certificate request: the PKCS#10 request could not be parsed.")
    if not valid:
        raise ApiError(400, "POPO verification failed: the signature of the PKCS#10 request is invalid.")
    return csr


def check_key(csr, profile_name):
    # Contract 8: an algorithm or key size the certificate profile does not allow is a 422.
    key = csr.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size not in RSA_SIZES:
            raise ApiError(422, "Illegal key length %d for RSA key: certificate profile '%s' allows %s bits."
                           % (key.key_size, profile_name, ", ".join(map(str, RSA_SIZES))))
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in EC_CURVES:
            raise ApiError(422, "Illegal elliptic curve %s: certificate profile '%s' allows %s."
                           % (key.curve.name, profile_name, ", ".join(EC_CURVES)))
    else:
        raise ApiError(422, "Illegal key algorithm %s: certificate profile '%s' allows RSA and ECDSA."
                       % (type(key).__name__.replace("PublicKey", "").lstrip("_"), profile_name))


def csr_sans(csr):
    try:
        return csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None


def check_names(csr, profile_name):
    # The stand-in's name policy: a CN is required and no name may contain "forbidden"
    # (an IllegalNameException, 422, in EJBCA's exception mapping).
    if not csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME):
        raise ApiError(422, "Subject DN field 'CN' is required by end entity profile '%s'." % profile_name)
    names = [str(a.value) for a in csr.subject]
    sans = csr_sans(csr)
    if sans is not None:
        names += [str(n.value) for n in sans]
    for value in names:
        if "forbidden" in value.lower():
            raise ApiError(422, "Illegal name '%s': the name is not permitted by the CA." % value)


def parse_date(text):
    """The revoke call's date: ISO 8601 with a time, past or now (a missing offset counts as UTC)."""
    try:
        if "T" not in text:
            raise ValueError(text)
        moment = from_iso(text)
    except ValueError:
        raise ApiError(400, "Invalid date format: '%s'. Use ISO 8601, e.g. '2018-06-15T14:07:09Z'." % text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    if moment > utc_now() + datetime.timedelta(seconds=5):
        raise ApiError(400, "Revocation date in the future: '%s'." % text)
    return moment


# ----------------------------------------------------------------------------- the double

class Double:
    def __init__(self, args):
        self.args = args
        self.state = State(os.path.join(args.dir, "state.json"))
        self.setup = Setup(args.dir, self.state)
        self.cas = self.setup.cas
        self.tls_context = self.setup.tls_context()
        self.faults = []
        self.offline = False
        self.stats = self.empty_stats()
        self.routes = [
            ("GET", r"certificate/status", "certificate/status", "none", self.resource_status),
            ("GET", r"ca/status", "ca/status", "none", self.resource_status),
            ("GET", r"ca", "ca", "admin", self.list_cas),
            ("POST", r"certificate/pkcs10enroll", "certificate/pkcs10enroll", "admin", self.enroll),
            ("POST", r"certificate/search", "certificate/search", "admin", self.search),
            ("POST", r"certificate/([^/]+)/finalize", "certificate/finalize", "admin", self.finalize),
            ("PUT", r"certificate/([^/]+)/([^/]+)/revoke", "certificate/revoke", "admin", self.revoke),
            ("GET", r"certificate/([^/]+)/([^/]+)/revocationstatus", "certificate/revocationstatus", "admin",
             self.revocation_status),
            ("GET", r"ca/([^/]+)/certificate/download", "ca/certificate/download", "admin", self.download),
            # EJBCA lets any client certificate (not only an administrator's) fetch a CRL.
            ("GET", r"ca/([^/]+)/getLatestCrl", "ca/getLatestCrl", "any-certificate", self.latest_crl),
        ]

    @staticmethod
    def empty_stats():
        return {"calls": {}, "statuses": {}, "enrollments": 0, "token_grants": 0, "faults_served": 0,
                "tls_handshake_failures": 0}

    def count(self, key, name=None):
        with self.state.lock:
            if name is None:
                self.stats[key] += 1
            else:
                self.stats[key][name] = self.stats[key].get(name, 0) + 1

    # -- routing --------------------------------------------------------------------------------

    def handle_api(self, req):
        rest = req.path[len(API_PREFIX):]
        matched = [r for r in self.routes if re.fullmatch(r[1], rest)]
        if not matched:
            raise ApiError(404, "RESTEASY003210: Could not find resource for full path: https://%s%s"
                           % (req.host, req.path))
        route = next((r for r in matched if r[0] == req.method), None)
        if route is None:
            raise ApiError(405, "RESTEASY003650: No resource method found for %s, return 405 with Allow header"
                           % req.method, headers=[("Allow", ", ".join(sorted({r[0] for r in matched})))])
        method, pattern, label, level, function = route
        self.count("calls", "%s %s" % (method, label))
        req.identity = self.authenticate(req, level)
        fault = self.take_fault(req.method, rest, req.path)
        self.fault_before(fault)
        reply = function(req, *re.fullmatch(pattern, rest).groups())
        if fault is not None and fault["kind"] == "lost":
            raise DropConnection()  # the work is done, the answer never arrives
        return reply

    # -- authentication -------------------------------------------------------------------------

    def authenticate(self, req, level):
        """Who is calling: the client certificate first, then (with --oauth) a Bearer token."""
        if level == "none":
            return "anonymous"
        if req.peer_der is None:
            bearer = self.bearer_client(req)
            if bearer is not None:
                return bearer
            raise ApiError(403, NO_CERT)
        cert = x509.load_der_x509_certificate(req.peer_der)
        issuer = next((ca for ca in self.cas.values() if ca.cert.subject == cert.issuer), None)
        serial = serial_hex(cert.serial_number)
        with self.state.lock:
            record = self.state.data["certificates"].get(issuer.name if issuer else "", {}).get(serial)
            admin = [issuer.name if issuer else "", serial] in self.state.data["admins"]
        if record is not None and record["status"] != "active":
            raise ApiError(403, "Authentication failed: the client certificate (serial number %s) is revoked."
                           % serial)
        if level == "admin" and not admin:
            raise ApiError(403, NOT_ADMIN)
        return ejbca_dn(cert.subject)

    def bearer_client(self, req):
        header = req.headers.get("Authorization", "")
        if not self.args.oauth or not header.lower().startswith("bearer "):
            return None
        token = header[7:].strip()
        with self.state.lock:
            record = self.state.data["tokens"].get(token)
        if record is None or record["expires_at"] <= time.time():
            raise ApiError(403, "Authentication failed using OAuth Bearer Token.")
        return "oauth:" + record["client_id"]

    def handle_token(self, req):
        """POST /oauth2/token, the identity provider's client-credentials grant (RFC 6749 4.4)."""
        if not self.args.oauth:
            return Reply(404, b"Not Found", "text/plain")
        self.count("calls", "POST oauth2/token")
        fault = self.take_fault(req.method, None, req.path)
        self.fault_before(fault)
        if not req.headers.get("Content-Type", "").lower().startswith("application/x-www-form-urlencoded"):
            return json_reply(400, {"error": "invalid_request", "error_description": "form-encoded body required"})
        form = {k: v[0] for k, v in parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        scheme, _, credential = req.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _, client_secret = base64.b64decode(credential, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                client_id = None
        if form.get("grant_type") != "client_credentials":
            return json_reply(400, {"error": "unsupported_grant_type"})
        if client_id != self.args.client_id or not secrets.compare_digest(str(client_secret or ""),
                                                                          self.args.client_secret):
            return json_reply(401, {"error": "invalid_client"}, [("WWW-Authenticate", 'Basic realm="oauth2"')])
        token = secrets.token_urlsafe(32)
        with self.state.lock:
            tokens = self.state.data["tokens"]
            for old in [t for t, r in tokens.items() if r["expires_at"] <= time.time()]:
                del tokens[old]
            tokens[token] = {"client_id": client_id, "expires_at": time.time() + self.args.token_ttl}
            self.state.save()
        self.count("token_grants")
        reply = json_reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": self.args.token_ttl},
                           [("Cache-Control", "no-store")])
        if fault is not None and fault["kind"] == "lost":
            raise DropConnection()
        return reply

    # -- faults ---------------------------------------------------------------------------------

    def take_fault(self, method, rest, path):
        """The first queued fault matching this request (its count consumed), or None.  A prefix
        starting with "/" is matched against the whole path, others against the part after v1/."""
        def matches(fault):
            target = path if fault["path_prefix"].startswith("/") else rest
            return fault["method"] in ("*", method) and target is not None and target.startswith(fault["path_prefix"])
        with self.state.lock:
            return serving.take_fault(self.faults, matches, self.stats)

    @staticmethod
    def fault_before(fault):
        if fault is None or fault["kind"] == "lost" or serving.transport_fault(fault):
            return
        status = fault["status"]
        raise ApiError(status, fault.get("message") or FAULT_MESSAGES.get(status, "Injected fault."))

    def check_online(self, ca_name):
        if self.offline:
            raise ApiError(503, "CA '%s' is offline." % ca_name)

    # -- v1/certificate -------------------------------------------------------------------------

    @staticmethod
    def resource_status(req):
        return json_reply(200, {"status": "OK", "version": "1.0", "revision": "ALPHA"})

    @staticmethod
    def json_body(req):
        # RESTEasy refuses a body it has no JSON reader for; an unreadable JSON body is a 400 here.
        if not req.headers.get("Content-Type", "").lower().startswith("application/json"):
            raise ApiError(415, "RESTEASY003065: Cannot consume content type")
        try:
            body = json.loads(req.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "Invalid JSON in the request body.")
        if not isinstance(body, dict):
            raise ApiError(400, "Invalid JSON in the request body.")
        return body  # unknown properties are ignored, as EJBCA's ObjectMapper is configured

    def enroll(self, req):
        body = self.json_body(req)
        response_format = body.get("response_format") or "DER"
        if response_format not in ENROLL_FORMATS:
            raise ApiError(400, "Invalid response format '%s': pkcs10enroll answers in DER or PKCS7."
                           % response_format)
        ca = self.cas.get(body.get("certificate_authority_name"))
        if ca is None:
            raise ApiError(404, "CA with name %s doesn't exist." % body.get("certificate_authority_name"))
        cp_name, ee_name = body.get("certificate_profile_name"), body.get("end_entity_profile_name")
        if cp_name not in CERTIFICATE_PROFILES:
            raise ApiError(404, "Certificate profile %s doesn't exist." % cp_name)
        if ee_name not in END_ENTITY_PROFILES:
            raise ApiError(404, "End entity profile %s doesn't exist." % ee_name)
        ee_profile = END_ENTITY_PROFILES[ee_name]
        if ca.name not in ee_profile["cas"]:
            raise ApiError(422, "CA '%s' is not allowed by end entity profile '%s'." % (ca.name, ee_name))
        if cp_name not in ee_profile["certificate_profiles"]:
            raise ApiError(422, "Certificate profile '%s' is not allowed by end entity profile '%s'."
                           % (cp_name, ee_name))
        username = body.get("username")
        if not isinstance(username, str) or not username.strip():
            raise ApiError(400, "Username must be set.")
        csr = parse_csr(body.get("certificate_request"))
        check_names(csr, ee_name)
        check_key(csr, cp_name)
        self.check_online(ca.name)
        include_chain = body.get("include_chain") is True
        end_time = parse_end_time(body.get("end_time"))
        with self.state.lock:
            if any(a["username"] == username and a["status"] == "waiting" for a in self.state.data["approvals"].values()):
                raise ApiError(400, "An approval request for end entity '%s' is already waiting for approval."
                               % username)
            if CERTIFICATE_PROFILES[cp_name]["approval"]:
                return self.queue_for_approval(req, ca, csr, username, cp_name, ee_name, body, end_time)
            cert = self.issue(ca, csr, username, cp_name, ee_name, end_time)
            self.log_enrollment(username, ca, cp_name, ee_name, csr, cert=cert)
        answer = self.certificate_answer(ca, cert, response_format, include_chain)
        answer.update(certificate_profile=cp_name, end_entity_profile=ee_name)
        return json_reply(201, answer)

    def queue_for_approval(self, req, ca, csr, username, cp_name, ee_name, body, end_time):
        approvals = self.state.data["approvals"]
        approval_id = secrets.randbelow(900000000) + 100000000
        while str(approval_id) in approvals:
            approval_id = secrets.randbelow(900000000) + 100000000
        approvals[str(approval_id)] = {
            "id": approval_id, "status": "waiting", "username": username, "ca": ca.name,
            "certificate_profile": cp_name, "end_entity_profile": ee_name, "email": body.get("email"),
            "csr": csr.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            "created_at": iso_z(utc_now()), "serial_number": None,
            "end_time": end_time.isoformat() if end_time else None}
        self.log_enrollment(username, ca, cp_name, ee_name, csr, approval_id=approval_id)
        link = "https://%s%scertificate/%d/finalize" % (req.host, API_PREFIX, approval_id)
        return json_reply(202, {"status_code": 202, "info_message": "Request is waiting for approval.",
                                "link": link}, note="approval %d" % approval_id)

    def issue(self, ca, csr, username, cp_name, ee_name, end_time=None):
        """Sign the CSR's key: subject and SANs from the CSR, the rest from the profile; an
        end_time (validity override, which these profiles allow) ends it earlier."""
        sans = csr_sans(csr)
        cert = end_entity_certificate(ca, csr.subject, csr.public_key(), CERTIFICATE_PROFILES[cp_name]["validity_days"],
                                      [ExtendedKeyUsageOID.SERVER_AUTH], sans, san_critical=len(csr.subject) == 0,
                                      end_time=end_time)
        with self.state.lock:
            self.state.data["certificates"][ca.name][serial_hex(cert.serial_number)] = {
                "certificate": pem(cert), "username": username, "certificate_profile": cp_name,
                "end_entity_profile": ee_name, "issued_at": iso_z(utc_now()), "status": "active",
                "reason": None, "revocation_date": None}
            self.state.save()
        return cert

    def log_enrollment(self, username, ca, cp_name, ee_name, csr, cert=None, approval_id=None):
        with self.state.lock:
            self.state.data["enrollments"].append({
                "username": username, "ca": ca.name, "certificate_profile": cp_name,
                "end_entity_profile": ee_name, "subject_dn": ejbca_dn(csr.subject), "at": iso_z(utc_now()),
                "serial_number": serial_hex(cert.serial_number) if cert else None, "approval_id": approval_id,
                "status": "issued" if cert else "waiting for approval"})
            self.stats["enrollments"] += 1
            self.state.save()

    @staticmethod
    def certificate_answer(ca, cert, response_format, include_chain):
        # Jackson writes unset fields as null, so absent chain and profiles are null, not missing.
        if response_format == "PKCS7":  # certs-only PKCS#7 with the CA chain, as EJBCA builds it
            payload = pkcs7.serialize_certificates([cert] + ca.chain(), serialization.Encoding.DER)
        elif response_format == "PEM":
            payload = pem(cert).encode()
        else:
            payload = der(cert)
        return {"certificate": b64(payload), "serial_number": serial_hex(cert.serial_number),
                "response_format": response_format,
                "certificate_chain": [b64(der(c)) for c in ca.chain()] if include_chain else None,
                "certificate_profile": None, "end_entity_profile": None}

    def search(self, req):
        """POST v1/certificate/search, the part the double knows: criteria {"property": "QUERY",
        "value": <username>, "operation": "EQUAL"} (EJBCA's QUERY matches a username or a subject
        DN); `max_number_of_results` (1..400). -> {"certificates": [...], "more_results": bool}."""
        body = self.json_body(req)
        limit = body.get("max_number_of_results")
        if not isinstance(limit, int) or not 1 <= limit <= 400:
            raise ApiError(400, "Invalid search criteria content, max_number_of_results must be between 1 and 400.")
        wanted = []
        for criterion in body.get("criteria") or []:
            if criterion.get("property") != "QUERY" or criterion.get("operation") != "EQUAL":
                raise ApiError(400, "Invalid search criteria content, the double knows QUERY EQUAL only.")
            wanted.append(str(criterion.get("value", "")))
        if not wanted:
            raise ApiError(400, "Invalid search criteria content, at least one criterion is required.")
        found = []
        with self.state.lock:
            for ca_name, records in self.state.data["certificates"].items():
                ca = self.cas.get(ca_name)
                for serial, record in records.items():
                    if record["username"] in wanted and ca is not None:
                        cert = x509.load_pem_x509_certificate(record["certificate"].encode())
                        found.append(self.certificate_answer(ca, cert, "DER", False))
        return json_reply(200, {"certificates": found[:limit], "more_results": len(found) > limit})

    def finalize(self, req, raw_id):
        if not re.fullmatch(r"-?\d{1,10}", raw_id):  # the path parameter is a Java int
            raise ApiError(404, "RESTEASY003870: Unable to extract parameter from http request: "
                                "javax.ws.rs.PathParam(\"request_id\") value is '%s'" % unquote(raw_id))
        body = self.json_body(req)
        with self.state.lock:
            approval = self.state.data["approvals"].get(str(int(raw_id)))
            if approval is None:
                raise ApiError(400, "Could not find request with Id '%s'" % int(raw_id))
            response_format = body.get("response_format")
            if response_format not in FINALIZE_FORMATS:
                raise ApiError(400, "Invalid parameter: response_format")
            approval_id = approval["id"]
            if approval["status"] == "waiting":
                # EJBCA throws WaitingForApprovalException here, which its exception mapper turns
                # into the same 202 "info" answer the enrolment gave.
                link = "https://%s%scertificate/%d/finalize" % (req.host, API_PREFIX, approval_id)
                return json_reply(202, {"status_code": 202, "link": link, "info_message":
                                        "Request with Id '%d' is still waiting for approval" % approval_id})
            if approval["status"] == "rejected":
                raise ApiError(400, "Request with Id '%d' has been rejected" % approval_id)
            if approval["status"] == "finalized":
                raise ApiError(400, "Enrollment with Id '%d' has already been finalized" % approval_id)
            ca = self.cas[approval["ca"]]
            self.check_online(ca.name)
            csr = x509.load_pem_x509_csr(approval["csr"].encode())
            cert = self.issue(ca, csr, approval["username"], approval["certificate_profile"],
                              approval["end_entity_profile"],
                              datetime.datetime.fromisoformat(approval["end_time"]) if approval.get("end_time") else None)
            approval.update(status="finalized", serial_number=serial_hex(cert.serial_number))
            for entry in self.state.data["enrollments"]:
                if entry["approval_id"] == approval_id:
                    entry.update(status="issued", serial_number=serial_hex(cert.serial_number))
            self.state.save()
        # Contract 8: finalize answers without a chain (and without the profile names).
        return json_reply(201, self.certificate_answer(ca, cert, response_format, False))

    def exact_ca(self, raw_dn):
        """The CA whose DN is exactly the percent-decoded path segment; else a bare 400 (contract 8)."""
        dn = unquote(raw_dn)
        ca = next((c for c in self.cas.values() if c.dn == dn), None)
        if ca is None:
            raise ApiError(400, body=False)
        return ca, dn

    def ca_by_dn(self, raw_dn):
        """The CA a DN names, compared as EJBCA does after normalising (spacing, case, order)."""
        dn = unquote(raw_dn)
        wanted = parse_dn(dn)
        ca = next((c for c in self.cas.values() if wanted and c.normal_dn == wanted), None)
        if ca is None:
            raise ApiError(404, "CA '%s' does not exist." % dn)
        return ca, dn

    def find_certificate(self, ca, dn, serial_text):
        serial = serial_hex(parse_serial(serial_text))
        record = self.state.data["certificates"][ca.name].get(serial)
        if record is None:
            raise ApiError(404, "Certificate with serial number '%s' and issuer DN '%s' was not found"
                           % (serial_text, dn))
        return record

    def revoke(self, req, raw_dn, raw_serial):
        ca, dn = self.exact_ca(raw_dn)
        reason = req.params.get("reason")
        if reason not in REVOCATION_REASONS:
            raise ApiError(400, "Invalid revocation reason.")
        serial_text = unquote(raw_serial)
        parse_serial(serial_text)
        moment = parse_date(req.params["date"]) if "date" in req.params else utc_now()
        self.check_online(ca.name)
        with self.state.lock:
            record = self.find_certificate(ca, dn, serial_text)
            self.change_status(record, reason, moment, serial_text, dn)
            self.state.data["crls"].setdefault(ca.name, {})["stale"] = True
            self.state.save()
        # EJBCA builds this answer from the request alone, so a reactivation reads the same.
        return json_reply(200, {"issuer_dn": dn, "serial_number": serial_text, "revocation_reason": reason,
                                "revocation_date": iso_z(moment), "message": "Successfully revoked",
                                "revoked": True})

    @staticmethod
    def change_status(record, reason, moment, serial_text, dn):
        """active -> revoked or on hold; on hold -> revoked, or active again with REMOVE_FROM_CRL /
        NOT_REVOKED; revoked for good -> 409."""
        status = record["status"]
        if REVOCATION_REASONS[reason] is None:  # take off hold
            if status != "hold":
                raise ApiError(400, "Certificate with serial number '%s' is not on hold; only a certificate "
                                    "on hold can be reactivated." % serial_text)
            record.update(status="active", reason=None, revocation_date=None)
            return
        if status == "revoked" or status == "hold" and reason == "CERTIFICATE_HOLD":
            raise ApiError(409, "Certificate with serial number '%s' and issuer DN '%s' has previously been "
                                "revoked. Revocation reason could not be changed or was not allowed."
                           % (serial_text, dn))
        record.update(status="hold" if reason == "CERTIFICATE_HOLD" else "revoked", reason=reason,
                      revocation_date=iso_z(moment))

    def revocation_status(self, req, raw_dn, raw_serial):
        ca, dn = self.ca_by_dn(raw_dn)
        serial_text = unquote(raw_serial)
        with self.state.lock:
            record = dict(self.find_certificate(ca, dn, serial_text))
        revoked = record["status"] != "active"
        return json_reply(200, {"issuer_dn": dn, "serial_number": serial_text,
                                "revocation_reason": record["reason"] if revoked else "NOT_REVOKED",
                                "revocation_date": record["revocation_date"] if revoked else None,
                                "message": "Certificate is revoked" if revoked else "Certificate is not revoked",
                                "revoked": revoked})

    # -- v1/ca ----------------------------------------------------------------------------------

    def list_cas(self, req):
        return json_reply(200, {"certificate_authorities": [
            {"id": int.from_bytes(ca.ski.digest[:4], "big") >> 1, "name": ca.name, "subject_dn": ca.dn,
             "issuer_dn": ejbca_dn(ca.cert.issuer), "expiration_date": iso_z(not_after(ca.cert))}
            for ca in self.cas.values()]})

    def download(self, req, raw_dn):
        """The CA's chain (the CA first, root last) as EJBCA's CertTools writes it: each PEM block
        preceded by "Subject:" and "Issuer:" lines, served as an attachment."""
        ca, _ = self.ca_by_dn(raw_dn)
        text = "".join("Subject: %s\nIssuer: %s\n%s" % (ejbca_dn(c.subject), ejbca_dn(c.issuer), pem(c))
                       for c in ca.chain())
        filename = re.sub(r"[^A-Za-z0-9=,._-]", "_", ca.dn) + ".cacert.pem"
        return Reply(200, text.encode(), "application/octet-stream",
                     [("Content-Disposition", 'attachment; filename="%s"' % filename)])

    def latest_crl(self, req, raw_dn):
        ca, _ = self.ca_by_dn(raw_dn)
        if req.params.get("deltaCrl", "false").lower() == "true" or req.params.get("crlPartitionIndex", "0") != "0":
            return json_reply(200, {"crl": None, "response_format": "DER"})  # no delta CRLs or partitions here
        return json_reply(200, {"crl": b64(self.current_crl(ca)), "response_format": "DER"})

    def current_crl(self, ca):
        """The latest CRL; a new one (next CRL number) once a revocation has changed anything."""
        with self.state.lock:
            stored = self.state.data["crls"].setdefault(ca.name, {})
            if stored.get("der") and not stored.get("stale"):
                return base64.b64decode(stored["der"])
            number = stored.get("number", 0) + 1
            now = utc_now()
            builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.cert.subject)
                       .last_update(now).next_update(now + datetime.timedelta(days=1))
                       .add_extension(x509.CRLNumber(number), critical=False)
                       .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca.ski),
                                      critical=False))
            for serial, record in self.state.data["certificates"][ca.name].items():
                if record["status"] == "active":
                    continue
                entry = (x509.RevokedCertificateBuilder().serial_number(int(serial, 16))
                         .revocation_date(from_iso(record["revocation_date"])))
                flag = REVOCATION_REASONS[record["reason"]]
                if flag is not x509.ReasonFlags.unspecified:  # RFC 5280: omit rather than say unspecified
                    entry = entry.add_extension(x509.CRLReason(flag), critical=False)
                builder = builder.add_revoked_certificate(entry.build())
            crl = builder.sign(ca.key, signing_hash(ca.key)).public_bytes(serialization.Encoding.DER)
            stored.update(number=number, der=b64(crl), stale=False, this_update=iso_z(now))
            self.state.save()
            return crl

    # -- test controls --------------------------------------------------------------------------

    def handle_control(self, req):
        method, path = req.method, req.path.rstrip("/")
        try:
            body = json.loads(req.body.decode("utf-8")) if req.body.strip() else {}
        except (ValueError, UnicodeDecodeError) as exc:
            return json_reply(400, {"error": "body is not JSON: %s" % exc})
        state = self.state
        with state.lock:
            if path == "/_double/faults" and method == "POST":
                added = []
                for spec in body if isinstance(body, list) else [body]:
                    fault, problem = self.make_fault(spec)
                    if problem:
                        return json_reply(400, {"error": problem})
                    added.append(fault)
                self.faults.extend(added)
                return json_reply(200, {"faults": self.faults})
            if path == "/_double/faults" and method in ("GET", "DELETE"):
                if method == "DELETE":
                    self.faults.clear()
                return json_reply(200, {"faults": self.faults})
            if path == "/_double/offline" and method == "POST":
                if not isinstance(body, dict) or not isinstance(body.get("on"), bool):
                    return json_reply(400, {"error": 'expected {"on": true|false}'})
                self.offline = body["on"]
                return json_reply(200, {"offline": self.offline})
            if path in ("/_double/approve", "/_double/reject") and method == "POST":
                return self.decide(body, "approved" if path.endswith("approve") else "rejected")
            if path == "/_double/approvals" and method == "GET":
                return json_reply(200, {"approvals": [dict(a, csr=None) for a in state.data["approvals"].values()]})
            if path == "/_double/stats" and method == "GET":
                return json_reply(200, self.stats)
            if path == "/_double/stats" and method == "DELETE":
                self.stats = self.empty_stats()
                return json_reply(200, self.stats)
            if path == "/_double/enrollments" and method in ("GET", "DELETE"):
                if method == "DELETE":
                    state.data["enrollments"] = []
                    state.save()
                per_username = {}
                for entry in state.data["enrollments"]:
                    per_username[entry["username"]] = per_username.get(entry["username"], 0) + 1
                return json_reply(200, {"enrollments": state.data["enrollments"], "per_username": per_username})
            if path == "/_double/expire-tokens" and method == "POST":
                for record in state.data["tokens"].values():
                    record["expires_at"] = min(record["expires_at"], time.time() - 1)
                state.save()
                return json_reply(200, {"expired": len(state.data["tokens"])})
        return json_reply(404, {"error": "no such control: %s %s" % (method, path)})

    def decide(self, body, outcome):
        approval_id = body.get("id") if isinstance(body, dict) else None
        approval = self.state.data["approvals"].get(str(approval_id))
        if approval is None:
            return json_reply(404, {"error": "no approval request with id %r" % (approval_id,)})
        if approval["status"] != "waiting":
            return json_reply(409, {"error": "approval request %s is %s, not waiting" % (approval_id, approval["status"])})
        approval["status"] = outcome
        if outcome == "rejected":
            for entry in self.state.data["enrollments"]:
                if entry["approval_id"] == approval["id"]:
                    entry["status"] = "rejected"
        self.state.save()
        return json_reply(200, {"id": approval["id"], "status": outcome})

    @staticmethod
    def make_fault(spec):
        """{"path_prefix", "method", "count", and one of: "status" (+ "message"), "drop": true,
        "reset": true, "lost": true, "delay": seconds} (or an explicit "kind")."""
        if not isinstance(spec, dict):
            return None, "each fault must be an object"
        kind = spec.get("kind") or next((k for k in ("drop", "reset", "lost") if spec.get(k) is True), None)
        if kind is None:
            kind = "delay" if "delay" in spec else "status"
        if kind not in FAULT_KINDS:
            return None, "kind must be one of %s" % ", ".join(FAULT_KINDS)
        fault = {"kind": kind, "path_prefix": str(spec.get("path_prefix", "")),
                 "method": str(spec.get("method", "*")).upper(), "message": spec.get("message")}
        try:
            fault["count"] = int(spec.get("count", 1))
            fault["seconds"] = float(spec.get("delay", spec.get("seconds", 1)))
        except (TypeError, ValueError):
            return None, "count and delay must be numbers"
        if kind == "status":
            if not isinstance(spec.get("status"), int) or not 400 <= spec["status"] <= 599:
                return None, "a status fault needs status: 400..599"
            fault["status"] = spec["status"]
        return fault, None


# ----------------------------------------------------------------------------- HTTP plumbing

class Request:
    """What a handler needs from one HTTP request, parsed once."""

    def __init__(self, handler, body):
        split = urlsplit(handler.path)
        self.method, self.path, self.body, self.headers = handler.command, split.path, body, handler.headers
        self.params = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        self.host = handler.headers.get("Host") or "127.0.0.1:%d" % handler.server.server_address[1]
        connection = handler.connection
        self.peer_der = connection.getpeercert(binary_form=True) if isinstance(connection, ssl.SSLSocket) else None
        self.identity = None


class Handler(serving.LoggingHandler):
    log_name = NAME
    protocol_version = "HTTP/1.1"  # keep-alive; every answer has a length
    server_version = "ejbca-double"
    sys_version = ""
    timeout = 60  # an idle keep-alive connection is closed after a minute

    def version_string(self):
        return self.server_version

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
        req = Request(self, body)
        counted = True
        try:
            if req.path.startswith("/_double/"):
                counted = False
                reply = double.handle_control(req)
            elif req.path == TOKEN_PATH:
                reply = double.handle_token(req)
            elif req.path.startswith(API_PREFIX):
                reply = double.handle_api(req)
            else:
                reply = Reply(404, b"Not Found", "text/plain")
        except ApiError as err:
            reply = error_reply(err)
        except DropConnection as drop:
            return self.drop(drop)
        except Exception:  # a bug in the double: say so loudly rather than hang the client
            traceback.print_exc()
            self.close_connection = True
            reply = json_reply(500, {"error_code": 500, "error_message": "General failure."},
                               note="internal error in ejbca_double.py")
        if counted:
            double.count("statuses", str(reply.status))
        self.send(reply)



class Server(serving.QuietServer):
    """HTTPS only.  Each accepted socket is wrapped here and its handshake done in the request's own
    thread, so a slow or failing client never stalls the accept loop."""

    def get_request(self):
        sock, address = super().get_request()
        return self.double.tls_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def finish_request(self, request, client_address):
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError) as exc:
            # e.g. a client certificate from an unknown CA, or a client that distrusts tls-ca.pem
            self.double.count("tls_handshake_failures")
            sys.stderr.write("%s: TLS handshake failed: %s\n" % (NAME, getattr(exc, "reason", None) or exc))
            return
        request.settimeout(None)
        super().finish_request(request, client_address)


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Loopback EJBCA REST API v1 double (HTTPS, client certificates).")
    parser.add_argument("--dir", required=True, help="state directory (CAs, keys, client certificates, port)")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (written to DIR/port)")
    parser.add_argument("--oauth", action="store_true",
                        help="also accept OAuth2 Bearer tokens from POST /oauth2/token")
    parser.add_argument("--client-id", default="signet-client")
    parser.add_argument("--client-secret", default="signet-secret")
    parser.add_argument("--token-ttl", type=int, default=300, help="OAuth access token lifetime, seconds")
    return parser.parse_args(argv)


def announce(double):
    # serving.serve prints "listening on http://..."; say plainly that it is HTTPS.
    print("%s: HTTPS only (server certificate from DIR/tls-ca.pem), API under %s" % (NAME, API_PREFIX), flush=True)


def main(argv=None):
    args = parse_args(argv)
    return serving.serve(NAME, args.dir, args.port, Server, Handler, lambda: Double(args), on_bound=announce)


if __name__ == "__main__":
    sys.exit(main())
