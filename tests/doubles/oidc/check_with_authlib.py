#!/usr/bin/env python3
"""check_with_authlib.py - drives oidc_double.py with Authlib 1.2.0 and PyJWT 2.6, real OAuth 2.0 /
OpenID Connect client libraries nobody here wrote.

Run with Debian's interpreter, which has python3-authlib, python3-jwt, python3-requests and
python3-cryptography:
    /usr/bin/python3 tests/doubles/oidc/check_with_authlib.py

It starts the double on a free port, then goes through discovery (checked by Authlib's
OpenIDProviderMetadata), the authorization code flow with PKCE as Authlib's OAuth2Session runs it
(the redirect is read from the Location header, no browser), both client authentication methods,
ID tokens validated by Authlib (signature against the JWKS, then CodeIDToken: iss, aud, exp,
nonce, at_hash) and by PyJWT's PyJWKClient, UserInfo, key rotation, every ID-token fault refused,
the token and authorization endpoints' errors, the HTML login form (submitted without
JavaScript), transport faults, the log and stats.  It prints "check_with_authlib: N passed,
M failed" and exits non-zero on any failure.
"""


import base64
import json
import os
import sys
import tempfile
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote_plus, urljoin, urlsplit

import jwt  # PyJWT
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.jose.errors import (BadSignatureError, ExpiredTokenError, InvalidClaimError, MissingClaimError,
                                 UnsupportedAlgorithmError)
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata, get_well_known_url

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checker import Checker, start_double, stop_double  # noqa: E402 - tests/doubles/checker.py, shared with the other checks

HERE = os.path.dirname(os.path.abspath(__file__))
DOUBLE = os.path.join(HERE, "oidc_double.py")
CLIENT, SECRET = "signet-dashboard", "dashboard-secret"
REDIRECT = "http://127.0.0.1:9/auth/callback"  # never followed: the checker reads the Location header
OTHER_CLIENT, OTHER_SECRET = "other-app", "other-secret"
ALICE = {"sub": "alice", "email": "alice@example.test", "name": "Alice Adams", "groups": ["pki-admins", "ops"]}
BOB = {"sub": "bob", "name": "Bob Brown", "email": "bob@example.test"}

# What Authlib (and PyJWT) must raise for each ID-token fault.  PyJWT has no nonce check (None);
# Authlib 1.2.0's IDToken does not compare iat with the clock, PyJWT does.
FAULTS = {
    "bad_signature": (BadSignatureError, None, jwt.InvalidSignatureError),
    "wrong_audience": (InvalidClaimError, "aud", jwt.InvalidAudienceError),
    "wrong_issuer": (InvalidClaimError, "iss", jwt.InvalidIssuerError),
    "expired": (ExpiredTokenError, None, jwt.ExpiredSignatureError),
    "unknown_kid": (ValueError, None, jwt.PyJWKClientError),  # KeySet.find_by_kid: no such key
    "alg_none": (UnsupportedAlgorithmError, None, jwt.PyJWKClientError),  # and no kid either
    "replay_nonce": (InvalidClaimError, "nonce", None),
    "no_nonce": (MissingClaimError, "nonce", None),
    "future_iat": (None, None, jwt.ImmatureSignatureError),
}


class DoubleProcess:
    def __init__(self, directory, *options):
        self.dir, self.options, self.proc = directory, list(options), None
        self.log_path = os.path.join(directory, "double.log")

    def start(self):
        self.proc, self.url = start_double(DOUBLE, self.dir, self.options, self.log_path)
        return self.url

    def stop(self):
        return stop_double(self.proc)


class FormReader(HTMLParser):
    """What a browser without JavaScript sees of a form: action, method, inputs, submit buttons."""

    def __init__(self):
        super().__init__()
        self.action, self.method, self.fields, self.buttons = None, None, [], {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action, self.method = attrs.get("action"), attrs.get("method", "get").lower()
        elif tag == "input" and attrs.get("type") == "hidden":
            self.fields.append((attrs["name"], attrs.get("value", "")))
        elif tag == "button" and attrs.get("type", "submit") == "submit":
            self.buttons[attrs.get("id")] = (attrs.get("name"), attrs.get("value", ""))


def query_of(location):
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


class Suite:
    def __init__(self, checker, double):
        self.c, self.double = checker, double
        self.url = double.url
        self.jwt = JsonWebToken(["RS256", "ES256"])  # what the RP accepts; never "none"
        self.meta = requests.get(get_well_known_url(self.url, external=True), timeout=10).json()

    def control(self, method, endpoint, body=None):
        response = requests.request(method, self.url + "/_double/" + endpoint, json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def session(self, auth="client_secret_basic", client=CLIENT, secret=SECRET, scope="openid profile email"):
        session = OAuth2Session(client, secret, token_endpoint_auth_method=auth, scope=scope,
                                redirect_uri=REDIRECT, code_challenge_method="S256")
        session.responses = []  # the token endpoint's raw answers, for status and headers
        session.register_compliance_hook("access_token_response", lambda r: session.responses.append(r) or r)
        return session

    def authorize(self, session, verifier, **params):
        """The authorization request Authlib builds, sent; the 302 is read, not followed."""
        uri, state = session.create_authorization_url(self.meta["authorization_endpoint"],
                                                      code_verifier=verifier, **params)
        return requests.get(uri, allow_redirects=False, timeout=10), state

    def sign_in(self, login=None, auth="client_secret_basic"):
        """A whole sign-in; returns (session, token, nonce, verifier, location)."""
        session, verifier, nonce = self.session(auth), generate_token(64), generate_token(24)
        if login is not None:
            self.control("POST", "next_login", login)
        response, _ = self.authorize(session, verifier, nonce=nonce)
        location = response.headers["Location"]
        token = session.fetch_token(self.meta["token_endpoint"], authorization_response=location,
                                    code_verifier=verifier)
        return session, token, nonce, verifier, location

    def jwks(self):
        return JsonWebKey.import_key_set(requests.get(self.meta["jwks_uri"], timeout=10).json())

    def validate(self, token, nonce, jwks=None):
        """Authlib's ID token validation (Core §3.1.3.7): signature against the JWKS, then CodeIDToken's
        iss, aud, exp, nonce and at_hash."""
        claims = self.jwt.decode(token["id_token"], jwks or self.jwks(), claims_cls=CodeIDToken,
                                 claims_options={"iss": {"essential": True, "value": self.meta["issuer"]},
                                                 "aud": {"essential": True, "value": CLIENT}},
                                 claims_params={"nonce": nonce, "client_id": CLIENT,
                                                "access_token": token["access_token"]})
        claims.validate()
        return claims

    def pyjwt(self, id_token, client=None):
        """PyJWT's check: the key by kid from the JWKS (refetched on an unknown kid), then iss, aud, exp, iat."""
        client = client or jwt.PyJWKClient(self.meta["jwks_uri"], cache_jwk_set=False)
        key = client.get_signing_key_from_jwt(id_token)
        return jwt.decode(id_token, key.key, algorithms=["RS256", "ES256"], audience=CLIENT,
                          issuer=self.meta["issuer"], options={"require": ["iss", "aud", "exp", "iat", "sub"]})

    def oauth_error(self, fn, *args, **kwargs):
        try:
            fn(*args, **kwargs)
        except OAuthError as err:
            return err.error
        return None

    # -- sections -----------------------------------------------------------------------------

    def discovery(self):
        c, meta = self.c, self.meta
        os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # Authlib's own switch for plain-HTTP development servers
        try:
            OpenIDProviderMetadata(meta).validate()
            valid = True
        except ValueError as exc:
            valid = str(exc)
        c.ok("discovery document passes Authlib's OpenIDProviderMetadata.validate()", valid is True, valid)
        c.ok("issuer is http://127.0.0.1:PORT, no trailing slash", meta["issuer"] == self.url)
        c.ok("endpoints under the issuer", all(meta[k] == self.url + p for k, p in (
            ("authorization_endpoint", "/authorize"), ("token_endpoint", "/token"), ("jwks_uri", "/jwks"),
            ("userinfo_endpoint", "/userinfo"))))
        c.ok("S256 only, code only, RS256 and ES256, basic and post",
             meta["code_challenge_methods_supported"] == ["S256"] and meta["response_types_supported"] == ["code"]
             and meta["grant_types_supported"] == ["authorization_code"]
             and meta["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]
             and meta["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"]
             and meta["authorization_response_iss_parameter_supported"] is True)
        keys = requests.get(meta["jwks_uri"], timeout=10).json()["keys"]
        c.ok("JWKS: an RSA and an EC P-256 signing key, kid/alg/use set",
             sorted(k["kty"] for k in keys) == ["EC", "RSA"]
             and all(k["use"] == "sig" and k["kid"] and k["alg"] in ("RS256", "ES256") for k in keys)
             and all(("n" in k and "e" in k) or (k.get("crv") == "P-256" and "x" in k and "y" in k) for k in keys))
        c.ok("Authlib imports the JWKS", len(self.jwks().keys) == 2)

    def code_flow_basic(self):
        c = self.c
        session, verifier, nonce = self.session(), generate_token(64), generate_token(24)
        self.control("POST", "next_login", ALICE)
        response, state = self.authorize(session, verifier, nonce=nonce)
        location = response.headers.get("Location", "")
        params = query_of(location)
        c.ok("authorize -> 302 to the exact redirect_uri with code and state", response.status_code == 302
             and location.startswith(REDIRECT + "?") and params.get("code") and params.get("state") == state, location)
        c.ok("the redirect carries iss (RFC 9207)", params.get("iss") == self.meta["issuer"])
        logged = [e for e in self.control("GET", "log")["requests"] if e["path"] == "/authorize"][-1]
        c.ok("the request carried the S256 challenge of the verifier", logged["params"].get("code_challenge")
             == create_s256_code_challenge(verifier) and logged["params"].get("code_challenge_method") == "S256")
        token = session.fetch_token(self.meta["token_endpoint"], authorization_response=location,
                                    code_verifier=verifier)
        raw = session.responses[-1]
        c.ok("token (client_secret_basic, PKCE) -> Bearer, expires_in, id_token, scope", token["token_type"] == "Bearer"
             and token["expires_in"] == 300 and token["id_token"] and token["scope"] == "openid profile email",
             str(token))
        c.ok("token response: 200, application/json, Cache-Control: no-store", raw.status_code == 200
             and raw.headers["Content-Type"] == "application/json" and raw.headers.get("Cache-Control") == "no-store")
        claims = self.validate(token, nonce)
        c.ok("Authlib validates the ID token (RS256, iss, aud, exp, nonce, at_hash)",
             claims.header["alg"] == "RS256" and claims["sub"] == "alice" and claims["nonce"] == nonce
             and claims["aud"] == CLIENT and claims["at_hash"] and isinstance(claims["auth_time"], int))
        c.ok("the ID token carries the user's claims", claims["email"] == ALICE["email"]
             and claims["groups"] == ALICE["groups"] and claims["name"] == ALICE["name"])
        decoded = self.pyjwt(token["id_token"])
        c.ok("PyJWT verifies it too (key from PyJWKClient by kid)", decoded["sub"] == "alice")
        info = session.get(self.meta["userinfo_endpoint"], timeout=10)
        c.ok("userinfo with the access token -> the claims", info.status_code == 200
             and info.json() == ALICE, info.text)
        self.first = (token, nonce)
        c.ok("the code is single use: again -> invalid_grant", self.oauth_error(
            session.fetch_token, self.meta["token_endpoint"], authorization_response=location,
            code_verifier=verifier) == "invalid_grant")
        c.ok("reuse: 400 with error_description", session.responses[-1].status_code == 400
             and session.responses[-1].json()["error_description"])
        c.ok("reuse revokes the access token the code gave (RFC 6749 §4.1.2)",
             session.get(self.meta["userinfo_endpoint"], timeout=10).status_code == 401)

    def code_flow_post_es256(self):
        c = self.c
        session, token, nonce, _, _ = self.sign_in(dict(BOB, alg="ES256"), auth="client_secret_post")
        claims = self.validate(token, nonce)
        c.ok("client_secret_post + per-login ES256: Authlib validates", claims.header["alg"] == "ES256"
             and claims["sub"] == "bob")
        c.ok("PyJWT verifies the ES256 token", self.pyjwt(token["id_token"])["sub"] == "bob")
        entry = [e for e in self.control("GET", "log")["requests"] if e["path"] == "/token"][-1]
        c.ok("log: client_secret_post recorded, secrets redacted", entry["client_auth"] == "client_secret_post"
             and entry["params"]["client_secret"] == "<redacted>" and entry["params"]["code_verifier"] == "<redacted>")

    def client_authentication(self):
        c = self.c
        odd_id, odd_secret = "odd client+1", "p%41ss word+:/é"
        self.control("POST", "clients", {"client_id": odd_id, "client_secret": odd_secret, "redirect_uris": [REDIRECT]})
        for label, header in (("form-urlencoded", quote_plus(odd_id) + ":" + quote_plus(odd_secret)),
                              ("raw", odd_id + ":" + odd_secret)):
            verifier = generate_token(50)
            session = self.session(client=odd_id, secret=odd_secret)
            self.control("POST", "next_login", {"sub": "carol"})
            location = self.authorize(session, verifier)[0].headers["Location"]
            basic = "Basic " + base64.b64encode(header.encode()).decode()
            response = requests.post(self.meta["token_endpoint"], headers={"Authorization": basic}, timeout=10, data={
                "grant_type": "authorization_code", "code": query_of(location)["code"], "redirect_uri": REDIRECT,
                "code_verifier": verifier})
            expected = 200 if label == "form-urlencoded" else 401
            c.ok("Basic with %s id and secret -> %d (RFC 6749 §2.3.1)" % (label, expected),
                 response.status_code == expected, response.text)
        session = self.session("client_secret_post", client=odd_id, secret=odd_secret)
        self.control("POST", "next_login", {"sub": "carol"})
        verifier = generate_token(50)
        location = self.authorize(session, verifier)[0].headers["Location"]
        token = session.fetch_token(self.meta["token_endpoint"], authorization_response=location,
                                    code_verifier=verifier)
        c.ok("the same client with client_secret_post (Authlib) -> token", bool(token.get("id_token")))

        session = self.session(secret="wrong-secret")
        self.control("POST", "next_login", ALICE)
        verifier = generate_token(50)
        location = self.authorize(session, verifier)[0].headers["Location"]
        error = self.oauth_error(session.fetch_token, self.meta["token_endpoint"], authorization_response=location,
                                 code_verifier=verifier)
        raw = session.responses[-1]
        c.ok("wrong client secret -> 401 invalid_client with WWW-Authenticate: Basic", error == "invalid_client"
             and raw.status_code == 401 and raw.headers.get("WWW-Authenticate", "").startswith("Basic ")
             and raw.headers.get("Cache-Control") == "no-store")
        response = requests.post(self.meta["token_endpoint"], auth=(CLIENT, SECRET), timeout=10, data={
            "grant_type": "authorization_code", "code": "x", "client_id": CLIENT, "client_secret": SECRET})
        c.ok("two client authentication methods at once -> 400 invalid_request",
             response.status_code == 400 and response.json()["error"] == "invalid_request")
        response = requests.post(self.meta["token_endpoint"], timeout=10, data={"grant_type": "authorization_code",
                                                                               "code": "x", "client_id": CLIENT})
        c.ok("no client authentication -> 401 invalid_client", response.status_code == 401
             and response.json()["error"] == "invalid_client")

    def token_errors(self):
        c, endpoint = self.c, self.meta["token_endpoint"]

        def fresh(login=ALICE, session=None):
            session, verifier = session or self.session(), generate_token(64)
            self.control("POST", "next_login", login)
            return session, verifier, self.authorize(session, verifier)[0].headers["Location"]

        session, verifier, location = fresh()
        c.ok("wrong code_verifier -> invalid_grant", self.oauth_error(
            session.fetch_token, endpoint, authorization_response=location, code_verifier=generate_token(64))
            == "invalid_grant" and session.responses[-1].status_code == 400)
        c.ok("the code is spent even so -> invalid_grant", self.oauth_error(
            session.fetch_token, endpoint, authorization_response=location, code_verifier=verifier) == "invalid_grant")
        session, verifier, location = fresh()
        c.ok("no code_verifier -> invalid_grant", self.oauth_error(
            session.fetch_token, endpoint, authorization_response=location) == "invalid_grant")
        session, verifier, location = fresh()
        c.ok("redirect_uri differing from the request's -> invalid_grant", self.oauth_error(
            session.fetch_token, endpoint, authorization_response=location, code_verifier=verifier,
            redirect_uri=REDIRECT + "/other") == "invalid_grant")
        session, verifier, location = fresh()
        other = self.session(client=OTHER_CLIENT, secret=OTHER_SECRET)
        c.ok("a code redeemed by another client -> invalid_grant", self.oauth_error(
            other.fetch_token, endpoint, authorization_response=location, code_verifier=verifier) == "invalid_grant")
        session, verifier, location = fresh()
        self.control("POST", "clock", {"advance": 61})
        c.ok("a code after 60 s -> invalid_grant", self.oauth_error(
            session.fetch_token, endpoint, authorization_response=location, code_verifier=verifier) == "invalid_grant")
        self.control("POST", "clock", {"offset": 0})
        c.ok("grant_type client_credentials -> unsupported_grant_type", self.oauth_error(
            self.session().fetch_token, endpoint, grant_type="client_credentials") == "unsupported_grant_type")
        c.ok("unknown code -> invalid_grant", self.oauth_error(
            self.session().fetch_token, endpoint, grant_type="authorization_code", code="nope",
            code_verifier=generate_token(64)) == "invalid_grant")
        response = requests.get(endpoint, timeout=10)
        c.ok("GET /token -> 405", response.status_code == 405 and response.headers.get("Allow") == "POST")
        response = requests.post(endpoint, json={"grant_type": "authorization_code"}, auth=(CLIENT, SECRET), timeout=10)
        c.ok("a JSON body -> 400 invalid_request", response.status_code == 400
             and response.json()["error"] == "invalid_request")

    def authorization_errors(self):
        c = self.c
        session, verifier = self.session(), generate_token(64)

        def redirect_error(**params):
            response, state = self.authorize(session, params.pop("verifier", verifier), **params)
            query = query_of(response.headers.get("Location", ""))
            ok = response.status_code == 302 and response.headers["Location"].startswith(REDIRECT + "?") \
                and query.get("state") == state and query.get("iss") == self.meta["issuer"] and "code" not in query
            return query.get("error") if ok else "bad redirect %s" % response.headers.get("Location")

        c.ok("no PKCE -> redirect with error=invalid_request, state and iss",
             redirect_error(verifier=None) == "invalid_request")
        uri, _ = session.create_authorization_url(self.meta["authorization_endpoint"])
        response = requests.get(uri + "&code_challenge=" + generate_token(43) + "&code_challenge_method=plain",
                                allow_redirects=False, timeout=10)
        c.ok("code_challenge_method=plain -> error=invalid_request",
             query_of(response.headers["Location"]).get("error") == "invalid_request")
        response = requests.get(uri + "&code_challenge_method=S256", allow_redirects=False, timeout=10)
        c.ok("code_challenge_method=S256 without code_challenge -> error=invalid_request",
             query_of(response.headers.get("Location", "")).get("error") == "invalid_request")
        c.ok("scope without openid -> error=invalid_scope", redirect_error(scope="profile email") == "invalid_scope")
        c.ok("response_type=token -> error=unsupported_response_type",
             redirect_error(response_type="token") == "unsupported_response_type")
        c.ok("request object -> error=request_not_supported",
             redirect_error(request="e30.e30.") == "request_not_supported")
        self.control("POST", "next_login", {"deny": True})
        c.ok("next_login deny -> error=access_denied", redirect_error() == "access_denied")
        c.ok("prompt=none with nobody queued -> error=login_required",
             redirect_error(prompt="none") == "login_required")
        uri, _ = session.create_authorization_url(self.meta["authorization_endpoint"], code_verifier=verifier)
        response = requests.get(uri + "&scope=openid", allow_redirects=False, timeout=10)
        c.ok("a repeated parameter -> error=invalid_request",
             query_of(response.headers["Location"]).get("error") == "invalid_request")
        for label, client, redirect in (("unknown client", "nobody", REDIRECT),
                                        ("unregistered redirect_uri", CLIENT, REDIRECT + "/evil"),
                                        ("redirect_uri differing by a trailing slash", CLIENT, REDIRECT + "/")):
            stranger = OAuth2Session(client, "x", scope="openid", redirect_uri=redirect, code_challenge_method="S256")
            uri, _ = stranger.create_authorization_url(self.meta["authorization_endpoint"], code_verifier=verifier)
            response = requests.get(uri, allow_redirects=False, timeout=10)
            c.ok("%s -> 400 HTML page, no redirect" % label, response.status_code == 400
                 and "Location" not in response.headers and response.headers["Content-Type"].startswith("text/html"))

    def login_form(self):
        c = self.c
        self.control("DELETE", "next_login")
        session, verifier, nonce = self.session(), generate_token(64), generate_token(24)
        response, state = self.authorize(session, verifier, nonce=nonce)
        form = FormReader()
        form.feed(response.text)
        c.ok("no login queued, --user given -> 200 HTML form, buttons per user and Deny", response.status_code == 200
             and form.method == "post" and set(form.buttons) == {"login-alice", "login-bob", "deny"}, response.text)

        def click(button):  # what a browser without JavaScript sends
            name, value = form.buttons[button]
            return requests.post(urljoin(response.url, form.action), data=form.fields + [(name, value)],
                                 allow_redirects=False, timeout=10)

        answer = click("login-bob")
        location = answer.headers.get("Location", "")
        c.ok("clicking bob -> 302 with code and state", answer.status_code == 302
             and query_of(location).get("state") == state and "code" in query_of(location))
        token = session.fetch_token(self.meta["token_endpoint"], authorization_response=location,
                                    code_verifier=verifier)
        claims = self.validate(token, nonce)
        c.ok("the form's user signs in, --user claims included", claims["sub"] == "bob"
             and claims["email"] == BOB["email"] and claims["nonce"] == nonce)
        c.ok("clicking Deny -> error=access_denied", query_of(click("deny").headers["Location"]).get("error")
             == "access_denied")

    def rotation(self):
        c = self.c
        old_token, old_nonce = self.first
        cached = jwt.PyJWKClient(self.meta["jwks_uri"])  # caches the JWKS, as an RP would
        self.pyjwt(old_token["id_token"], cached)
        old_kid = json.loads(base64.urlsafe_b64decode(old_token["id_token"].split(".")[0] + "==="))["kid"]
        rotated = self.control("POST", "rotate")
        c.ok("rotate -> a new current kid, the old one still published", rotated["current"]["RS256"] != old_kid
             and old_kid in rotated["published"] and len(rotated["published"]) == 4)
        _, token, nonce, _, _ = self.sign_in(ALICE)
        jwks = self.jwks()
        new = self.validate(token, nonce, jwks)
        c.ok("a new token has the new kid and validates", new.header["kid"] == rotated["current"]["RS256"])
        c.ok("a token signed before the rotation still validates with the new JWKS",
             self.jwt.decode(old_token["id_token"], jwks)["sub"] == "alice")
        c.ok("PyJWKClient with a cached JWKS refetches on the new kid", self.pyjwt(token["id_token"], cached)["sub"]
             == "alice")
        dropped = self.control("POST", "rotate", {"drop_old": True})
        c.ok("rotate drop_old -> only the new keys published", len(dropped["published"]) == 2
             and old_kid not in [k["kid"] for k in requests.get(self.meta["jwks_uri"], timeout=10).json()["keys"]])
        c.raises("a token of a dropped key is refused by Authlib (no such kid)", ValueError,
                 self.jwt.decode, old_token["id_token"], self.jwks())

    def faults(self):
        c = self.c
        previous_nonce = self.sign_in(ALICE)[2]
        for kind, (authlib_error, claim, pyjwt_error) in FAULTS.items():
            self.control("POST", "faults", [{"kind": kind}])
            _, token, nonce, _, _ = self.sign_in(ALICE)
            if authlib_error is None:
                self.validate(token, nonce)
                c.ok("%s: Authlib 1.2.0 accepts it (IDToken does not compare iat with now)" % kind, True)
            else:
                error = c.raises("%s: refused by Authlib (%s)" % (kind, authlib_error.__name__), authlib_error,
                                 self.validate, token, nonce)
                if claim:
                    c.ok("%s: the claim refused is %s" % (kind, claim), error is not None and claim in str(error))
            if pyjwt_error is not None:
                c.raises("%s: refused by PyJWT (%s)" % (kind, pyjwt_error.__name__), pyjwt_error,
                         self.pyjwt, token["id_token"])
            if kind == "replay_nonce":
                payload = self.jwt.decode(token["id_token"], self.jwks())
                c.ok("replay_nonce: it carries the previous login's nonce", payload["nonce"] == previous_nonce)
        _, token, nonce, _, _ = self.sign_in(ALICE)
        c.ok("after the faults, tokens validate again", self.validate(token, nonce)["sub"] == "alice")

        self.control("POST", "faults", [{"kind": "drop", "path_prefix": "/token"}])
        try:
            self.sign_in(ALICE)
            dropped = False
        except requests.exceptions.ConnectionError:
            dropped = True
        c.ok("transport fault drop on /token: connection closed unanswered", dropped)
        self.control("POST", "faults", [{"kind": "status", "status": 503, "path_prefix": "/jwks"}])
        response = requests.get(self.meta["jwks_uri"], timeout=10)
        c.ok("transport fault status 503 on /jwks", response.status_code == 503
             and response.json()["error"] == "temporarily_unavailable")
        c.ok("then /jwks answers again", requests.get(self.meta["jwks_uri"], timeout=10).status_code == 200)

    def userinfo(self):
        c, endpoint = self.c, self.meta["userinfo_endpoint"]
        _, token, _, _, _ = self.sign_in(ALICE)
        response = requests.post(endpoint, data={"access_token": token["access_token"]}, timeout=10)
        c.ok("userinfo by POST with the token in the form (RFC 6750 §2.2)", response.status_code == 200
             and response.json()["sub"] == "alice")
        response = requests.get(endpoint, headers={"Authorization": "Bearer not-a-token"}, timeout=10)
        c.ok('a bad token -> 401 WWW-Authenticate: Bearer error="invalid_token"', response.status_code == 401
             and response.headers.get("WWW-Authenticate", "").startswith("Bearer ")
             and 'error="invalid_token"' in response.headers["WWW-Authenticate"])
        response = requests.get(endpoint, timeout=10)
        c.ok("no token -> 401 Bearer without an error code (RFC 6750 §3.1)", response.status_code == 401
             and response.headers["WWW-Authenticate"].startswith("Bearer ")
             and "error=" not in response.headers["WWW-Authenticate"])
        self.control("POST", "clock", {"advance": 301})
        response = requests.get(endpoint, headers={"Authorization": "Bearer " + token["access_token"]}, timeout=10)
        self.control("POST", "clock", {"offset": 0})
        c.ok("an expired token -> 401 invalid_token", response.status_code == 401
             and 'error="invalid_token"' in response.headers["WWW-Authenticate"])

    def log_and_stats(self):
        c = self.c
        log = self.control("GET", "log")["requests"]
        text = json.dumps(log)
        c.ok("log: one entry per request, control requests left out", len(log) > 50
             and not any(e["path"].startswith("/_double/") for e in log))
        c.ok("log: the authorization request's PKCE and nonce are visible", any(
            e["path"] == "/authorize" and e["params"].get("code_challenge_method") == "S256"
            and e["params"].get("nonce") for e in log))
        first_token, _ = self.first
        c.ok("log: no secret, access token or code", SECRET not in text and "p%41ss" not in text
             and first_token["access_token"] not in text and not any(
                 e["params"].get("code", "<redacted>") != "<redacted>" for e in log))
        c.ok("the double's stderr holds no secret either", SECRET not in open(self.double.log_path).read())
        stats = self.control("GET", "stats")
        c.ok("stats: calls, client auth methods, errors, faults", stats["calls"].get("POST /token", 0) > 20
             and stats["client_auth"]["client_secret_basic"] > 10 and stats["client_auth"]["client_secret_post"] >= 2
             and stats["errors"]["invalid_grant"] >= 7 and stats["errors"]["access_denied"] >= 2
             and stats["faults_served"] == 11 and stats["rotations"] == 2 and stats["login_forms"] == 1,
             json.dumps(stats))

    def issuer_path_es256(self, directory):
        """A second double: --issuer with a path, as Keycloak's realms have, and --alg ES256."""
        c = self.c
        other = DoubleProcess(directory, "--issuer", "http://127.0.0.1:{port}/realms/signet/", "--alg", "ES256",
                              "--client", "%s:%s:%s" % (CLIENT, SECRET, REDIRECT))
        url = other.start()
        try:
            meta = requests.get(get_well_known_url(url + "/realms/signet/", external=True), timeout=10).json()
            c.ok("--issuer with a path: discovery under it, issuer as given", meta["issuer"]
                 == url + "/realms/signet/" and meta["token_endpoint"] == url + "/realms/signet/token")
            saved, self.meta, self.url = (self.meta, self.url), meta, url
            try:
                _, token, nonce, _, _ = self.sign_in(ALICE)
                claims = self.validate(token, nonce)
                c.ok("--alg ES256: the default signature is ES256, iss is the issuer",
                     claims.header["alg"] == "ES256" and claims["iss"] == url + "/realms/signet/")
            finally:
                self.meta, self.url = saved
        finally:
            code = other.stop()
        c.ok("SIGTERM exits 0, port file removed", code == 0 and not os.path.exists(os.path.join(directory, "port")))


def main():
    checker = Checker("check_with_authlib", verbose=True)
    with tempfile.TemporaryDirectory(prefix="oidc-double-") as directory:
        double = DoubleProcess(directory, "--client", "%s:%s:%s" % (CLIENT, SECRET, REDIRECT),
                               "--client", "%s:%s:%s" % (OTHER_CLIENT, OTHER_SECRET, REDIRECT),
                               "--user", json.dumps(ALICE), "--user", json.dumps(BOB))
        double.start()
        suite = Suite(checker, double)
        try:
            for section in (suite.discovery, suite.code_flow_basic, suite.code_flow_post_es256,
                            suite.client_authentication, suite.token_errors, suite.authorization_errors,
                            suite.login_form, suite.rotation, suite.faults, suite.userinfo, suite.log_and_stats):
                checker.section(section)
        finally:
            code = double.stop()
        checker.ok("SIGTERM exits 0", code == 0, "exit code %s" % code)
        checker.ok("port file removed", not os.path.exists(os.path.join(directory, "port")))
        second = os.path.join(directory, "second")
        os.makedirs(second)
        checker.section(suite.issuer_path_es256, second)
        if checker.failed:
            sys.stderr.write(open(double.log_path).read()[-6000:])
    print("check_with_authlib: %d passed, %d failed" % (checker.passed, checker.failed))
    return 1 if checker.failed else 0


if __name__ == "__main__":
    sys.exit(main())
