#!/usr/bin/env python3
"""oidc_double.py - a loopback stand-in for the OpenID Connect identity provider (Keycloak, Okta,
Entra ID) that Signet's dashboard signs in with: the authorization code flow with PKCE.

One plain-HTTP server on 127.0.0.1 answers as an OpenID Provider does on the wire:
  * discovery (OpenID Connect Discovery 1.0 §4) and the JWK Set (RFC 7517), with key rotation;
  * the authorization endpoint (RFC 6749 §4.1.1-4.1.2, OpenID Connect Core 1.0 §3.1.2, PKCE
    S256 required per RFC 7636, RFC 9207's iss in every redirect), with a queue of scripted
    logins and a small HTML login form (no JavaScript) for browser tests;
  * the token endpoint (RFC 6749 §4.1.3-4.1.4, §5, client_secret_basic per §2.3.1 and
    client_secret_post), single-use codes bound to client, redirect URI and code challenge;
  * ID tokens (OpenID Connect Core 1.0 §2, §3.1.3.6) signed RS256 or ES256 (RFC 7518 §3);
  * the UserInfo endpoint (OpenID Connect Core 1.0 §5.3, errors per RFC 6750 §3);
  * test controls under /_double/ (no auth): clients, scripted logins, ID-token and transport
    faults, key rotation, a clock, the request log and stats.

It never contacts a real identity provider.  Python 3.11 with python3-cryptography (Debian's
/usr/bin/python3 works).  State is kept in memory: a restart gets new keys and forgets codes.
"""

import argparse
import base64
import hashlib
import html
import json
import os
import re
import secrets
import sys
import threading
import time
import traceback
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import serving  # noqa: E402  (tests/doubles/serving.py)

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature  # noqa: E402

NAME = "oidc-double"
ALGS = ("RS256", "ES256")
SCOPES = ("openid", "profile", "email", "groups")
CLAIMS = ("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "name", "preferred_username",
          "email", "email_verified", "groups")
CODE_TTL = 60  # seconds; RFC 6749 §4.1.2 recommends at most 10 minutes
ID_TOKEN_FAULTS = ("bad_signature", "wrong_audience", "wrong_issuer", "expired", "replay_nonce", "no_nonce",
                   "unknown_kid", "alg_none", "future_iat")
TRANSPORT_FAULTS = ("drop", "reset", "delay", "status")
SECRET_PARAMS = ("client_secret", "code", "code_verifier", "access_token")  # never logged
LOGIN_KEYS = ("alg", "deny", "error_description")  # in a queued login, but not claims
PKCE_TEXT = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 §4.1 (verifier) and §4.2 (challenge)
NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))  # RFC 6749 §5.1


# ----------------------------------------------------------------------------- small helpers

def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def int_b64url(number, length=None):
    # RFC 7518 §6.3.1 (n, e: minimal big-endian) and §6.2.1.2 (x, y: the curve's full length)
    return b64url(number.to_bytes(length or (number.bit_length() + 7) // 8, "big"))


def s256(verifier):
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())  # RFC 7636 §4.2


class Reply(serving.Reply):
    content_type_default = "application/json"


def json_reply(status, obj, headers=(), note=""):
    return Reply(status, (json.dumps(obj) + "\n").encode(), headers=headers, note=note)


def page(status, title, text, note=""):
    body = ('<!doctype html>\n<html><head><meta charset="utf-8"><title>%s</title></head>\n'
            "<body><h1>%s</h1><p>%s</p></body></html>\n") % (html.escape(title), html.escape(title), html.escape(text))
    return Reply(status, body.encode(), "text/html; charset=utf-8", note=note or title)


def with_query(uri, params):
    """uri plus params in its query, keeping the query it has (RFC 6749 §3.1.2)."""
    query = urlencode([(k, v) for k, v in params.items() if v is not None])
    return uri + ("&" if "?" in uri else "?") + query


def single_params(pairs):
    """The parameters as a dict, and the names sent more than once (RFC 6749 §3.1 and §3.2: "MUST NOT
    be included more than once").  parse_qsl already dropped empty ones, which §3.1 says to ignore."""
    params, repeated = {}, set()
    for name, value in pairs:
        if name in params:
            repeated.add(name)
        params[name] = value
    return params, repeated


class OAuthError(Exception):
    """A token endpoint error, answered as RFC 6749 §5.2 says: JSON, 400, or 401 for invalid_client."""

    def __init__(self, error, description, status=400, headers=()):
        super().__init__(description)
        self.error, self.description, self.status, self.headers = error, description, status, list(headers)

    def reply(self):
        return json_reply(self.status, {"error": self.error, "error_description": self.description},
                          self.headers + list(NO_STORE), self.error)


def invalid_client(description):
    # §5.2: 401 with WWW-Authenticate; RFC 7617 §2 makes realm required for Basic.
    return OAuthError("invalid_client", description, 401, [("WWW-Authenticate", 'Basic realm="%s"' % NAME)])


class PageError(Exception):
    """An authorization request that must not be redirected (unknown client or redirect URI,
    RFC 6749 §4.1.2.1 and §10.15): the user gets a 400 page."""


class RedirectError(Exception):
    """An authorization error sent back to the client's redirect URI (RFC 6749 §4.1.2.1, OpenID
    Connect Core 1.0 §3.1.2.6)."""

    def __init__(self, error, description):
        super().__init__(description)
        self.error, self.description = error, description


# ----------------------------------------------------------------------------- keys and tokens

class SigningKey:
    """One key pair.  Its kid is its RFC 7638 thumbprint, so a new key always has a new kid."""

    def __init__(self, alg):
        self.alg = alg
        if alg == "RS256":
            self.private = rsa.generate_private_key(65537, 2048)
            numbers = self.private.public_key().public_numbers()
            self.public = {"kty": "RSA", "n": int_b64url(numbers.n), "e": int_b64url(numbers.e)}
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            numbers = self.private.public_key().public_numbers()
            self.public = {"kty": "EC", "crv": "P-256", "x": int_b64url(numbers.x, 32), "y": int_b64url(numbers.y, 32)}
        # RFC 7638 §3: the required members only, sorted, no whitespace
        canonical = json.dumps(self.public, sort_keys=True, separators=(",", ":")).encode()
        self.kid = b64url(hashlib.sha256(canonical).digest())

    def jwk(self):
        return dict(self.public, kid=self.kid, alg=self.alg, use="sig")  # RFC 7517 §4

    def sign(self, data):
        if self.alg == "RS256":  # RFC 7518 §3.3: RSASSA-PKCS1-v1_5 with SHA-256
            return self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())
        r, s = decode_dss_signature(self.private.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")  # RFC 7518 §3.4: R || S, not DER


def compact_jws(header, claims, key, corrupt=False):
    """RFC 7515 §7.1.  alg "none" has an empty signature (RFC 7518 §3.6)."""
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    if header["alg"] == "none":
        return signing_input + "."
    signature = key.sign(signing_input.encode())
    if corrupt:
        signature = bytes([signature[0] ^ 0x01]) + signature[1:]
    return signing_input + "." + b64url(signature)


def at_hash(access_token):
    # OpenID Connect Core 1.0 §3.1.3.6: the left half of the SHA-256 (RS256 and ES256 alike)
    return b64url(hashlib.sha256(access_token.encode()).digest()[:16])


# ----------------------------------------------------------------------------- the provider

class Request:
    def __init__(self, handler, body):
        split = urlsplit(handler.path)
        self.method, self.path, self.headers = handler.command, split.path, handler.headers
        self.query = parse_qsl(split.query)
        media_type = handler.headers.get("Content-Type", "").split(";")[0].strip().lower()
        self.form_encoded = media_type == "application/x-www-form-urlencoded"
        self.form = parse_qsl(body.decode("utf-8", "replace")) if self.form_encoded else []
        self.body, self.client_auth = body, None


class Double:
    def __init__(self, args):
        self.args, self.lock = args, threading.Lock()
        self.issuer = self.prefix = None  # known once the port is bound (Server.double)
        self.clients, self.users = {}, [parse_user(spec) for spec in args.user or []]
        for spec in args.client or []:
            try:
                self.add_client(*parse_client(spec))
            except ValueError as exc:
                raise SystemExit("%s: --client %s: %s" % (NAME, spec, exc)) from None
        self.key_sets = [self.new_keys()]  # oldest first; the last one signs
        self.logins, self.faults, self.log = [], [], []
        self.codes, self.tokens = {}, {}
        self.last_nonce, self.clock_offset = None, 0.0
        self.stats = fresh_stats()

    def bind(self, port):
        issuer = (self.args.issuer or "http://127.0.0.1:{port}").replace("{port}", str(port))
        self.issuer, self.prefix = issuer, urlsplit(issuer).path.rstrip("/")

    def now(self):
        return time.time() + self.clock_offset

    @staticmethod
    def new_keys():
        return {alg: SigningKey(alg) for alg in ALGS}

    def endpoint(self, name):
        return self.issuer.rstrip("/") + name

    def add_client(self, client_id, secret, redirect_uris):
        for uri in redirect_uris:
            split = urlsplit(uri)
            if not split.scheme or not split.netloc or split.fragment or "#" in uri:
                raise ValueError("redirect URI %r: absolute and without a fragment (RFC 6749 §3.1.2)" % uri)
        client = self.clients.setdefault(client_id, {"secret": secret, "redirect_uris": []})
        client["secret"] = secret
        client["redirect_uris"] += [uri for uri in redirect_uris if uri not in client["redirect_uris"]]

    # -- routing --------------------------------------------------------------------------------

    def route(self, req):
        rel = req.path[len(self.prefix):] if req.path.startswith(self.prefix + "/") else None
        routes = {"/.well-known/openid-configuration": (("GET",), self.discovery),
                  "/authorize": (("GET", "POST"), self.authorize),  # Core §3.1.2.1: GET and POST
                  "/token": (("POST",), self.token),  # RFC 6749 §3.2: POST only
                  "/jwks": (("GET",), self.jwks),
                  "/userinfo": (("GET", "POST"), self.userinfo)}  # Core §5.3.1: GET and POST
        if rel not in routes:
            return json_reply(404, {"error": "not_found", "error_description": "no such endpoint"})
        methods, handler = routes[rel]
        self.count("calls", "%s %s" % (req.method, rel))
        if req.method not in methods:
            return json_reply(405, {"error": "invalid_request", "error_description": "method not allowed"},
                              [("Allow", ", ".join(methods))], "405")
        try:
            return handler(req)
        except OAuthError as err:
            return err.reply()

    def count(self, family, key):
        self.stats[family][key] = self.stats[family].get(key, 0) + 1

    def discovery(self, req):
        return json_reply(200, {  # Discovery 1.0 §3; RFC 8414 §2 for the code_challenge and iss members
            "issuer": self.issuer,
            "authorization_endpoint": self.endpoint("/authorize"),
            "token_endpoint": self.endpoint("/token"),
            "userinfo_endpoint": self.endpoint("/userinfo"),
            "jwks_uri": self.endpoint("/jwks"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": list(ALGS),
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": list(SCOPES),
            "claims_supported": list(CLAIMS),
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,  # Discovery §3: the default would be true
            "authorization_response_iss_parameter_supported": True,  # RFC 9207 §3
        })

    def jwks(self, req):
        keys = [key.jwk() for key_set in reversed(self.key_sets) for key in key_set.values()]
        return json_reply(200, {"keys": keys})

    # -- authorization endpoint -----------------------------------------------------------------

    def authorize(self, req):
        params, repeated = single_params(req.form if req.method == "POST" else req.query)
        client_id, redirect_uri = self.check_client(params, repeated)
        state = params.get("state")
        try:
            request = self.check_authorization(params, repeated)
            user = self.pick_user(req, params, client_id)
            if isinstance(user, Reply):
                return user  # the login form
            code = secrets.token_urlsafe(32)
            self.codes[code] = dict(request, user=user, auth_time=int(self.now()),
                                    expires=self.now() + CODE_TTL, used=False, access_token=None)
            self.stats["codes_issued"] += 1
            location = with_query(redirect_uri, {"code": code, "state": state, "iss": self.issuer})
            return Reply(302, b"", None, [("Location", location)] + list(NO_STORE))
        except RedirectError as err:
            location = with_query(redirect_uri, {"error": err.error, "error_description": err.description,
                                                 "state": state, "iss": self.issuer})  # RFC 9207 §2
            return Reply(302, b"", None, [("Location", location)], err.error)

    def check_client(self, params, repeated):
        """The client and its redirect URI, or a PageError: never redirect to an unverified URI."""
        client_id, redirect_uri = params.get("client_id"), params.get("redirect_uri")
        if {"client_id", "redirect_uri"} & repeated:
            raise PageError("client_id or redirect_uri sent more than once")
        if client_id is None or client_id not in self.clients:
            raise PageError("unknown client_id %r" % client_id)
        if redirect_uri is None:  # Core §3.1.2.1: REQUIRED
            raise PageError("missing redirect_uri")
        if redirect_uri not in self.clients[client_id]["redirect_uris"]:  # Core §3.1.2.1: exact match
            raise PageError("redirect_uri %r is not registered for client %r" % (redirect_uri, client_id))
        return client_id, redirect_uri

    def check_authorization(self, params, repeated):
        """The validated request (RFC 6749 §4.1.1, RFC 7636 §4.3, Core §3.1.2.1), or a RedirectError."""
        if repeated:
            raise RedirectError("invalid_request", "repeated parameter: %s" % ", ".join(sorted(repeated)))
        if "request" in params or "request_uri" in params:  # Core §6 is not offered
            name = "request" if "request" in params else "request_uri"
            raise RedirectError(name + "_not_supported", "the %s parameter is not supported" % name)
        if "response_type" not in params:
            raise RedirectError("invalid_request", "missing response_type")
        if params["response_type"] != "code":
            raise RedirectError("unsupported_response_type", "only response_type=code is supported")
        scopes = params.get("scope", "").split()
        if "openid" not in scopes:
            raise RedirectError("invalid_scope", "scope must contain openid")
        if "code_challenge" not in params:  # RFC 7636 §4.4.1: the server requires PKCE
            raise RedirectError("invalid_request", "code challenge required")
        if params.get("code_challenge_method", "plain") != "S256":  # §4.3: absent means plain
            raise RedirectError("invalid_request", "transform algorithm not supported")
        if not re.fullmatch(r"[A-Za-z0-9_-]{43}", params["code_challenge"]):  # BASE64URL(SHA-256)
            raise RedirectError("invalid_request", "code_challenge is not an S256 challenge")
        granted = " ".join(s for s in dict.fromkeys(scopes) if s in SCOPES)  # Core §3.1.2.1: ignore unknown
        return {"client_id": params["client_id"], "redirect_uri": params["redirect_uri"], "scope": granted,
                "nonce": params.get("nonce"), "code_challenge": params["code_challenge"]}

    def pick_user(self, req, params, client_id):
        """Who signs in: the login form's choice, else the next queued login, else the form."""
        if req.method == "POST" and "login_deny" in params:
            raise RedirectError("access_denied", "the user denied the request")
        if req.method == "POST" and "login_sub" in params:
            user = next((u for u in self.users if u["sub"] == params["login_sub"]), None)
            if user is None:
                raise PageError("no user %r" % params["login_sub"])
            return dict(user)
        if self.logins:
            login = self.logins.pop(0)
            if login.get("deny"):
                raise RedirectError("access_denied", login.get("error_description", "the user denied the request"))
            return login
        if "none" in params.get("prompt", "").split():  # Core §3.1.2.6
            raise RedirectError("login_required", "no login queued and prompt=none")
        if self.users:
            self.stats["login_forms"] += 1
            return login_form(self.prefix + "/authorize", params, client_id, self.users)  # relative: any host
        raise RedirectError("access_denied", "%s: nobody to sign in; queue one with POST /_double/next_login "
                                             "or start with --user" % NAME)

    # -- token endpoint -------------------------------------------------------------------------

    def token(self, req):
        if not req.form_encoded:  # RFC 6749 §4.1.3
            raise OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded")
        params, repeated = single_params(req.form)
        if repeated:
            raise OAuthError("invalid_request", "repeated parameter: %s" % ", ".join(sorted(repeated)))
        client_id = self.authenticate_client(req, params)
        if "grant_type" not in params:
            raise OAuthError("invalid_request", "missing grant_type")
        if params["grant_type"] != "authorization_code":
            raise OAuthError("unsupported_grant_type", "only authorization_code is supported")
        code = params.get("code")
        if not code:
            raise OAuthError("invalid_request", "missing code")
        grant = self.redeem(code, client_id, params)
        return self.issue_tokens(grant)

    def authenticate_client(self, req, params):
        """RFC 6749 §2.3.1: HTTP Basic with form-urlencoded id and secret, or both in the body."""
        basic = parse_basic(req.headers.get("Authorization", ""))
        if basic and "client_secret" in params:
            raise OAuthError("invalid_request", "more than one client authentication method (RFC 6749 §2.3)")
        if basic:
            (client_id, secret), method = basic, "client_secret_basic"
            if params.get("client_id", client_id) != client_id:
                raise invalid_client("client_id in the body differs from the Authorization header")
        elif "client_secret" in params:
            client_id, secret, method = params.get("client_id"), params["client_secret"], "client_secret_post"
        else:
            raise invalid_client("client authentication required")
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client["secret"].encode(), secret.encode()):
            raise invalid_client("client authentication failed")
        req.client_auth = method
        self.count("client_auth", method)
        return client_id

    def redeem(self, code, client_id, params):
        """The code's grant.  A code is good for one presentation, whatever its outcome."""
        grant = self.codes.get(code)
        if grant is None:
            raise OAuthError("invalid_grant", "unknown authorization code")
        if grant["used"]:
            if grant["access_token"] in self.tokens:  # RFC 6749 §4.1.2: SHOULD revoke what it gave
                self.tokens[grant["access_token"]]["revoked"] = True
            raise OAuthError("invalid_grant", "authorization code already used")
        grant["used"] = True
        if self.now() > grant["expires"]:
            raise OAuthError("invalid_grant", "authorization code expired")
        if grant["client_id"] != client_id:
            raise OAuthError("invalid_grant", "authorization code was issued to another client")
        if params.get("redirect_uri") != grant["redirect_uri"]:  # §4.1.3: identical to the request's
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
        verifier = params.get("code_verifier", "")
        if not PKCE_TEXT.fullmatch(verifier) or not secrets.compare_digest(s256(verifier), grant["code_challenge"]):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")  # RFC 7636 §4.6
        return grant

    def issue_tokens(self, grant):
        """RFC 6749 §5.1 with Core §3.1.3.3's id_token."""
        now, ttl = self.now(), self.args.token_ttl
        access = secrets.token_urlsafe(32)
        self.tokens[access] = {"claims": user_claims(grant["user"]), "client_id": grant["client_id"],
                               "expires": now + ttl, "revoked": False}
        grant["access_token"] = access
        self.stats["tokens_issued"] += 1
        body = {"access_token": access, "token_type": "Bearer", "expires_in": ttl,
                "id_token": self.id_token(grant, access, now), "scope": grant["scope"]}
        return json_reply(200, body, NO_STORE)

    def id_token(self, grant, access, now):
        user, ttl = grant["user"], self.args.token_ttl
        alg = user.get("alg") or self.args.alg
        key = self.key_sets[-1][alg]
        claims = dict(user_claims(user), iss=self.issuer, aud=grant["client_id"], iat=int(now),
                      exp=int(now) + ttl, auth_time=grant["auth_time"], at_hash=at_hash(access))
        if grant["nonce"] is not None:
            claims["nonce"] = grant["nonce"]  # Core §3.1.2.1: passed through unmodified
        header = {"alg": alg, "typ": "JWT", "kid": key.kid}
        fault = serving.take_fault(self.faults, lambda f: f["kind"] in ID_TOKEN_FAULTS, self.stats)
        if fault is None:
            self.last_nonce = grant["nonce"] or self.last_nonce
            return compact_jws(header, claims, key)
        key = self.spoil(fault, header, claims, key, now)
        return compact_jws(header, claims, key, corrupt=fault["kind"] == "bad_signature")

    def spoil(self, fault, header, claims, key, now):
        """Applies an ID-token fault to header and claims; the key to sign with."""
        kind, ttl = fault["kind"], self.args.token_ttl
        if kind == "wrong_audience":
            claims["aud"] = fault.get("value", "another-client")
        elif kind == "wrong_issuer":
            claims["iss"] = fault.get("value", self.issuer.rstrip("/") + "/wrong")
        elif kind == "expired":  # well past any clock-skew leeway
            claims["exp"] = int(now) - 600
            claims["iat"] = claims["auth_time"] = claims["exp"] - ttl
        elif kind == "future_iat":
            claims["iat"] = int(now) + 600
            claims["exp"] = claims["iat"] + ttl
        elif kind == "replay_nonce":
            claims["nonce"] = self.last_nonce or "nonce-of-an-earlier-login"
        elif kind == "no_nonce":
            claims.pop("nonce", None)
        elif kind == "unknown_kid":
            key = SigningKey(header["alg"])
            header["kid"] = key.kid
        elif kind == "alg_none":
            header["alg"] = "none"
            del header["kid"]
        return key

    # -- userinfo endpoint ----------------------------------------------------------------------

    def userinfo(self, req):
        """Core §5.3; the bearer token in the header (RFC 6750 §2.1) or a POST form (§2.2)."""
        scheme, _, token = req.headers.get("Authorization", "").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else dict(req.form).get("access_token")
        if not token:  # RFC 6750 §3.1: no error code when the request had no token
            return json_reply(401, {"error": "invalid_request", "error_description": "no access token"},
                              [("WWW-Authenticate", 'Bearer realm="%s"' % NAME)], "no token")
        entry = self.tokens.get(token)
        problem = ("unknown access token" if entry is None else "access token revoked" if entry["revoked"]
                   else "access token expired" if self.now() > entry["expires"] else None)
        if problem:
            challenge = 'Bearer realm="%s", error="invalid_token", error_description="%s"' % (NAME, problem)
            return json_reply(401, {"error": "invalid_token", "error_description": problem},
                              [("WWW-Authenticate", challenge)], "invalid_token")
        return json_reply(200, entry["claims"], NO_STORE)

    # -- faults, log and controls ---------------------------------------------------------------

    def transport_fault(self, req):
        """A queued drop, reset, delay or status fault for this request, carried out; a Reply for status."""
        def matches(fault):
            return fault["kind"] in TRANSPORT_FAULTS and req.path.startswith(fault["path_prefix"]) and \
                fault["method"] in ("*", req.method)
        with self.lock:
            fault = serving.take_fault(self.faults, matches, self.stats)
        if fault is None or serving.transport_fault(fault):
            return None
        error = "temporarily_unavailable" if fault["status"] == 503 else "server_error"  # RFC 6749 §4.1.2.1
        return json_reply(fault["status"], {"error": error, "error_description": "injected fault"}, note="fault")

    def record(self, req, reply):
        """One log entry per request, secrets left out; stats by status and error."""
        params = {k: "<redacted>" if k in SECRET_PARAMS else v for k, v in req.query + req.form}
        self.log.append({"time": round(self.now(), 3), "method": req.method, "path": req.path, "params": params,
                         "authorization": req.headers.get("Authorization", "").partition(" ")[0] or None,
                         "client_auth": req.client_auth, "status": reply.status, "error": reply.note or None})
        del self.log[:-1000]
        self.count("statuses", str(reply.status))
        if reply.note and reply.status != 200:  # an OAuth error code, or what else went wrong
            self.count("errors", reply.note)

    def handle_control(self, req):
        try:
            body = json.loads(req.body.decode("utf-8")) if req.body.strip() else {}
        except (ValueError, UnicodeDecodeError) as exc:
            return json_reply(400, {"error": "body is not JSON: %s" % exc})
        handler = CONTROLS.get((req.method, req.path.rstrip("/")))
        if handler is None:
            return json_reply(404, {"error": "no such control: %s %s" % (req.method, req.path)})
        try:
            return json_reply(200, handler(self, body))
        except (ValueError, TypeError, KeyError) as exc:
            return json_reply(400, {"error": str(exc)})


def fresh_stats():
    return {"calls": {}, "statuses": {}, "errors": {}, "client_auth": {}, "codes_issued": 0, "tokens_issued": 0,
            "login_forms": 0, "rotations": 0, "faults_served": 0}


def user_claims(user):
    return {k: v for k, v in user.items() if k not in LOGIN_KEYS}


def parse_basic(header):
    """(client_id, secret) from an Authorization: Basic header, None for another scheme or none.
    Each half is form-urlencoded before base64 (RFC 6749 §2.3.1)."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, colon, secret = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise invalid_client("malformed Basic credentials") from None
    if not colon:
        raise invalid_client("malformed Basic credentials")
    return unquote_plus(client_id), unquote_plus(secret)


def login_form(action, params, client_id, users):
    """A login page that works without JavaScript: one button per user, and Deny.  It POSTs the
    authorization request back with login_sub (or login_deny) added."""
    hidden = "".join('<input type="hidden" name="%s" value="%s">\n' % (html.escape(k), html.escape(v))
                     for k, v in params.items() if not k.startswith("login_"))
    buttons = "".join('<p><button type="submit" name="login_sub" value="%s" id="login-%s">%s</button></p>\n'
                      % (html.escape(u["sub"]), html.escape(u["sub"]),
                         html.escape(" - ".join(str(u[k]) for k in ("sub", "name", "email") if k in u)))
                      for u in users)
    body = ('<!doctype html>\n<html><head><meta charset="utf-8"><title>Sign in</title></head><body>\n'
            '<h1>Sign in to %s</h1>\n<form method="post" action="%s">\n%s%s'
            '<p><button type="submit" name="login_deny" value="1" id="deny">Deny</button></p>\n'
            "</form></body></html>\n") % (html.escape(client_id), html.escape(action), hidden, buttons)
    return Reply(200, body.encode(), "text/html; charset=utf-8", note="login form")


def parse_client(spec):
    client_id, secret, redirect_uri = (spec.split(":", 2) + ["", ""])[:3]
    if not client_id or not secret or not redirect_uri:
        raise SystemExit("%s: --client wants ID:SECRET:REDIRECT_URI, got %r" % (NAME, spec))
    return client_id, secret, [redirect_uri]


def parse_user(spec):
    """--user alice, or --user '{"sub": "alice", "email": ..., "groups": [...]}'."""
    try:
        user = json.loads(spec) if spec.lstrip().startswith("{") else {"sub": spec}
    except ValueError as exc:
        raise SystemExit("%s: --user is not JSON: %s" % (NAME, exc)) from None
    if not isinstance(user, dict) or not isinstance(user.get("sub"), str) or not user["sub"]:
        raise SystemExit("%s: --user needs a sub: %r" % (NAME, spec))
    return user


# ----------------------------------------------------------------------------- test controls

def control_clients(double, body):
    for spec in body if isinstance(body, list) else [body]:
        uris = spec.get("redirect_uris", [spec["redirect_uri"]] if "redirect_uri" in spec else [])
        if not isinstance(spec.get("client_id"), str) or not isinstance(spec.get("client_secret"), str) or not uris:
            raise ValueError("a client needs client_id, client_secret and redirect_uris (or redirect_uri)")
        double.add_client(spec["client_id"], spec["client_secret"], list(uris))
    return list_clients(double, body)


def list_clients(double, body):
    return {"clients": [{"client_id": k, "redirect_uris": v["redirect_uris"]} for k, v in double.clients.items()]}


def control_next_login(double, body):
    for login in body if isinstance(body, list) else [body]:
        if not isinstance(login, dict) or not (login.get("deny") or isinstance(login.get("sub"), str)):
            raise ValueError('a login needs "sub" (a string) and any claims, or "deny": true')
        if login.get("alg", ALGS[0]) not in ALGS:
            raise ValueError("alg: one of %s" % ", ".join(ALGS))
        double.logins.append(login)
    return {"logins": double.logins}


def list_logins(double, body):
    return {"logins": double.logins}


def clear_logins(double, body):
    double.logins.clear()
    return {"logins": []}


def control_faults(double, body):
    for spec in body if isinstance(body, list) else [body]:
        kind = spec.get("kind") if isinstance(spec, dict) else None
        if kind not in ID_TOKEN_FAULTS + TRANSPORT_FAULTS:
            raise ValueError("each fault needs kind: one of %s" % ", ".join(ID_TOKEN_FAULTS + TRANSPORT_FAULTS))
        if kind == "status" and not 400 <= int(spec.get("status", 0)) <= 599:
            raise ValueError("a status fault needs status: 400..599")
        double.faults.append(dict(spec, count=max(1, int(spec.get("count", 1))),
                                  method=str(spec.get("method", "*")).upper(),
                                  path_prefix=str(spec.get("path_prefix", "/"))))
    return {"faults": double.faults}


def list_faults(double, body):
    return {"faults": double.faults}


def clear_faults(double, body):
    double.faults.clear()
    return {"faults": []}


def control_rotate(double, body):
    double.key_sets = ([] if body.get("drop_old") else double.key_sets) + [double.new_keys()]
    double.stats["rotations"] += 1
    return {"current": {alg: key.kid for alg, key in double.key_sets[-1].items()},
            "published": [key.kid for key_set in double.key_sets for key in key_set.values()]}


def control_clock(double, body):
    if "offset" in body:
        double.clock_offset = float(body["offset"])
    double.clock_offset += float(body.get("advance", 0))
    return {"offset": double.clock_offset, "now": double.now()}


def control_log(double, body):
    return {"requests": double.log}


def clear_log(double, body):
    double.log.clear()
    return {"requests": []}


def control_stats(double, body):
    return double.stats


def reset_stats(double, body):
    double.stats = fresh_stats()
    return double.stats


CONTROLS = {
    ("POST", "/_double/clients"): control_clients,
    ("GET", "/_double/clients"): list_clients,
    ("POST", "/_double/next_login"): control_next_login,
    ("GET", "/_double/next_login"): list_logins,
    ("DELETE", "/_double/next_login"): clear_logins,
    ("POST", "/_double/faults"): control_faults,
    ("GET", "/_double/faults"): list_faults,
    ("DELETE", "/_double/faults"): clear_faults,
    ("POST", "/_double/rotate"): control_rotate,
    ("POST", "/_double/clock"): control_clock,
    ("GET", "/_double/clock"): control_clock,
    ("GET", "/_double/log"): control_log,
    ("DELETE", "/_double/log"): clear_log,
    ("GET", "/_double/stats"): control_stats,
    ("DELETE", "/_double/stats"): reset_stats,
}


# ----------------------------------------------------------------------------- HTTP plumbing

class Handler(serving.LoggingHandler):
    log_name = NAME
    max_body = 1024 * 1024
    protocol_version = "HTTP/1.1"  # keep-alive; every answer has a length

    def do_GET(self):
        self.dispatch()

    do_POST = do_GET

    def __getattr__(self, name):
        if name.startswith("do_"):  # any other verb: 405 from the route
            return self.dispatch
        raise AttributeError(name)

    def dispatch(self):
        double = self.server.double
        try:
            req = Request(self, self.read_body())
        except ValueError as exc:  # serving.BodyTooLarge is one too
            self.close_connection = True
            return self.send(Reply(413 if isinstance(exc, OverflowError) else 400, b"", None))
        try:
            if req.path.startswith("/_double/"):
                with double.lock:
                    return self.send(double.handle_control(req))
            reply = double.transport_fault(req)
            with double.lock:
                reply = reply or double.route(req)
                double.record(req, reply)
        except PageError as err:  # RFC 6749 §4.1.2.1: tell the user, never redirect
            with double.lock:
                reply = page(400, "Invalid authorization request", str(err), "invalid request page")
                double.record(req, reply)
        except serving.DropConnection as drop:
            return self.drop(drop)
        except Exception:  # a bug in the double: say so loudly rather than hang the client
            traceback.print_exc()
            self.close_connection = True
            reply = json_reply(500, {"error": "server_error", "error_description": "bug in oidc_double.py"})
        self.send(reply)


class Server(serving.QuietServer):
    """serving.serve() sets server.double just after binding: the moment the port, and so the
    issuer, becomes known."""

    @property
    def double(self):
        return self._double

    @double.setter
    def double(self, double):
        self._double = double
        double.bind(self.server_address[1])


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Loopback OpenID Connect provider (authorization code + PKCE).")
    parser.add_argument("--dir", required=True, help="directory for the port file")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (written to DIR/port)")
    parser.add_argument("--issuer", help="the issuer (default http://127.0.0.1:PORT); {port} is replaced; "
                                         "a path serves every endpoint under it")
    parser.add_argument("--client", action="append", metavar="ID:SECRET:REDIRECT_URI",
                        help="register a client (repeatable; the same ID again adds a redirect URI)")
    parser.add_argument("--user", action="append", metavar="SUB|JSON",
                        help='a user for the login form: a sub, or {"sub": ..., claims} (repeatable)')
    parser.add_argument("--alg", choices=ALGS, default="RS256", help="ID token signing algorithm (default RS256)")
    parser.add_argument("--token-ttl", type=int, default=300, help="access and ID token lifetime, seconds")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    return serving.serve(NAME, args.dir, args.port, Server, Handler, lambda: Double(args))


if __name__ == "__main__":
    sys.exit(main())
