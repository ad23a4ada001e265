#!/usr/bin/env python3
"""aws_double.py - a loopback stand-in for the AWS services that Signet's ca-awspca plugin uses.

One plain-HTTP server on 127.0.0.1 answers, as AWS does on the wire:
  * AWS Private CA (awsJson 1.1, POST / with X-Amz-Target: ACMPrivateCA.<Op>):
    DescribeCertificateAuthority, GetCertificateAuthorityCertificate, IssueCertificate,
    GetCertificate, RevokeCertificate;
  * STS (awsQuery, form-encoded POST /): AssumeRole (signed), AssumeRoleWithWebIdentity;
  * EC2 instance metadata (IMDSv2 only) and ECS container credentials;
  * test controls under /_double/ (unsigned JSON).

Every signed request is verified with botocore's own SigV4 signer as an independent oracle:
a client's SigV4 code is never judged by SigV4 code written next to it.
The behaviour follows AWS's published contract (the botocore service model, the API reference, Smithy awsJson: what AWS does),
not what any particular client expects.  AWS itself is never contacted.
Works with Python 3.11, cryptography >= 38 and botocore >= 1.29 (Debian 12) as well as newer.
"""

import argparse
import base64
import binascii
import calendar
import datetime
import hashlib
import hmac
import ipaddress
import json
import os
import re
import secrets
import sys
import threading
import time
import traceback
import uuid
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape as xml_escape

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import serving  # noqa: E402  (tests/doubles/serving.py)

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import (AuthorityInformationAccessOID, ExtendedKeyUsageOID, ExtensionOID,
                                   NameOID, ObjectIdentifier)

try:
    # botocore is only the SigV4 oracle; importing this module without it (e.g. to test the
    # certificate code under a bare system Python) must still work, so fail in main() instead.
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.compat import HTTPHeaders
    from botocore.credentials import Credentials

    class OracleSigV4(SigV4Auth):
        """botocore's SigV4Auth, canonicalising exactly the headers the client signed.

        The stock headers_to_sign() drops a blacklist (user-agent, expect, ...) because botocore,
        as a *client*, never signs them; a server must verify whatever the client listed.
        Everything else (value trimming, path/query canonicalisation, hashing, key derivation)
        is botocore's code unchanged."""

        def headers_to_sign(self, request):
            picked = HTTPHeaders()
            for name, value in request.headers.items():
                picked[name.lower()] = value
            return picked

    BOTOCORE_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by main()
    BOTOCORE_ERROR = exc

# ----------------------------------------------------------------------------- constants

ACCOUNT = "123456789012"
ROLE_NAME = "signet-test-role"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
JSON_CT = "application/x-amz-json-1.1"
IDEMPOTENCY_WINDOW = 300  # seconds a token is honoured (contract 8: five minutes)
CLOCK_SKEW = 300          # SigV4 accepts X-Amz-Date within 5 minutes of server time
DEFAULT_CREDENTIALS = {"AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
PCA_ARN_RE = re.compile(r"arn:[\w+=/,.@-]+:acm-pca:[\w+=/,.@-]*:[0-9]*:[\w+=,.@-]+(/[\w+=,.@-]+)*")
TEMPLATE_ARN_RE = re.compile(r"arn:([\w-]+):acm-pca:::template/(.+)")
TOKEN_RE = re.compile("[\u0009\u000a\u000d\u0020-\u00ff]{1,36}")
ROLE_ARN_RE = re.compile(r"arn:aws[\w-]*:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)")
SESSION_NAME_RE = re.compile(r"[\w+=,.@-]{2,64}")

# The full SigningAlgorithm enum (contract 1.7); only the ones fitting the CA key are usable.
SIGNING_ALGORITHMS = ["SHA256WITHECDSA", "SHA384WITHECDSA", "SHA512WITHECDSA", "SHA256WITHRSA",
                      "SHA384WITHRSA", "SHA512WITHRSA", "SM3WITHSM2", "ML_DSA_44", "ML_DSA_65",
                      "ML_DSA_87"]
USABLE_SIGNING = {
    "EC": {"SHA256WITHECDSA": hashes.SHA256, "SHA384WITHECDSA": hashes.SHA384,
           "SHA512WITHECDSA": hashes.SHA512},
    "RSA": {"SHA256WITHRSA": hashes.SHA256, "SHA384WITHRSA": hashes.SHA384,
            "SHA512WITHRSA": hashes.SHA512},
}
REVOCATION_REASONS = ["UNSPECIFIED", "KEY_COMPROMISE", "CERTIFICATE_AUTHORITY_COMPROMISE",
                      "AFFILIATION_CHANGED", "SUPERSEDED", "CESSATION_OF_OPERATION",
                      "PRIVILEGE_WITHDRAWN", "A_A_COMPROMISE"]
CA_STATUSES = ["CREATING", "PENDING_CERTIFICATE", "ACTIVE", "DELETED", "DISABLED", "EXPIRED", "FAILED"]
VALIDITY_TYPES = ["END_DATE", "ABSOLUTE", "DAYS", "MONTHS", "YEARS"]
EKU_TYPES = {
    "SERVER_AUTH": ExtendedKeyUsageOID.SERVER_AUTH, "CLIENT_AUTH": ExtendedKeyUsageOID.CLIENT_AUTH,
    "CODE_SIGNING": ExtendedKeyUsageOID.CODE_SIGNING,
    "EMAIL_PROTECTION": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "TIME_STAMPING": ExtendedKeyUsageOID.TIME_STAMPING, "OCSP_SIGNING": ExtendedKeyUsageOID.OCSP_SIGNING,
    "SMART_CARD_LOGIN": ObjectIdentifier("1.3.6.1.4.1.311.20.2.2"),
    "DOCUMENT_SIGNING": ObjectIdentifier("1.3.6.1.5.5.7.3.36"),
    "CERTIFICATE_TRANSPARENCY": ObjectIdentifier("1.3.6.1.4.1.11129.2.4.4"),
}
KEY_USAGE_FIELDS = [("DigitalSignature", "digital_signature"), ("NonRepudiation", "content_commitment"),
                    ("KeyEncipherment", "key_encipherment"), ("DataEncipherment", "data_encipherment"),
                    ("KeyAgreement", "key_agreement"), ("KeyCertSign", "key_cert_sign"),
                    ("CRLSign", "crl_sign"), ("EncipherOnly", "encipher_only"),
                    ("DecipherOnly", "decipher_only")]
SUBJECT_FIELDS = [("Country", NameOID.COUNTRY_NAME), ("State", NameOID.STATE_OR_PROVINCE_NAME),
                  ("Locality", NameOID.LOCALITY_NAME), ("Organization", NameOID.ORGANIZATION_NAME),
                  ("OrganizationalUnit", NameOID.ORGANIZATIONAL_UNIT_NAME),
                  ("DistinguishedNameQualifier", NameOID.DN_QUALIFIER), ("Title", NameOID.TITLE),
                  ("Surname", NameOID.SURNAME), ("GivenName", NameOID.GIVEN_NAME),
                  ("Initials", ObjectIdentifier("2.5.4.43")), ("Pseudonym", NameOID.PSEUDONYM),
                  ("GenerationQualifier", NameOID.GENERATION_QUALIFIER),
                  ("SerialNumber", NameOID.SERIAL_NUMBER), ("CommonName", NameOID.COMMON_NAME)]
# Template name -> (key usages, key usage is critical, EKUs, EKU critical); None = passthrough.
PASSTHROUGH_TEMPLATE = "BlankEndEntityCertificate_APICSRPassthrough/V1"
TEMPLATES = {
    "EndEntityCertificate/V1": (("digital_signature", "key_encipherment"),
                                ["SERVER_AUTH", "CLIENT_AUTH"], False),
    "EndEntityServerAuthCertificate/V1": (("digital_signature", "key_encipherment"),
                                          ["SERVER_AUTH"], False),
    "EndEntityClientAuthCertificate/V1": (("digital_signature",), ["CLIENT_AUTH"], False),
    "CodeSigningCertificate/V1": (("digital_signature",), ["CODE_SIGNING"], True),
    PASSTHROUGH_TEMPLATE: None,
}
# Extensions a template always sets itself; CSR copies of them are ignored.
TEMPLATE_OWNED = {ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.SUBJECT_KEY_IDENTIFIER,
                  ExtensionOID.AUTHORITY_KEY_IDENTIFIER, ExtensionOID.CRL_DISTRIBUTION_POINTS,
                  ExtensionOID.AUTHORITY_INFORMATION_ACCESS}

FAULT_KINDS = ("throttle", "limit", "internal", "unavailable", "reset", "lost", "delay")
# Fault kind -> (HTTP status, awsJson __type, STS query Code, message)
FAULT_ERRORS = {
    "throttle": (400, "ThrottlingException", "Throttling", "Rate exceeded"),
    "limit": (400, "LimitExceededException", "LimitExceeded", "A quota has been exceeded."),
    "internal": (500, "InternalFailure", "InternalFailure",
                 "The request processing has failed because of an unknown error, exception or failure."),
    "unavailable": (503, "ServiceUnavailable", "ServiceUnavailable",
                    "The request has failed due to a temporary failure of the server."),
}
# SigV4 failure kind -> (awsJson status, __type), (query status, Code).  JSON front ends answer
# 400 for all of them (contract 1.8, 8); STS (awsQuery) uses its own codes and 403s.
AUTH_ERRORS = {
    "missing": ((400, "MissingAuthenticationTokenException"), (403, "MissingAuthenticationToken")),
    "incomplete": ((400, "IncompleteSignatureException"), (400, "IncompleteSignature")),
    "signature": ((400, "InvalidSignatureException"), (403, "SignatureDoesNotMatch")),
    "unrecognized": ((400, "UnrecognizedClientException"), (403, "InvalidClientTokenId")),
    "expired": ((400, "ExpiredTokenException"), (400, "ExpiredToken")),
}
SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you "
                      "provided. Check your AWS Secret Access Key and signing method. Consult the "
                      "service documentation for details.")


class ApiError(Exception):
    """An error answer: HTTP status, error code (__type / Code) and message."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def invalid_args(message):
    # The brief settles on InvalidArgsException for every input-validation failure of ACM-PCA
    # (AWS's exact choice for enum/length violations could not be established).
    return ApiError(400, "InvalidArgsException", message)


class AuthError(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind, self.message = kind, message


DropConnection = serving.DropConnection


# ----------------------------------------------------------------------------- small helpers

def iso_z(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def amz_date(epoch):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


def naive_utc(epoch):
    # cryptography's builders take naive datetimes as UTC in every version from 38 on.
    return datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=epoch)


def cert_epoch(cert, which):
    """notBefore/notAfter as epoch seconds without the deprecated naive accessors where possible."""
    value = getattr(cert, which + "_utc", None)
    if value is None:
        value = getattr(cert, which).replace(tzinfo=datetime.timezone.utc)
    return value.timestamp()


def colon_hex(number):
    raw = format(number, "x")
    raw = "0" * (len(raw) % 2) + raw
    return ":".join(raw[i:i + 2] for i in range(0, len(raw), 2))


def pem_of(cert):
    # AWS hands out PEM text without a trailing newline (contract 8).
    return cert.public_bytes(serialization.Encoding.PEM).decode().rstrip("\n")


def random_secret(length=40):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def random_akid():
    return "ASIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))


def add_months(moment, months):
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


# ----------------------------------------------------------------------------- persistent state

class State:
    """Everything that must survive a restart, in DIR/state.json, behind one lock."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.RLock()
        self.data = {"ca": None, "certificates": {}, "idempotency": {}, "temp_credentials": {},
                     "imds_tokens": {}, "current_role_credentials": {},
                     "counters": {"calls": {}, "issued": 0, "revoked": 0, "issue_times": [],
                                  "rejected_signatures": 0, "assume_role": 0, "web_identity": 0,
                                  "imds_credentials": 0, "ecs_credentials": 0}}
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                loaded = json.load(handle)
            for key, value in loaded.items():
                if isinstance(value, dict) and isinstance(self.data.get(key), dict):
                    self.data[key].update(value)
                else:
                    self.data[key] = value

    def save(self):
        with self.lock:
            serving.write_atomic(self.path, json.dumps(self.data, indent=1, sort_keys=True).encode())

    def bump(self, name, amount=1):
        with self.lock:
            self.data["counters"][name] += amount
            self.save()


# ----------------------------------------------------------------------------- the CA

class CertificateAuthority:
    """A root and the subordinate issuing CA that plays the PCA certificate authority."""

    def __init__(self, directory, state, region, key_algorithm):
        self.dir = directory
        with state.lock:
            if state.data["ca"] is None or not os.path.exists(self._path("issuing-key.pem")):
                state.data["ca"] = self._create(region, key_algorithm)
                state.save()
            self.info = state.data["ca"]
        if self.info["key_algorithm"] != key_algorithm:
            print("aws-double: keeping the existing %s CA in %s (--key-algorithm %s ignored)"
                  % (self.info["key_algorithm"], directory, key_algorithm), file=sys.stderr)
        self.arn = self.info["arn"]
        self.key_algorithm = self.info["key_algorithm"]
        self.family = "EC" if self.key_algorithm.startswith("EC_") else "RSA"
        self.signing_algorithm = "SHA256WITHECDSA" if self.family == "EC" else "SHA256WITHRSA"
        self.root = self._load_cert("root.pem")
        self.issuing = self._load_cert("issuing.pem")
        with open(self._path("issuing-key.pem"), "rb") as handle:
            self.key = serialization.load_pem_private_key(handle.read(), password=None)
        self.not_before = cert_epoch(self.issuing, "not_valid_before")
        self.not_after = cert_epoch(self.issuing, "not_valid_after")
        self.ski = self.issuing.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        # DIR/ca-arn and DIR/root.pem are what tests read; rewrite them on every start.
        serving.write_atomic(self._path("ca-arn"), (self.arn + "\n").encode())
        serving.write_atomic(self._path("root.pem"), (pem_of(self.root) + "\n").encode())

    def _path(self, name):
        return os.path.join(self.dir, name)

    def _load_cert(self, name):
        with open(self._path(name), "rb") as handle:
            return x509.load_pem_x509_certificate(handle.read())

    @staticmethod
    def _new_key(key_algorithm):
        if key_algorithm == "RSA_2048":
            return rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return ec.generate_private_key(ec.SECP256R1())

    def _create(self, region, key_algorithm):
        ca_id = str(uuid.uuid4())
        now = time.time()
        root_key, issuing_key = self._new_key(key_algorithm), self._new_key(key_algorithm)
        root_name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                               x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Signet Test"),
                               x509.NameAttribute(NameOID.COMMON_NAME, "Signet Test Root CA")])
        issuing_name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                                  x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Signet Test"),
                                  x509.NameAttribute(NameOID.COMMON_NAME, "Signet Test Issuing CA")])
        root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
        root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
                .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(naive_utc(now - 86400)).not_valid_after(naive_utc(now + 10 * 365 * 86400))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                               critical=True)
                .add_extension(root_ski, critical=False)
                .sign(root_key, hashes.SHA256()))
        issuing = (x509.CertificateBuilder().subject_name(issuing_name).issuer_name(root_name)
                   .public_key(issuing_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(naive_utc(now - 86400)).not_valid_after(naive_utc(now + 5 * 365 * 86400))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                                  critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(issuing_key.public_key()),
                                  critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski),
                                  critical=False)
                   .sign(root_key, hashes.SHA256()))
        pkcs8 = dict(encoding=serialization.Encoding.PEM, format=serialization.PrivateFormat.PKCS8,
                     encryption_algorithm=serialization.NoEncryption())
        serving.write_atomic(self._path("root-key.pem"), root_key.private_bytes(**pkcs8), 0o600)
        serving.write_atomic(self._path("issuing-key.pem"), issuing_key.private_bytes(**pkcs8), 0o600)
        serving.write_atomic(self._path("root.pem"), root.public_bytes(serialization.Encoding.PEM))
        serving.write_atomic(self._path("issuing.pem"), issuing.public_bytes(serialization.Encoding.PEM))
        os.makedirs(self._path("certs"), exist_ok=True)
        return {"id": ca_id, "key_algorithm": key_algorithm, "created_at": round(now, 3),
                "last_state_change_at": round(now, 3), "status": "ACTIVE",
                "arn": "arn:aws:acm-pca:%s:%s:certificate-authority/%s" % (region, ACCOUNT, ca_id)}

    def chain_pem(self):
        # The chain above the leaf, root last (contract 8).
        return pem_of(self.issuing) + "\n" + pem_of(self.root)


# ----------------------------------------------------------------------------- request parsing

def require(params, name, kind=str):
    value = params.get(name)
    if value is None:
        raise invalid_args("1 validation error detected: Value null at '%s' failed to satisfy "
                           "constraint: Member must not be null" % name)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise invalid_args("Value at '%s' has the wrong type." % name)
    return value


def require_enum(params, name, allowed):
    value = require(params, name)
    if value not in allowed:
        raise invalid_args("1 validation error detected: Value '%s' at '%s' failed to satisfy "
                           "constraint: Member must satisfy enum value set: [%s]"
                           % (value, name, ", ".join(allowed)))
    return value


def parse_csr(blob):
    """Csr on the wire is base64 of the PEM text (contract 1.2)."""
    if not isinstance(blob, str) or not blob:
        raise invalid_args("1 validation error detected: Value null at 'csr' failed to satisfy "
                           "constraint: Member must not be null")
    try:
        pem = base64.b64decode(blob.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ApiError(400, "MalformedCSRException", "The CSR is not base64 encoded.")
    if not 1 <= len(pem) <= 32768:
        raise invalid_args("Csr must be between 1 and 32768 bytes.")
    if b"-----BEGIN CERTIFICATE REQUEST-----" not in pem and b"-----BEGIN NEW CERTIFICATE REQUEST-----" not in pem:
        raise ApiError(400, "MalformedCSRException", "The certificate signing request is not in PEM format.")
    try:
        csr = x509.load_pem_x509_csr(pem)
        valid = csr.is_signature_valid
        key = csr.public_key()
        list(csr.extensions)
    except Exception:  # any parse failure is a malformed CSR to the caller
        raise ApiError(400, "MalformedCSRException", "The certificate signing request is invalid.")
    if not valid:
        raise ApiError(400, "MalformedCSRException", "The CSR signature is invalid.")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048 or not isinstance(
            key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)) or isinstance(
            key, ec.EllipticCurvePublicKey) and key.curve.name not in ("secp256r1", "secp384r1", "secp521r1"):
        raise ApiError(400, "MalformedCSRException", "The CSR public key algorithm is not supported.")
    return csr


def validity_time(spec, now, member):
    """Turn a Validity {Type, Value} into an epoch time (contract 1.7, ValidityPeriodType)."""
    if not isinstance(spec, dict):
        raise invalid_args("1 validation error detected: Value null at '%s' failed to satisfy "
                           "constraint: Member must not be null" % member)
    kind = require_enum(spec, "Type", VALIDITY_TYPES)
    value = require(spec, "Value", int)
    if value < 1:
        raise invalid_args("Value at '%s.value' must be greater than or equal to 1." % member)
    start = naive_utc(now)
    try:
        if kind == "ABSOLUTE":
            return float(value)
        if kind == "END_DATE":
            digits = str(value)
            if len(digits) == 12:  # UTCTime YYMMDDHHMMSS: YY < 50 means 20YY (RFC 5280)
                digits = ("20" if int(digits[:2]) < 50 else "19") + digits
            if len(digits) != 14:
                raise ValueError(digits)
            moment = datetime.datetime.strptime(digits, "%Y%m%d%H%M%S")
        elif kind == "DAYS":
            moment = start + datetime.timedelta(days=value)
        elif kind == "MONTHS":
            moment = add_months(start, value)
        else:
            moment = add_months(start, 12 * value)
    except (ValueError, OverflowError):
        raise invalid_args("The %s value %s is not a valid %s." % (member, value, kind))
    return (moment - datetime.datetime(1970, 1, 1)).total_seconds()


def subject_from_api(spec):
    if not isinstance(spec, dict):
        raise invalid_args("ApiPassthrough.Subject must be a structure.")
    attributes = []
    try:
        for field, oid in SUBJECT_FIELDS:
            if spec.get(field) is not None:
                attributes.append(x509.NameAttribute(oid, str(spec[field])))
        for custom in spec.get("CustomAttributes") or []:
            attributes.append(x509.NameAttribute(ObjectIdentifier(custom["ObjectIdentifier"]),
                                                 str(custom["Value"])))
        return x509.Name(attributes)
    except (ValueError, KeyError, TypeError) as exc:
        raise invalid_args("Invalid subject in ApiPassthrough: %s" % exc)


def general_names(entries):
    names = []
    for entry in entries:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise invalid_args("Each GeneralName must set exactly one member.")
        (kind, value), = entry.items()
        try:
            if kind == "DnsName":
                names.append(x509.DNSName(value))
            elif kind == "IpAddress":
                names.append(x509.IPAddress(ipaddress.ip_address(value)))
            elif kind == "Rfc822Name":
                names.append(x509.RFC822Name(value))
            elif kind == "UniformResourceIdentifier":
                names.append(x509.UniformResourceIdentifier(value))
            elif kind == "RegisteredId":
                names.append(x509.RegisteredID(ObjectIdentifier(value)))
            elif kind == "DirectoryName":
                names.append(x509.DirectoryName(subject_from_api(value)))
            else:
                raise invalid_args("GeneralName member %s is not supported by this double." % kind)
        except (ValueError, TypeError) as exc:
            raise invalid_args("Invalid %s %r: %s" % (kind, value, exc))
    return names


def api_passthrough_extensions(spec):
    """ApiPassthrough.Extensions -> {oid: (extension value, critical)}."""
    if not isinstance(spec, dict):
        raise invalid_args("ApiPassthrough.Extensions must be a structure.")
    out = {}
    if spec.get("SubjectAlternativeNames") is not None:
        out[ExtensionOID.SUBJECT_ALTERNATIVE_NAME] = (
            x509.SubjectAlternativeName(general_names(spec["SubjectAlternativeNames"])), False)
    if spec.get("KeyUsage") is not None:
        flags = {attr: bool(spec["KeyUsage"].get(api, False)) for api, attr in KEY_USAGE_FIELDS}
        try:
            out[ExtensionOID.KEY_USAGE] = (x509.KeyUsage(**flags), True)
        except ValueError as exc:
            raise invalid_args("Invalid KeyUsage: %s" % exc)
    if spec.get("ExtendedKeyUsage") is not None:
        oids = []
        for item in spec["ExtendedKeyUsage"]:
            if item.get("ExtendedKeyUsageType") in EKU_TYPES:
                oids.append(EKU_TYPES[item["ExtendedKeyUsageType"]])
            elif item.get("ExtendedKeyUsageObjectIdentifier"):
                oids.append(ObjectIdentifier(item["ExtendedKeyUsageObjectIdentifier"]))
            else:
                raise invalid_args("Invalid ExtendedKeyUsage entry %r." % item)
        out[ExtensionOID.EXTENDED_KEY_USAGE] = (x509.ExtendedKeyUsage(oids), False)
    if spec.get("CertificatePolicies") is not None:
        policies = []
        for item in spec["CertificatePolicies"]:
            cps = [q["Qualifier"]["CpsUri"] for q in item.get("PolicyQualifiers") or []]
            policies.append(x509.PolicyInformation(ObjectIdentifier(item["CertPolicyId"]), cps or None))
        out[ExtensionOID.CERTIFICATE_POLICIES] = (x509.CertificatePolicies(policies), False)
    for item in spec.get("CustomExtensions") or []:
        oid = ObjectIdentifier(item["ObjectIdentifier"])
        out[oid] = (x509.UnrecognizedExtension(oid, base64.b64decode(item["Value"])),
                    bool(item.get("Critical", False)))
    return out


# ----------------------------------------------------------------------------- the double

class Double:
    def __init__(self, args):
        self.args = args
        self.region = args.region
        self.state = State(os.path.join(args.dir, "state.json"))
        self.ca = CertificateAuthority(args.dir, self.state, args.region, args.key_algorithm)
        self.static_credentials = dict(DEFAULT_CREDENTIALS)
        if args.credentials:
            with open(args.credentials, encoding="utf-8") as handle:
                self.static_credentials = json.load(handle)
        with self.state.lock:  # --status applies at every start
            if self.state.data["ca"]["status"] != args.status:
                self.state.data["ca"]["status"] = args.status
                self.state.data["ca"]["last_state_change_at"] = round(time.time(), 3)
                self.state.save()
        self.in_progress = args.in_progress
        self.faults = []
        self.fault_lock = threading.Lock()
        self.pca_operations = {
            "DescribeCertificateAuthority": self.describe_certificate_authority,
            "GetCertificateAuthorityCertificate": self.get_certificate_authority_certificate,
            "IssueCertificate": self.issue_certificate,
            "GetCertificate": self.get_certificate,
            "RevokeCertificate": self.revoke_certificate,
        }

    # ---- SigV4 -------------------------------------------------------------------------

    def lookup_secret(self, akid, token):
        """Secret for an access key; temporary keys also need their session token, unexpired."""
        if akid in self.static_credentials:
            if token:
                raise AuthError("unrecognized", "The security token included in the request is invalid.")
            return self.static_credentials[akid]
        with self.state.lock:
            record = self.state.data["temp_credentials"].get(akid)
        if record is None or token != record["token"]:
            raise AuthError("unrecognized", "The security token included in the request is invalid.")
        if record["expiration"] <= time.time():
            raise AuthError("expired", "The security token included in the request is expired")
        return record["secret"]

    def verify_sigv4(self, handler, body, service, regions):
        headers = handler.headers
        authorization = headers.get("Authorization")
        if not authorization:
            raise AuthError("missing", "Request is missing Authentication Token")
        algorithm, _, rest = authorization.partition(" ")
        if algorithm != "AWS4-HMAC-SHA256":
            raise AuthError("incomplete", "Unsupported AWS 'algorithm': '%s'" % algorithm)
        fields = {}
        for part in rest.split(","):
            name, sep, value = part.strip().partition("=")
            if sep:
                fields[name] = value
        for needed in ("Credential", "SignedHeaders", "Signature"):
            if needed not in fields:
                raise AuthError("incomplete", "Authorization header requires '%s' parameter." % needed)
        scope = fields["Credential"].split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            raise AuthError("incomplete", "Credential should be scoped with a valid terminator: 'aws4_request'.")
        akid, scope_date, scope_region, scope_service, _ = scope
        stamp = headers.get("X-Amz-Date", "")
        try:
            signed_at = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            raise AuthError("incomplete", "Authorization header requires existence of either a "
                                          "'X-Amz-Date' or a 'Date' header.")
        if scope_date != stamp[:8]:
            raise AuthError("signature", "Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                                         "version of date from HTTP: '%s' != '%s', from '%s'."
                            % (scope_date, stamp[:8], stamp))
        if scope_region not in regions:
            raise AuthError("signature", "Credential should be scoped to a valid region. ")
        if scope_service != service:
            raise AuthError("signature", "Credential should be scoped to correct service: '%s'. " % service)
        signed = fields["SignedHeaders"].split(";")
        if "host" not in signed:
            raise AuthError("incomplete", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        secret = self.lookup_secret(akid, headers.get("X-Amz-Security-Token"))
        now = time.time()
        if signed_at < now - CLOCK_SKEW:
            raise AuthError("signature", "Signature expired: %s is now earlier than %s (%s - 5 min.)"
                            % (stamp, amz_date(now - CLOCK_SKEW), amz_date(now)))
        if signed_at > now + CLOCK_SKEW:
            raise AuthError("signature", "Signature not yet current: %s is still later than %s (%s + 5 min.)"
                            % (stamp, amz_date(now + CLOCK_SKEW), amz_date(now)))
        content_sha = headers.get("X-Amz-Content-SHA256")
        if "x-amz-content-sha256" in signed and content_sha != hashlib.sha256(body).hexdigest():
            raise AuthError("signature", "The provided 'x-amz-content-sha256' header does not match what was computed.")
        # Rebuild the request exactly as received: the Host header as sent (botocore signs it
        # with the port), the raw path, the raw body, and only the headers that were signed.
        request_headers = HTTPHeaders()
        for name in signed:
            for value in headers.get_all(name) or []:
                request_headers[name] = value
        request = AWSRequest(method=handler.command, url="http://%s%s" % (headers.get("Host", ""), handler.path),
                             headers=request_headers, data=body)
        request.context["timestamp"] = stamp
        signer = OracleSigV4(Credentials(akid, secret), scope_service, scope_region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected.encode(), fields["Signature"].encode("utf-8", "replace")):
            raise AuthError("signature", SIGNATURE_MISMATCH)
        return akid

    def authenticate(self, handler, body, service, regions, query_protocol):
        try:
            return self.verify_sigv4(handler, body, service, regions)
        except AuthError as err:
            self.state.bump("rejected_signatures")
            status, code = AUTH_ERRORS[err.kind][1 if query_protocol else 0]
            raise ApiError(status, code, err.message)

    # ---- faults ------------------------------------------------------------------------

    def take_fault(self, operation, wildcard_ok):
        """Consume the first fault matching this operation ('*' matches ACM-PCA operations)."""
        with self.fault_lock:
            for fault in self.faults:
                if fault["operation"] == operation or (wildcard_ok and fault["operation"] == "*"):
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    @staticmethod
    def apply_fault(fault, query_protocol):
        """Faults that act before the operation runs; 'lost' is handled after it."""
        if fault is None or fault["kind"] == "lost":
            return
        if fault["kind"] == "reset":
            raise DropConnection(reset=True)
        if fault["kind"] == "delay":
            time.sleep(fault.get("seconds", 1))
            return
        status, json_code, query_code, message = FAULT_ERRORS[fault["kind"]]
        raise ApiError(status, query_code if query_protocol else json_code, message)

    # ---- ACM-PCA -----------------------------------------------------------------------

    def handle_pca(self, handler, body):
        target = handler.headers.get("X-Amz-Target", "")
        operation = target[len("ACMPrivateCA."):] if target.startswith("ACMPrivateCA.") else None
        handler.label = target
        rid = [("x-amzn-RequestId", handler.request_id)]
        try:
            if operation not in self.pca_operations:
                raise ApiError(400, "UnknownOperationException", "Unknown operation %s" % target)
            with self.state.lock:
                calls = self.state.data["counters"]["calls"]
                calls[operation] = calls.get(operation, 0) + 1
                if operation == "IssueCertificate":
                    self.state.data["counters"]["issue_times"].append(time.time())
                self.state.save()
            content_type = handler.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if content_type != JSON_CT:
                raise ApiError(400, "UnknownOperationException",
                               "Content-Type must be %s for %s" % (JSON_CT, target))
            self.authenticate(handler, body, "acm-pca", (self.region,), False)
            fault = self.take_fault(operation, True)
            self.apply_fault(fault, False)
            try:
                params = json.loads(body.decode("utf-8") or "{}")
            except ValueError:
                raise ApiError(400, "SerializationException", "The request body is not valid JSON.")
            if not isinstance(params, dict):
                raise ApiError(400, "SerializationException", "The request body must be a JSON object.")
            result = self.pca_operations[operation](params)
            if fault is not None and fault["kind"] == "lost":
                raise DropConnection(reset=False)
            payload = b"" if result is None else json.dumps(result, separators=(",", ":")).encode()
            handler.send(200, payload, JSON_CT, rid)
        except ApiError as err:
            payload = json.dumps({"__type": err.code, "message": err.message}, separators=(",", ":")).encode()
            handler.send(err.status, payload, JSON_CT, rid, err.code)

    def check_ca_arn(self, params, allowed_states=None):
        arn = require(params, "CertificateAuthorityArn")
        if not 5 <= len(arn) <= 200 or not PCA_ARN_RE.fullmatch(arn):
            raise ApiError(400, "InvalidArnException", "The ARN %s is not valid." % arn)
        if arn != self.ca.arn:
            raise ApiError(400, "ResourceNotFoundException", "Could not find certificate authority %s." % arn)
        status = self.state.data["ca"]["status"]
        if allowed_states is not None and status not in allowed_states:
            raise ApiError(400, "InvalidStateException",
                           "The certificate authority %s is in the %s state." % (arn, status))

    def describe_certificate_authority(self, params):
        self.check_ca_arn(params)
        info, args = self.state.data["ca"], self.args
        crl = {"Enabled": False}
        if not args.no_crl:
            crl = {"Enabled": True, "ExpirationInDays": 7, "CustomCname": "crl.pca.example.com",
                   "S3BucketName": "signet-test-crl"}
        ocsp = {"Enabled": False} if args.no_ocsp else {"Enabled": True,
                                                         "OcspCustomCname": "ocsp.pca.example.com"}
        subject = {"Country": "US", "Organization": "Signet Test", "CommonName": "Signet Test Issuing CA"}
        return {"CertificateAuthority": {
            "Arn": self.ca.arn, "OwnerAccount": ACCOUNT, "CreatedAt": info["created_at"],
            "LastStateChangeAt": info["last_state_change_at"], "Type": "SUBORDINATE",
            "Serial": colon_hex(self.ca.issuing.serial_number), "Status": info["status"],
            "NotBefore": self.ca.not_before, "NotAfter": self.ca.not_after,
            "CertificateAuthorityConfiguration": {"KeyAlgorithm": self.ca.key_algorithm,
                                                  "SigningAlgorithm": self.ca.signing_algorithm,
                                                  "Subject": subject},
            "RevocationConfiguration": {"CrlConfiguration": crl, "OcspConfiguration": ocsp},
            "KeyStorageSecurityStandard": "FIPS_140_2_LEVEL_3_OR_HIGHER",
            "UsageMode": "GENERAL_PURPOSE"}}

    def get_certificate_authority_certificate(self, params):
        self.check_ca_arn(params, ("ACTIVE", "DISABLED", "EXPIRED", "DELETED"))
        return {"Certificate": pem_of(self.ca.issuing), "CertificateChain": pem_of(self.ca.root)}

    def issue_certificate(self, params):
        self.check_ca_arn(params, ("ACTIVE",))
        csr = parse_csr(params.get("Csr"))
        algorithm = require_enum(params, "SigningAlgorithm", SIGNING_ALGORITHMS)
        if algorithm not in USABLE_SIGNING[self.ca.family]:
            raise invalid_args("The signing algorithm %s is not compatible with the certificate "
                               "authority's key algorithm %s." % (algorithm, self.ca.key_algorithm))
        now = time.time()
        not_after = validity_time(params.get("Validity"), now, "validity")
        not_before = now - 3600  # AWS back-dates notBefore by 60 minutes
        if params.get("ValidityNotBefore") is not None:
            not_before = validity_time(params["ValidityNotBefore"], now, "validityNotBefore")
        if not_after <= now:
            raise invalid_args("The certificate validity period ends in the past.")
        if not_after > self.ca.not_after:
            raise invalid_args("The certificate validity period exceeds the validity of the "
                               "certificate authority (%s)." % iso_z(self.ca.not_after))
        if not_before >= not_after:
            raise invalid_args("ValidityNotBefore must be earlier than the end of validity.")
        template = "EndEntityCertificate/V1"
        if params.get("TemplateArn") is not None:
            template_arn = require(params, "TemplateArn")
            match = TEMPLATE_ARN_RE.fullmatch(template_arn)
            if not match or match.group(1) not in ("aws", "aws-us-gov", "aws-cn"):
                raise invalid_args("The template ARN %s is not valid." % template_arn)
            template = match.group(2)
            if template not in TEMPLATES:
                raise invalid_args("The template %s is not supported." % template_arn)
        token = params.get("IdempotencyToken")
        if token is not None and (not isinstance(token, str) or not TOKEN_RE.fullmatch(token)):
            raise invalid_args("IdempotencyToken must be 1 to 36 characters from [\\t\\n\\r\\u0020-\\u00FF].")
        with self.state.lock:  # one lock: two calls with one token can never both issue
            data = self.state.data
            if token is not None:
                seen = data["idempotency"].get(token)
                if seen and time.time() - seen["time"] < IDEMPOTENCY_WINDOW and seen["arn"] in data["certificates"]:
                    return {"CertificateArn": seen["arn"]}
            limit = self.args.certificate_limit
            if limit is not None and data["counters"]["issued"] >= limit:
                raise ApiError(400, "LimitExceededException",
                               "The certificate limit of %d for this certificate authority has been reached." % limit)
            cert = self.build_certificate(csr, algorithm, template, params.get("ApiPassthrough"),
                                          not_before, not_after)
            cert_id = uuid.uuid4().hex
            arn = "%s/certificate/%s" % (self.ca.arn, cert_id)
            os.makedirs(os.path.join(self.args.dir, "certs"), exist_ok=True)
            serving.write_atomic(os.path.join(self.args.dir, "certs", cert_id + ".pem"), pem_of(cert).encode())
            data["certificates"][arn] = {"id": cert_id, "serial": format(cert.serial_number, "x"),
                                         "idempotency_token": token, "issued_at": now,
                                         "pending": self.in_progress, "revoked": False,
                                         "revocation_reason": None, "template": template}
            if token is not None:
                data["idempotency"][token] = {"arn": arn, "time": time.time()}
            data["counters"]["issued"] += 1
            self.state.save()
        return {"CertificateArn": arn}

    def build_certificate(self, csr, algorithm, template, passthrough, not_before, not_after):
        """Sign the leaf at once; extensions follow the template (or the CSR + ApiPassthrough)."""
        extensions = {}  # oid -> (value, critical); later entries override earlier ones
        subject = csr.subject
        csr_extensions = {ext.oid: (ext.value, ext.critical) for ext in csr.extensions}
        if TEMPLATES[template] is None:
            for oid, entry in csr_extensions.items():
                if oid not in TEMPLATE_OWNED:
                    extensions[oid] = entry
            passthrough = passthrough or {}
            if not isinstance(passthrough, dict):
                raise invalid_args("ApiPassthrough must be a structure.")
            if passthrough.get("Subject"):
                subject = subject_from_api(passthrough["Subject"])
            if passthrough.get("Extensions") is not None:
                try:
                    extensions.update(api_passthrough_extensions(passthrough["Extensions"]))
                except (KeyError, TypeError, AttributeError, ValueError, binascii.Error) as exc:
                    raise invalid_args("Invalid ApiPassthrough.Extensions: %s" % exc)
        else:  # ApiPassthrough is ignored by non-passthrough templates (API reference)
            usages, ekus, eku_critical = TEMPLATES[template]
            if ExtensionOID.SUBJECT_ALTERNATIVE_NAME in csr_extensions:
                extensions[ExtensionOID.SUBJECT_ALTERNATIVE_NAME] = csr_extensions[ExtensionOID.SUBJECT_ALTERNATIVE_NAME]
            flags = {attr: attr in usages for _, attr in KEY_USAGE_FIELDS}
            extensions[ExtensionOID.KEY_USAGE] = (x509.KeyUsage(**flags), True)
            extensions[ExtensionOID.EXTENDED_KEY_USAGE] = (
                x509.ExtendedKeyUsage([EKU_TYPES[name] for name in ekus]), eku_critical)
        san = extensions.get(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        if len(subject) == 0:
            if san is None:
                raise ApiError(400, "MalformedCSRException",
                               "The certificate must have a subject or subject alternative names.")
            extensions[ExtensionOID.SUBJECT_ALTERNATIVE_NAME] = (san[0], True)  # RFC 5280 4.2.1.6
        # 20 random bytes, positive, top byte 0x10..0x7f so the hex form is always 40 digits.
        raw = bytearray(os.urandom(20))
        raw[0] = 0x10 + raw[0] % 0x70
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(self.ca.issuing.subject)
                   .public_key(csr.public_key()).serial_number(int.from_bytes(bytes(raw), "big"))
                   .not_valid_before(naive_utc(not_before)).not_valid_after(naive_utc(not_after))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(self.ca.ski),
                                  critical=False))
        if not self.args.no_crl:  # CRL and OCSP locations come from the CA's configuration
            url = "http://crl.pca.example.com/crl/%s.crl" % self.state.data["ca"]["id"]
            builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                [x509.UniformResourceIdentifier(url)], None, None, None)]), critical=False)
        if not self.args.no_ocsp:
            builder = builder.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP,
                x509.UniformResourceIdentifier("http://ocsp.pca.example.com"))]), critical=False)
        for value, critical in extensions.values():
            try:
                builder = builder.add_extension(value, critical=critical)
            except ValueError as exc:
                raise invalid_args("Extension not accepted: %s" % exc)
        return builder.sign(self.ca.key, USABLE_SIGNING[self.ca.family][algorithm]())

    def get_certificate(self, params):
        self.check_ca_arn(params, ("ACTIVE", "DISABLED", "EXPIRED", "DELETED"))
        arn = require(params, "CertificateArn")
        if not 5 <= len(arn) <= 200 or not PCA_ARN_RE.fullmatch(arn):
            raise ApiError(400, "InvalidArnException", "The ARN %s is not valid." % arn)
        with self.state.lock:
            record = self.state.data["certificates"].get(arn)
            if record is None:
                raise ApiError(400, "ResourceNotFoundException", "Could not find certificate %s." % arn)
            if record["pending"] > 0:  # "still being issued" for the first N calls
                record["pending"] -= 1
                self.state.save()
                raise ApiError(400, "RequestInProgressException", "The request is still in progress.")
        with open(os.path.join(self.args.dir, "certs", record["id"] + ".pem"), encoding="ascii") as handle:
            leaf = handle.read().rstrip("\n")
        return {"Certificate": leaf, "CertificateChain": self.ca.chain_pem()}

    def revoke_certificate(self, params):
        self.check_ca_arn(params, ("ACTIVE", "DISABLED"))
        serial_text = require(params, "CertificateSerial")
        reason = require_enum(params, "RevocationReason", REVOCATION_REASONS)
        digits = serial_text.replace(":", "")
        if not 1 <= len(serial_text) <= 128 or not re.fullmatch(r"[0-9a-fA-F]+", digits):
            raise ApiError(400, "InvalidRequestException", "The certificate serial %s is not valid." % serial_text)
        serial = format(int(digits, 16), "x")  # colons, case and leading zeros do not matter
        with self.state.lock:
            for arn, record in self.state.data["certificates"].items():
                if format(int(record["serial"], 16), "x") == serial:
                    if record["revoked"]:
                        raise ApiError(400, "RequestAlreadyProcessedException",
                                       "The certificate %s has already been revoked." % serial_text)
                    record.update(revoked=True, revocation_reason=reason, revoked_at=time.time())
                    self.state.data["counters"]["revoked"] += 1
                    self.state.save()
                    return None
        raise ApiError(400, "ResourceNotFoundException",
                       "Could not find certificate with serial %s in %s." % (serial_text, self.ca.arn))

    # ---- temporary credentials (STS, IMDS, ECS) -----------------------------------------

    def new_temporary_credentials(self, lifetime, source):
        now = time.time()
        record = {"secret": random_secret(), "expiration": now + lifetime, "source": source,
                  "token": base64.b64encode(b"signet-aws-double" + os.urandom(150)).decode(),
                  "issued_at": now}
        akid = random_akid()
        with self.state.lock:
            self.state.data["temp_credentials"][akid] = record
            self.state.save()
        return akid, record

    def role_credentials(self, slot):
        """Credentials IMDS/ECS hand out: reused until close to expiry, as those services do."""
        lifetime = self.args.credential_lifetime
        with self.state.lock:
            akid = self.state.data["current_role_credentials"].get(slot)
            record = self.state.data["temp_credentials"].get(akid)
            if record is None or record["expiration"] - time.time() <= min(300, lifetime / 2):
                akid, record = self.new_temporary_credentials(lifetime, slot)
                self.state.data["current_role_credentials"][slot] = akid
                self.state.save()
            return akid, record

    # ---- STS ---------------------------------------------------------------------------

    def handle_sts(self, handler, body):
        rid = [("x-amzn-RequestId", handler.request_id)]
        try:
            params = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        except UnicodeDecodeError:
            params = {}
        action = params.get("Action", "")
        handler.label = "STS." + action
        try:
            if action not in ("AssumeRole", "AssumeRoleWithWebIdentity"):
                raise ApiError(400, "InvalidAction", "Could not find operation %s for version %s"
                               % (action, params.get("Version", "NO_VERSION_SPECIFIED")))
            if action == "AssumeRole":  # AssumeRoleWithWebIdentity is an unsigned call
                self.authenticate(handler, body, "sts", (self.region, "us-east-1"), True)
            fault = self.take_fault(action, False)
            self.apply_fault(fault, True)
            payload = self.assume_role(params, action)
            if fault is not None and fault["kind"] == "lost":
                raise DropConnection(reset=False)
            handler.send(200, payload.encode(), "text/xml", rid)
        except ApiError as err:
            payload = ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>%s</Type>\n    <Code>%s</Code>\n'
                       '    <Message>%s</Message>\n  </Error>\n  <RequestId>%s</RequestId>\n</ErrorResponse>\n'
                       % (STS_NS, "Receiver" if err.status >= 500 else "Sender", err.code,
                          xml_escape(err.message), handler.request_id))
            handler.send(err.status, payload.encode(), "text/xml", rid, err.code)

    def assume_role(self, params, action):
        role_arn, session = params.get("RoleArn"), params.get("RoleSessionName")
        for name, value in (("roleArn", role_arn), ("roleSessionName", session)):
            if not value:
                raise ApiError(400, "ValidationError", "1 validation error detected: Value null at '%s' "
                               "failed to satisfy constraint: Member must not be null" % name)
        match = ROLE_ARN_RE.fullmatch(role_arn)
        if not match:
            raise ApiError(400, "ValidationError", "%s is invalid" % role_arn)
        if not SESSION_NAME_RE.fullmatch(session):
            raise ApiError(400, "ValidationError", "1 validation error detected: Value '%s' at "
                           "'roleSessionName' failed to satisfy constraint: Member must satisfy regular "
                           "expression pattern: [\\w+=,.@-]*" % session)
        duration = 3600
        if params.get("DurationSeconds"):
            try:
                duration = int(params["DurationSeconds"])
            except ValueError:
                duration = -1
            if not 900 <= duration <= 43200:
                raise ApiError(400, "ValidationError", "1 validation error detected: Value '%s' at "
                               "'durationSeconds' failed to satisfy constraint: Member must have value "
                               "between 900 and 43200" % params["DurationSeconds"])
        extra = ""
        if action == "AssumeRoleWithWebIdentity":
            self.check_web_identity_token(params.get("WebIdentityToken") or "")
            subject, provider = "signet-test-subject", "signet-test-idp"
            try:  # report the JWT's sub/iss when the token is a JWT, as STS does
                claims = json.loads(base64.urlsafe_b64decode(
                    params["WebIdentityToken"].split(".")[1] + "==").decode())
                subject, provider = str(claims.get("sub", subject)), str(claims.get("iss", provider))
            except Exception:
                pass
            extra = ("    <SubjectFromWebIdentityToken>%s</SubjectFromWebIdentityToken>\n"
                     "    <Audience>sts.amazonaws.com</Audience>\n    <Provider>%s</Provider>\n"
                     % (xml_escape(subject), xml_escape(provider)))
            self.state.bump("web_identity")
        else:
            self.state.bump("assume_role")
        # --credential-lifetime caps the lifetime so refresh tests need not wait 15 minutes.
        akid, record = self.new_temporary_credentials(min(duration, self.args.credential_lifetime), action)
        account, role_name = match.group(1), match.group(2)
        return ('<%sResponse xmlns="%s">\n  <%sResult>\n    <Credentials>\n'
                '      <AccessKeyId>%s</AccessKeyId>\n      <SecretAccessKey>%s</SecretAccessKey>\n'
                '      <SessionToken>%s</SessionToken>\n      <Expiration>%s</Expiration>\n'
                '    </Credentials>\n    <AssumedRoleUser>\n      <AssumedRoleId>AROA%s:%s</AssumedRoleId>\n'
                '      <Arn>arn:aws:sts::%s:assumed-role/%s/%s</Arn>\n    </AssumedRoleUser>\n%s'
                '  </%sResult>\n  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n  </ResponseMetadata>\n'
                '</%sResponse>\n'
                % (action, STS_NS, action, akid, record["secret"], record["token"], iso_z(record["expiration"]),
                   hashlib.sha1(role_arn.encode()).hexdigest()[:17].upper(), xml_escape(session), account,
                   xml_escape(role_name), xml_escape(session), extra, action, uuid.uuid4(), action))

    def check_web_identity_token(self, token):
        expected = None
        if self.args.web_identity_token:
            with open(self.args.web_identity_token, encoding="utf-8") as handle:
                expected = handle.read().strip()  # re-read each time so tests can rotate it
        if not token.strip() or (expected is not None and token.strip() != expected):
            raise ApiError(400, "InvalidIdentityToken", "The web identity token that was passed could not "
                           "be validated by AWS. Get a new identity token from the identity provider and "
                           "then retry the request.")

    # ---- IMDSv2 and ECS ------------------------------------------------------------------

    def handle_imds(self, handler, path):
        handler.label = "IMDS"
        if path == "/latest/api/token":
            if handler.command != "PUT":
                return handler.send(405, b"Method Not Allowed", "text/plain")
            if "X-Forwarded-For" in handler.headers:  # IMDS refuses proxied token requests
                return handler.send(403, b"Forbidden", "text/plain")
            ttl_text = handler.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
            if not ttl_text.isdigit() or not 1 <= int(ttl_text) <= 21600:
                return handler.send(400, b"Bad Request", "text/plain")
            token = base64.urlsafe_b64encode(os.urandom(42)).decode()
            with self.state.lock:
                tokens = self.state.data["imds_tokens"]
                for old in [t for t, exp in tokens.items() if exp <= time.time()]:
                    del tokens[old]
                tokens[token] = time.time() + int(ttl_text)
                self.state.save()
            return handler.send(200, token.encode(), "text/plain",
                                [("X-aws-ec2-metadata-token-ttl-seconds", ttl_text)])
        if handler.command != "GET":
            return handler.send(405, b"Method Not Allowed", "text/plain")
        token = handler.headers.get("X-aws-ec2-metadata-token", "")
        with self.state.lock:  # IMDSv2 only: a GET without a live token is refused (IMDSv1 off)
            expiry = self.state.data["imds_tokens"].get(token)
        if expiry is None or expiry <= time.time():
            return handler.send(401, b"Unauthorized", "text/plain")
        base = "/latest/meta-data/iam/security-credentials"
        if path in (base, base + "/"):
            return handler.send(200, ROLE_NAME.encode(), "text/plain")
        if path in (base + "/" + ROLE_NAME, base + "/" + ROLE_NAME + "/"):
            self.state.bump("imds_credentials")
            akid, record = self.role_credentials("imds")
            body = {"Code": "Success", "LastUpdated": iso_z(record["issued_at"]), "Type": "AWS-HMAC",
                    "AccessKeyId": akid, "SecretAccessKey": record["secret"], "Token": record["token"],
                    "Expiration": iso_z(record["expiration"])}
            return handler.send(200, json.dumps(body, indent=2).encode(), "text/plain")
        if path == "/latest/meta-data/placement/region":
            return handler.send(200, self.region.encode(), "text/plain")
        return handler.send(404, b"Not Found", "text/plain")

    def handle_ecs(self, handler, path):
        handler.label = "ECS credentials"
        if handler.command != "GET" or not path.startswith("/v2/credentials/") or path.rstrip("/") == "/v2/credentials":
            return handler.send(404, b'{"code":"NotFound","message":"Not found"}', "application/json")
        if self.args.ecs_token is not None and handler.headers.get("Authorization") != self.args.ecs_token:
            return handler.send(401, b'{"code":"AccessDenied","message":"Authorization token is invalid"}',
                                "application/json")
        self.state.bump("ecs_credentials")
        akid, record = self.role_credentials("ecs")
        body = {"AccessKeyId": akid, "SecretAccessKey": record["secret"], "Token": record["token"],
                "Expiration": iso_z(record["expiration"]),
                "RoleArn": "arn:aws:iam::%s:role/%s" % (ACCOUNT, ROLE_NAME)}
        return handler.send(200, json.dumps(body).encode(), "application/json")

    # ---- test controls -------------------------------------------------------------------

    def handle_control(self, handler, path, body):
        handler.label = "control"
        method = handler.command

        def reply(obj, status=200):
            handler.send(status, json.dumps(obj, indent=1).encode(), "application/json")

        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else None
        except ValueError:
            return reply({"error": "body is not JSON"}, 400)
        state, counters = self.state, self.state.data["counters"]
        if path == "/_double/faults" and method == "POST":
            items = data.get("faults", data) if isinstance(data, dict) and "faults" in data else data
            items = items if isinstance(items, list) else [items]
            parsed = []
            for item in items:
                if not isinstance(item, dict) or item.get("kind") not in FAULT_KINDS or not item.get("operation"):
                    return reply({"error": "each fault needs operation and kind (one of %s)"
                                  % ", ".join(FAULT_KINDS)}, 400)
                parsed.append({"operation": item["operation"], "kind": item["kind"],
                               "count": int(item.get("count", 1)), "seconds": float(item.get("seconds", 1))})
            with self.fault_lock:
                self.faults.extend(parsed)
                return reply({"faults": list(self.faults)})
        if path == "/_double/faults" and method == "DELETE":
            with self.fault_lock:
                self.faults = []
            return reply({"faults": []})
        if path == "/_double/faults" and method == "GET":
            with self.fault_lock:
                return reply({"faults": list(self.faults)})
        if path == "/_double/in-progress" and method == "POST":
            if not isinstance(data, dict) or not isinstance(data.get("count"), int) or data["count"] < 0:
                return reply({"error": 'expected {"count": n}'}, 400)
            self.in_progress = data["count"]
            return reply({"count": self.in_progress})
        if path == "/_double/stats" and method == "GET":
            with state.lock:
                return reply({key: counters[key] for key in counters})
        if path == "/_double/certificates" and method == "GET":
            with state.lock:
                return reply([{"arn": arn, "serial": rec["serial"], "idempotency_token": rec["idempotency_token"],
                               "revoked": rec["revoked"], "revocation_reason": rec["revocation_reason"]}
                              for arn, rec in state.data["certificates"].items()])
        if path == "/_double/expire-credentials" and method == "POST":
            with state.lock:
                for record in state.data["temp_credentials"].values():
                    record["expiration"] = min(record["expiration"], time.time() - 1)
                state.save()
                return reply({"expired": len(state.data["temp_credentials"])})
        if path == "/_double/expire-idempotency-tokens" and method == "POST":
            with state.lock:  # saves tests waiting out the five-minute window
                for record in state.data["idempotency"].values():
                    record["time"] -= IDEMPOTENCY_WINDOW
                state.save()
                return reply({"aged": len(state.data["idempotency"])})
        if path == "/_double/status" and method == "POST":
            if not isinstance(data, dict) or data.get("status") not in CA_STATUSES:
                return reply({"error": "status must be one of %s" % ", ".join(CA_STATUSES)}, 400)
            with state.lock:
                state.data["ca"].update(status=data["status"], last_state_change_at=round(time.time(), 3))
                state.save()
            return reply({"status": data["status"]})
        return reply({"error": "no such control: %s %s" % (method, path)}, 404)


# ----------------------------------------------------------------------------- HTTP plumbing

class Handler(serving.LoggingHandler):
    log_name = "aws-double"

    protocol_version = "HTTP/1.1"  # keep-alive, like AWS endpoints; every answer has Content-Length
    server_version = "aws-double"
    sys_version = ""

    def version_string(self):
        return self.server_version

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_GET

    def dispatch(self):
        double = self.server.double
        self.request_id = str(uuid.uuid4())
        self.label = "-"
        try:
            body = self.read_body()
        except ValueError:
            self.close_connection = True
            return self.send(400, b"Bad Request", "text/plain")
        path = urlsplit(self.path).path
        content_type = self.headers.get("Content-Type", "").lower()
        try:
            if path.startswith("/_double/"):
                double.handle_control(self, path, body)
            elif path.startswith("/latest/"):
                double.handle_imds(self, path)
            elif path.startswith("/v2/credentials"):
                double.handle_ecs(self, path)
            elif self.command == "POST" and path == "/" and "X-Amz-Target" in self.headers:
                double.handle_pca(self, body)
            elif self.command == "POST" and path == "/" and content_type.startswith("application/x-www-form-urlencoded"):
                double.handle_sts(self, body)
            else:
                self.send(404, b"Not Found", "text/plain")
        except DropConnection as drop:
            return self.drop(drop, "lost")
        except Exception:  # a bug in the double: say so loudly rather than hang the client
            traceback.print_exc()
            self.close_connection = True
            self.send(500, b"internal error in aws_double.py (see its log)", "text/plain")

    def send(self, status, body, content_type, headers=(), error=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.log_line("%d%s" % (status, " " + error if error else ""))

    def log_line(self, outcome):
        # One line per request; never headers or bodies, so no secret reaches the log.
        sys.stderr.write("aws-double: %s %s %s -> %s\n" % (self.command, urlsplit(self.path).path,
                                                          self.label, outcome))
        sys.stderr.flush()


Server = serving.QuietServer


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Loopback AWS Private CA / STS / IMDS double.")
    parser.add_argument("--dir", required=True, help="state directory (CA, certificates, port file)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--region", default="eu-west-1")
    parser.add_argument("--in-progress", type=int, default=1,
                        help="GetCertificate answers RequestInProgressException this many times per certificate")
    parser.add_argument("--key-algorithm", choices=["EC_prime256v1", "RSA_2048"], default="EC_prime256v1")
    parser.add_argument("--status", choices=CA_STATUSES, default="ACTIVE")
    parser.add_argument("--credentials", help='JSON file {"AKID": "secret", ...}')
    parser.add_argument("--credential-lifetime", type=int, default=3600)
    parser.add_argument("--web-identity-token", help="file whose content AssumeRoleWithWebIdentity requires")
    parser.add_argument("--ecs-token", help="Authorization value required for container credentials")
    parser.add_argument("--certificate-limit", type=int, default=None)
    parser.add_argument("--no-crl", action="store_true")
    parser.add_argument("--no-ocsp", action="store_true")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if BOTOCORE_ERROR is not None:
        print("aws-double: botocore is required to verify SigV4: %s" % BOTOCORE_ERROR, file=sys.stderr)
        return 2
    return serving.serve("aws-double", args.dir, args.port, Server, Handler, lambda: Double(args))


if __name__ == "__main__":
    sys.exit(main())
