#!/usr/bin/env python3
"""check_with_hvac.py - drives vault_double.py with hvac 0.11.2, a real Vault client library.

Run with Debian's interpreter, which has python3-hvac and python3-cryptography:
    /usr/bin/python3 tests/doubles/vault/check_with_hvac.py

It starts the double in a temporary directory with a config file, then goes through AppRole,
Kubernetes and JWT logins, token lookup/renewal/expiry, KV v2 (check-and-set, versions, soft
delete, undelete, destroy, metadata, listing), Transit (keys, sign/verify checked with the
openssl CLI, encrypt/decrypt, rotate, export), response wrapping, policies, namespaces, sealed,
standby, rate-limit and fault modes, and a restart.  It prints
"check_with_hvac: N passed, M failed" and exits non-zero on any failure.
"""


import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

import hvac
import hvac.exceptions as hexc
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checker import Checker, start_double, stop_double  # noqa: E402 - tests/doubles/checker.py, shared with the other checks

HERE = os.path.dirname(os.path.abspath(__file__))
DOUBLE = os.path.join(HERE, "vault_double.py")
ROOT = "check-root-token"

SIGNET_POLICY = """
# Signet's certificate store and signing keys
path "secret/data/certs/*" { capabilities = ["create", "read", "update", "patch", "delete"] }
path "secret/metadata/certs/*" { capabilities = ["read", "list", "update", "patch", "delete"] }
path "secret/metadata/certs" { capabilities = ["list"] }
path "secret/delete/certs/*" { capabilities = ["update"] }
path "secret/undelete/certs/*" { capabilities = ["update"] }
path "secret/destroy/certs/*" { capabilities = ["update"] }
path "transit/+/signet-*" { capabilities = ["create", "read", "update"] }
path "secret/data/certs/locked" { capabilities = ["deny"] }
"""

CONFIG = {
    "root_token": ROOT,
    "namespaces": {"team1": {"policies": {"team": 'path "secret/*" { capabilities = ["create","read","update","list"] }'}}},
    "policies": {"signet": SIGNET_POLICY, "reader": {"path": {"secret/data/certs/*": {"capabilities": ["read"]}}}},
    "approle": {"signet": {"role_id": "signet-role-id", "secret_id": "signet-secret-id", "token_policies": ["signet"],
                           "token_ttl": "20m", "token_max_ttl": "30m"}},
    "kubernetes": {"roles": {"signet": {"bound_service_account_names": ["signet"],
                                        "bound_service_account_namespaces": ["pki"],
                                        "token_policies": ["signet"], "token_ttl": 600}}},
    "jwt": {"roles": {"ci": {"bound_audiences": ["vault"], "bound_subject": "repo:signet:ref:main",
                             "user_claim": "sub", "token_policies": ["reader"]}}},
}


class DoubleProcess:
    def __init__(self, directory):
        self.dir, self.proc = directory, None

    def start(self):
        self.proc, self.url = start_double(DOUBLE, self.dir, ["--config", os.path.join(self.dir, "config.json")],
                                           os.path.join(self.dir, "double.log"))
        return self.url

    def stop(self):
        return stop_double(self.proc)


class Suite:
    def __init__(self, checker, double):
        self.c, self.double = checker, double
        self.url = double.url
        self.root = self.client(ROOT)
        self.tmp = double.dir

    def client(self, token=None, namespace=None):
        return hvac.Client(url=self.url, token=token, namespace=namespace)

    def control(self, method, endpoint, body=None, **params):
        response = requests.request(method, self.url + "/_double/" + endpoint, json=body, params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def raw(self, method, path, token=None, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["X-Vault-Token"] = token
        return requests.request(method, self.url + "/v1/" + path, headers=headers, timeout=10, **kwargs)

    def openssl(self, *args):
        result = subprocess.run(["openssl"] + list(args), capture_output=True, text=True, cwd=self.tmp)
        return result.returncode == 0 and "Verified OK" in (result.stdout + result.stderr) or \
            (result.returncode == 0 and "Signature Verified Successfully" in (result.stdout + result.stderr))

    def write(self, name, data):
        with open(os.path.join(self.tmp, name), "wb" if isinstance(data, bytes) else "w") as handle:
            handle.write(data)
        return name

    # -- sections -----------------------------------------------------------------------------

    def sys_status(self):
        c = self.c
        health = self.root.sys.read_health_status(method="GET")
        c.ok("health GET 200", isinstance(health, dict) and health["sealed"] is False and health["initialized"])
        c.ok("health HEAD 200", self.root.sys.read_health_status().status_code == 200)
        c.ok("not sealed", self.root.sys.is_sealed() is False)
        mounts = self.root.sys.list_mounted_secrets_engines()
        c.ok("mounts list kv v2 and transit", mounts["data"]["secret/"]["options"]["version"] == "2"
             and mounts["data"]["transit/"]["type"] == "transit" and "secret/" in mounts)
        c.ok("unknown verb is 405", self.raw("FOO", "secret/data/x", ROOT).status_code == 405)
        response = self.raw("GET", "nope/path", ROOT)
        c.ok("no handler for route 404", response.status_code == 404 and
             response.json() == {"errors": ['no handler for route "nope/path". route entry not found.']})

    def approle_and_tokens(self):
        c = self.c
        client = self.client()
        login = client.auth.approle.login(role_id="signet-role-id", secret_id="signet-secret-id")
        auth = login["auth"]
        c.ok("approle login auth block", auth["client_token"].startswith("hvs.") and auth["accessor"]
             and auth["policies"] == ["default", "signet"] and auth["token_policies"] == ["default", "signet"]
             and auth["lease_duration"] == 1200 and auth["renewable"] is True
             and auth["metadata"] == {"role_name": "signet"} and login["lease_id"] == "", json.dumps(auth))
        c.ok("client holds the token", client.token == auth["client_token"])
        error = c.raises("approle bad secret -> InvalidRequest", hexc.InvalidRequest,
                         self.client().auth.approle.login, role_id="signet-role-id", secret_id="wrong")
        c.ok("approle bad secret message", error is not None and error.errors == ["invalid role or secret ID"])

        one = self.control("POST", "approle", {"name": "oneshot", "token_policies": ["reader"],
                                               "secret_id_num_uses": 1, "token_ttl": 60})
        self.client().auth.approle.login(role_id=one["role_id"], secret_id=one["secret_id"])
        c.raises("secret id with num_uses=1 works once", hexc.InvalidRequest,
                 self.client().auth.approle.login, role_id=one["role_id"], secret_id=one["secret_id"])

        looked = client.auth.token.lookup_self()["data"]
        c.ok("lookup-self fields", 1190 <= looked["ttl"] <= 1200 and looked["renewable"] is True
             and looked["policies"] == ["default", "signet"] and looked["explicit_max_ttl"] == 0
             and looked["expire_time"].endswith("Z") and looked["path"] == "auth/approle/login"
             and looked["accessor"] == auth["accessor"] and looked["type"] == "service", json.dumps(looked))
        renewed = client.auth.token.renew_self(increment="10m")
        c.ok("renew-self within max", renewed["auth"]["lease_duration"] == 600 and renewed["warnings"] is None)
        capped = client.auth.token.renew_self(increment="1h")
        c.ok("renew-self capped at max TTL with a warning", 1790 <= capped["auth"]["lease_duration"] <= 1800
             and "exceeded the effective max_ttl" in (capped["warnings"] or [""])[0], json.dumps(capped))
        self.control("POST", "refuse-renewal", {"on": True})
        error = c.raises("refused renewal -> InvalidRequest", hexc.InvalidRequest, client.auth.token.renew_self)
        c.ok("refused renewal message", error is not None and error.errors == ["lease is not renewable"])
        self.control("POST", "refuse-renewal", {"on": False})
        self.approle = client

        minted = self.control("POST", "tokens", {"policies": ["reader"], "ttl": 60, "renewable": False})
        short = self.client(minted["token"])
        c.raises("non-renewable token renewal -> InvalidRequest", hexc.InvalidRequest, short.auth.token.renew_self)
        self.control("POST", "clock", {"advance": 61})
        c.raises("token past its TTL -> Forbidden", hexc.Forbidden, short.auth.token.lookup_self)
        self.control("POST", "clock", {"offset": 0})
        minted = self.control("POST", "tokens", {"policies": ["reader"], "ttl": 600})
        self.control("POST", "expire-tokens", {"accessor": minted["accessor"]})
        c.raises("expired token -> Forbidden", hexc.Forbidden, self.client(minted["token"]).auth.token.lookup_self)
        limited = self.control("POST", "tokens", {"policies": ["reader"], "num_uses": 2})
        limited_client = self.client(limited["token"])
        limited_client.auth.token.lookup_self()
        limited_client.auth.token.lookup_self()
        c.raises("num_uses=2 token refused the third time", hexc.Forbidden, limited_client.auth.token.lookup_self)
        revoked = self.client(self.control("POST", "tokens", {"policies": ["reader"]})["token"])
        c.ok("revoke-self 204", revoked.auth.token.revoke_self().status_code == 204)
        c.raises("revoked token -> Forbidden", hexc.Forbidden, revoked.auth.token.lookup_self)
        c.raises("no token -> Forbidden", hexc.Forbidden, self.client().secrets.kv.v2.read_secret_version,
                 path="certs/x")
        response = self.raw("GET", "auth/token/lookup-self", headers={"Authorization": "Bearer " + ROOT})
        c.ok("Authorization: Bearer accepted", response.status_code == 200 and
             response.json()["data"]["policies"] == ["root"])

    def kv(self):
        c, kv = self.c, self.approle.secrets.kv.v2
        first = kv.create_or_update_secret(path="certs/web", secret={"pem": "v1"}, cas=0)
        c.ok("create with cas=0 -> version 1", first["data"]["version"] == 1 and first["data"]["deletion_time"] == ""
             and first["data"]["destroyed"] is False)
        error = c.raises("cas mismatch -> InvalidRequest", hexc.InvalidRequest, kv.create_or_update_secret,
                         path="certs/web", secret={"pem": "x"}, cas=0)
        c.ok("cas mismatch exact message", error is not None and
             error.errors == ["check-and-set parameter did not match the current version"])
        second = kv.create_or_update_secret(path="certs/web", secret={"pem": "v2", "serial": "01"}, cas=1)
        c.ok("cas=1 -> version 2", second["data"]["version"] == 2)
        read = kv.read_secret_version(path="certs/web")
        c.ok("read latest", read["data"]["data"] == {"pem": "v2", "serial": "01"} and
             read["data"]["metadata"]["version"] == 2)
        c.ok("read version 1", kv.read_secret_version(path="certs/web", version=1)["data"]["data"] == {"pem": "v1"})
        error = c.raises("missing path -> InvalidPath", hexc.InvalidPath, kv.read_secret_version, path="certs/none")
        c.ok("missing path body {errors: []}", error is not None and error.errors == [])
        c.raises("write outside policy -> Forbidden", hexc.Forbidden, kv.create_or_update_secret,
                 path="other/x", secret={"a": "b"})
        c.raises("deny capability wins -> Forbidden", hexc.Forbidden, kv.create_or_update_secret,
                 path="certs/locked", secret={"a": "b"})

        c.ok("delete latest 204", kv.delete_latest_version_of_secret(path="certs/web").status_code == 204)
        error = c.raises("read soft-deleted -> InvalidPath", hexc.InvalidPath, kv.read_secret_version,
                         path="certs/web")
        body = json.loads(error.args[0]) if error is not None and error.errors is None else {}
        meta = (body.get("data") or {}).get("metadata") or {}
        c.ok("soft-deleted body is Vault's (data null, deletion_time set)", "errors" not in body and
             body.get("data", {}).get("data", "x") is None and meta.get("deletion_time", "") != ""
             and meta.get("destroyed") is False and meta.get("version") == 2, json.dumps(body))
        response = self.raw("GET", "secret/data/certs/web", ROOT)
        c.ok("soft-deleted raw status 404 with JSON", response.status_code == 404 and
             response.headers["Content-Type"] == "application/json")
        c.ok("undelete 204", kv.undelete_secret_versions(path="certs/web", versions=[2]).status_code == 204)
        c.ok("undeleted readable", kv.read_secret_version(path="certs/web")["data"]["data"]["pem"] == "v2")
        c.ok("destroy 204", kv.destroy_secret_versions(path="certs/web", versions=[1]).status_code == 204)
        error = c.raises("read destroyed -> InvalidPath", hexc.InvalidPath, kv.read_secret_version,
                         path="certs/web", version=1)
        body = json.loads(error.args[0]) if error is not None and error.errors is None else {}
        c.ok("destroyed body has destroyed=true", body.get("data", {}).get("metadata", {}).get("destroyed") is True)
        kv.delete_secret_versions(path="certs/web", versions=[2])
        c.raises("delete versions -> deleted", hexc.InvalidPath, kv.read_secret_version, path="certs/web")
        kv.undelete_secret_versions(path="certs/web", versions=[2])

        kv.create_or_update_secret(path="certs/sub/leaf", secret={"a": "1"})
        listed = kv.list_secrets(path="certs")
        c.ok("list keys with folders", listed["data"]["keys"] == ["sub/", "web"], json.dumps(listed["data"]))
        via_get = self.raw("GET", "secret/metadata/certs", self.approle.token, params={"list": "true"})
        c.ok("GET ?list=true same as LIST", via_get.status_code == 200 and
             via_get.json()["data"]["keys"] == ["sub/", "web"])
        error = c.raises("list of nothing -> InvalidPath", hexc.InvalidPath, kv.list_secrets, path="certs/empty")
        c.ok("list of nothing body {errors: []}", error is not None and error.errors == [])

        metadata = kv.read_secret_metadata(path="certs/web")["data"]
        c.ok("metadata versions", metadata["current_version"] == 2 and sorted(metadata["versions"]) == ["1", "2"]
             and metadata["versions"]["1"]["destroyed"] is True and metadata["max_versions"] == 0
             and metadata["cas_required"] is False and metadata["delete_version_after"] == "0s", json.dumps(metadata))
        kv.update_metadata(path="certs/web", max_versions=5, cas_required=True)
        error = c.raises("cas_required without cas -> InvalidRequest", hexc.InvalidRequest,
                         kv.create_or_update_secret, path="certs/web", secret={"pem": "v3"})
        c.ok("cas required message", error is not None and
             error.errors == ["check-and-set parameter required for this call"])
        self.approle.adapter.post("/v1/secret/metadata/certs/web",
                                  json={"custom_metadata": {"owner": "pki", "env": "test"}})
        response = self.raw("PATCH", "secret/metadata/certs/web", self.approle.token,
                            headers={"Content-Type": "application/merge-patch+json"},
                            data=json.dumps({"custom_metadata": {"env": None, "team": "sec"}}))
        c.ok("PATCH metadata 204", response.status_code == 204, response.text)
        response = self.raw("PATCH", "secret/metadata/certs/web", self.approle.token, json={"max_versions": 3})
        c.ok("PATCH without merge-patch content type -> 415", response.status_code == 415)
        metadata = kv.read_secret_metadata(path="certs/web")["data"]
        c.ok("custom_metadata merged", metadata["custom_metadata"] == {"owner": "pki", "team": "sec"}
             and metadata["max_versions"] == 5 and metadata["cas_required"] is True)
        third = kv.create_or_update_secret(path="certs/web", secret={"pem": "v3"}, cas=2)
        c.ok("version metadata carries custom_metadata",
             third["data"]["custom_metadata"] == {"owner": "pki", "team": "sec"})
        dump = self.control("GET", "kv", mount="secret", path="certs/web")
        c.ok("/_double/kv dump", dump["key"]["current_version"] == 3 and dump["key"]["versions"]["3"]["data"] ==
             {"pem": "v3"})
        config = self.root.secrets.kv.v2.read_configuration()
        c.ok("engine config", config["data"]["max_versions"] == 0 and config["data"]["cas_required"] is False)

    def transit(self):
        c, transit = self.c, self.approle.secrets.transit
        data = b"certificate to-be-signed bytes\n"
        b64 = base64.b64encode(data).decode()
        self.write("data.bin", data)
        for name, key_type in (("signet-ec", "ecdsa-p256"), ("signet-rsa", "rsa-2048"), ("signet-ed", "ed25519"),
                               ("signet-aes", None)):
            transit.create_key(name=name, key_type=key_type)
        info = transit.read_key(name="signet-ec")["data"]
        c.ok("read ecdsa key", info["type"] == "ecdsa-p256" and info["latest_version"] == 1 and
             info["exportable"] is False and info["keys"]["1"]["public_key"].startswith("-----BEGIN PUBLIC KEY-----")
             and info["keys"]["1"]["name"] == "P-256" and info["supports_signing"] is True)

        signed = transit.sign_data(name="signet-ec", hash_input=b64)["data"]
        c.ok("ecdsa signature format", signed["signature"].startswith("vault:v1:") and signed["key_version"] == 1)
        c.ok("ecdsa verify valid", transit.verify_signed_data(name="signet-ec", hash_input=b64,
                                                              signature=signed["signature"])["data"]["valid"])
        c.ok("ecdsa verify other input invalid", not transit.verify_signed_data(
            name="signet-ec", hash_input=base64.b64encode(b"other").decode(),
            signature=signed["signature"])["data"]["valid"])
        self.write("ec.pem", info["keys"]["1"]["public_key"])
        self.write("ec.sig", base64.b64decode(signed["signature"].split(":", 2)[2]))
        c.ok("openssl verifies the ECDSA signature", self.openssl("dgst", "-sha256", "-verify", "ec.pem",
                                                                 "-signature", "ec.sig", "data.bin"))
        digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
        prehashed = transit.sign_data(name="signet-ec", hash_input=digest, prehashed=True)["data"]["signature"]
        self.write("ec-pre.sig", base64.b64decode(prehashed.split(":", 2)[2]))
        c.ok("openssl verifies a prehashed ECDSA signature", self.openssl(
            "dgst", "-sha256", "-verify", "ec.pem", "-signature", "ec-pre.sig", "data.bin"))
        jws = transit.sign_data(name="signet-ec", hash_input=b64, marshaling_algorithm="jws")["data"]["signature"]
        raw = base64.urlsafe_b64decode(jws.split(":", 2)[2] + "==")
        c.ok("jws marshaling is r||s, base64url", len(raw) == 64 and "=" not in jws)
        c.ok("jws verifies", transit.verify_signed_data(name="signet-ec", hash_input=b64, signature=jws,
                                                        marshaling_algorithm="jws")["data"]["valid"])

        rsa_pub = transit.read_key(name="signet-rsa")["data"]["keys"]["1"]["public_key"]
        self.write("rsa.pem", rsa_pub)
        pss = transit.sign_data(name="signet-rsa", hash_input=b64, signature_algorithm="pss")["data"]["signature"]
        self.write("rsa-pss.sig", base64.b64decode(pss.split(":", 2)[2]))
        pss_args = ["dgst", "-sha256", "-verify", "rsa.pem", "-signature", "rsa-pss.sig",
                    "-sigopt", "rsa_padding_mode:pss"]
        # Transit's default salt_length "auto" is Go's PSSSaltLengthAuto: the largest salt, here
        # 256 - 32 - 2 = 222 bytes for RSA-2048 with SHA-256 (not the digest length).
        c.ok("openssl verifies RSA-PSS with salt length 222 (max)", self.openssl(
            *pss_args, "-sigopt", "rsa_pss_saltlen:222", "data.bin"))
        c.ok("RSA-PSS salt is not the digest length", not self.openssl(
            *pss_args, "-sigopt", "rsa_pss_saltlen:32", "data.bin"))
        hashed = transit.sign_data(name="signet-rsa", hash_input=b64, signature_algorithm="pss",
                                   hash_algorithm="sha2-256")["data"]["signature"]
        c.ok("transit verifies RSA-PSS", transit.verify_signed_data(name="signet-rsa", hash_input=b64,
                                                                    signature=hashed)["data"]["valid"])
        pkcs = transit.sign_data(name="signet-rsa", hash_input=b64, hash_algorithm="sha2-384",
                                 signature_algorithm="pkcs1v15")["data"]["signature"]
        self.write("rsa-pkcs.sig", base64.b64decode(pkcs.split(":", 2)[2]))
        c.ok("openssl verifies RSA PKCS#1 v1.5 SHA-384", self.openssl(
            "dgst", "-sha384", "-verify", "rsa.pem", "-signature", "rsa-pkcs.sig", "data.bin"))
        url_hash = self.approle.adapter.post("/v1/transit/sign/signet-rsa/sha2-512",
                                             json={"input": b64, "signature_algorithm": "pkcs1v15"})
        self.write("rsa-512.sig", base64.b64decode(url_hash["data"]["signature"].split(":", 2)[2]))
        c.ok("hash algorithm in the URL (sha2-512)", self.openssl(
            "dgst", "-sha512", "-verify", "rsa.pem", "-signature", "rsa-512.sig", "data.bin"))

        ed_pub = transit.read_key(name="signet-ed")["data"]["keys"]["1"]["public_key"]
        ed_key = ed25519.Ed25519PublicKey.from_public_bytes(base64.b64decode(ed_pub))
        self.write("ed.pem", ed_key.public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode())
        ed_sig = transit.sign_data(name="signet-ed", hash_input=b64)["data"]["signature"]
        self.write("ed.sig", base64.b64decode(ed_sig.split(":", 2)[2]))
        c.ok("openssl verifies Ed25519", self.openssl("pkeyutl", "-verify", "-pubin", "-inkey", "ed.pem", "-rawin",
                                                      "-in", "data.bin", "-sigfile", "ed.sig"))

        plaintext = base64.b64encode(b"data encryption key").decode()
        sealed_v1 = transit.encrypt_data(name="signet-aes", plaintext=plaintext)["data"]["ciphertext"]
        c.ok("aes encrypt", sealed_v1.startswith("vault:v1:"))
        c.ok("aes decrypt", transit.decrypt_data(name="signet-aes", ciphertext=sealed_v1)["data"]["plaintext"]
             == plaintext)
        transit.rotate_key(name="signet-aes")
        c.ok("rotate -> latest_version 2", transit.read_key(name="signet-aes")["data"]["latest_version"] == 2)
        sealed_v2 = transit.encrypt_data(name="signet-aes", plaintext=plaintext)["data"]["ciphertext"]
        c.ok("encrypt after rotate uses v2", sealed_v2.startswith("vault:v2:"))
        c.ok("old ciphertext still decrypts", transit.decrypt_data(
            name="signet-aes", ciphertext=sealed_v1)["data"]["plaintext"] == plaintext)
        tampered = sealed_v2[:-6] + ("AAAA" if sealed_v2[-6:-2] != "AAAA" else "BBBB") + sealed_v2[-2:]
        error = c.raises("tampered ciphertext -> InvalidRequest", hexc.InvalidRequest, transit.decrypt_data,
                         name="signet-aes", ciphertext=tampered)
        c.ok("tampered message", error is not None and error.errors == ["cipher: message authentication failed"])
        rsa_sealed = transit.encrypt_data(name="signet-rsa", plaintext=plaintext)["data"]["ciphertext"]
        c.ok("rsa encrypt/decrypt", transit.decrypt_data(name="signet-rsa", ciphertext=rsa_sealed)["data"]
             ["plaintext"] == plaintext)
        c.raises("export outside the '+' policy -> Forbidden", hexc.Forbidden, transit.export_key,
                 name="signet-rsa", key_type="encryption-key")
        error = c.raises("export non-exportable -> InvalidRequest", hexc.InvalidRequest,
                         self.root.secrets.transit.export_key,
                         name="signet-rsa", key_type="encryption-key")
        c.ok("export refusal message", error is not None and error.errors == ["private key material is not exportable"])
        self.root.secrets.transit.create_key(name="exportable-rsa", key_type="rsa-2048", exportable=True)
        exported = self.root.secrets.transit.export_key(name="exportable-rsa", key_type="encryption-key")
        private = serialization.load_pem_private_key(exported["data"]["keys"]["1"].encode(), password=None)
        oaep = self.root.secrets.transit.encrypt_data(name="exportable-rsa", plaintext=plaintext)["data"]["ciphertext"]
        clear = private.decrypt(base64.b64decode(oaep.split(":", 2)[2]),
                                padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
        c.ok("rsa transit encryption is RSA-OAEP SHA-256", base64.b64encode(clear).decode() == plaintext)
        error = c.raises("sign with an aes key -> InvalidRequest", hexc.InvalidRequest, transit.sign_data,
                         name="signet-aes", hash_input=b64)
        c.ok("aes cannot sign message", error is not None and "does not support signing" in error.errors[0])
        auto = transit.encrypt_data(name="signet-auto", plaintext=plaintext)["data"]
        c.ok("encrypt upserts a missing key (create capability)", auto["ciphertext"].startswith("vault:v1:"))
        datakey = self.root.adapter.post("/v1/transit/datakey/plaintext/signet-aes", json={"bits": 256})["data"]
        c.ok("datakey plaintext+ciphertext", len(base64.b64decode(datakey["plaintext"])) == 32 and
             transit.decrypt_data(name="signet-aes", ciphertext=datakey["ciphertext"])["data"]["plaintext"]
             == datakey["plaintext"])
        c.raises("transit outside policy -> Forbidden", hexc.Forbidden, transit.create_key, name="other-key")
        self.ec_signature = signed["signature"]

    def wrapping(self):
        c = self.c
        wrapped = self.root.adapter.post("/v1/auth/approle/role/signet/secret-id", wrap_ttl="60s")
        info = wrapped["wrap_info"]
        c.ok("wrapped secret-id: wrap_info, no data", wrapped["data"] is None and info["token"].startswith("hvs.")
             and info["ttl"] == 60 and info["creation_path"] == "auth/approle/role/signet/secret-id"
             and info["wrapped_accessor"])
        unwrapped = self.approle.sys.unwrap(token=info["token"])["data"]
        c.ok("unwrap gives the secret id", unwrapped["secret_id"] and unwrapped["secret_id_accessor"] ==
             info["wrapped_accessor"])
        login = self.client().auth.approle.login(role_id="signet-role-id", secret_id=unwrapped["secret_id"])
        c.ok("unwrapped secret id logs in", login["auth"]["client_token"])
        error = c.raises("second unwrap -> InvalidRequest", hexc.InvalidRequest, self.approle.sys.unwrap,
                         token=info["token"])
        c.ok("second unwrap message", error is not None and
             error.errors == ["wrapping token is not valid or does not exist"])
        again = self.root.adapter.post("/v1/auth/approle/role/signet/secret-id", wrap_ttl=30)["wrap_info"]["token"]
        c.ok("unwrap with the wrapping token as X-Vault-Token", self.client(again).sys.unwrap()["data"]["secret_id"])

    def other_logins(self):
        c = self.c
        good = self.control("POST", "jwt", {"claims": {"sub": "system:serviceaccount:pki:signet", "aud": ["k8s"]}})
        client = self.client()
        login = client.auth.kubernetes.login(role="signet", jwt=good["jwt"])
        c.ok("kubernetes login", login["auth"]["metadata"]["service_account_name"] == "signet" and
             login["auth"]["lease_duration"] == 600 and client.token == login["auth"]["client_token"])
        bad = self.control("POST", "jwt", {"claims": {"sub": "system:serviceaccount:pki:intruder"}})
        c.raises("kubernetes wrong service account -> Forbidden", hexc.Forbidden,
                 self.client().auth.kubernetes.login, role="signet", jwt=bad["jwt"])
        c.raises("kubernetes unknown role -> InvalidRequest", hexc.InvalidRequest,
                 self.client().auth.kubernetes.login, role="nobody", jwt=good["jwt"])
        ci = self.control("POST", "jwt", {"claims": {"sub": "repo:signet:ref:main", "aud": "vault"}})
        client = self.client()
        login = client.auth.jwt.jwt_login(role="ci", jwt=ci["jwt"])
        c.ok("jwt login", login["auth"]["policies"] == ["default", "reader"])
        expired = self.control("POST", "jwt", {"claims": {"sub": "repo:signet:ref:main", "aud": "vault",
                                                          "exp": int(time.time()) - 3600}})
        c.raises("expired jwt -> InvalidRequest", hexc.InvalidRequest, self.client().auth.jwt.jwt_login,
                 role="ci", jwt=expired["jwt"])
        stats = self.control("GET", "stats")
        c.ok("stats count logins per method", stats["logins"]["kubernetes"] == 1 and stats["logins"]["jwt"] == 1
             and stats["logins"]["approle"] >= 3)

    def policies_and_namespaces(self):
        c = self.c
        caps = self.approle.adapter.post("/v1/sys/capabilities-self",
                                         json={"paths": ["transit/sign/signet-ec", "transit/sign/other",
                                                         "secret/data/certs/a", "secret/data/certs/locked"]})["data"]
        c.ok("'+' segment and glob capabilities", caps["transit/sign/signet-ec"] == ["create", "read", "update"]
             and caps["transit/sign/other"] == ["deny"] and caps["secret/data/certs/locked"] == ["deny"]
             and caps["secret/data/certs/a"] == ["create", "delete", "patch", "read", "update"], json.dumps(caps))
        self.control("POST", "policies", {"name": "narrow", "policy": {"secret/data/certs/web": ["read"]}})
        narrow = self.client(self.control("POST", "tokens", {"policies": ["narrow"]})["token"])
        c.ok("narrow policy reads its path", narrow.secrets.kv.v2.read_secret_version(path="certs/web"))
        c.raises("narrow policy cannot write", hexc.Forbidden, narrow.secrets.kv.v2.create_or_update_secret,
                 path="certs/web", secret={"a": "b"})

        team = self.control("POST", "approle", {"name": "team", "namespace": "team1", "token_policies": ["team"]})
        ns_client = self.client(namespace="team1")
        ns_client.auth.approle.login(role_id=team["role_id"], secret_id=team["secret_id"])
        ns_client.secrets.kv.v2.create_or_update_secret(path="certs/web", secret={"ns": "team1"})
        c.ok("namespace data is separate", self.root.secrets.kv.v2.read_secret_version(path="certs/web")
             ["data"]["data"]["pem"] == "v3")
        c.ok("namespace read back", ns_client.secrets.kv.v2.read_secret_version(path="certs/web")
             ["data"]["data"] == {"ns": "team1"})
        outside = self.client(ns_client.token)
        c.raises("namespace token outside its namespace -> Forbidden", hexc.Forbidden,
                 outside.secrets.kv.v2.read_secret_version, path="certs/web")
        c.ok("root token reaches a child namespace", self.client(ROOT, namespace="team1").secrets.kv.v2
             .read_secret_version(path="certs/web")["data"]["data"] == {"ns": "team1"})
        response = self.raw("GET", "team1/secret/data/certs/web", ns_client.token)
        c.ok("namespace as a path prefix", response.status_code == 200 and
             response.json()["data"]["data"] == {"ns": "team1"})

    def availability(self):
        c, kv = self.c, self.approle.secrets.kv.v2
        self.control("POST", "rate-limit", {"path_prefix": "secret/data/certs/", "count": 1, "retry_after": 7})
        c.raises("rate limit -> RateLimitExceeded", hexc.RateLimitExceeded, kv.read_secret_version, path="certs/web")
        self.control("POST", "rate-limit", {"path_prefix": "/v1/secret/data/certs/", "count": 1, "retry_after": 7})
        response = self.raw("GET", "secret/data/certs/web", self.approle.token)
        c.ok("429 body and Retry-After", response.status_code == 429 and response.headers.get("Retry-After") == "7"
             and response.json() == {"errors": ['request path "secret/data/certs/web": rate limit quota exceeded']})
        c.ok("rate limit used up", kv.read_secret_version(path="certs/web")["data"]["metadata"]["version"] == 3)

        self.control("POST", "seal")
        error = c.raises("sealed -> VaultDown", hexc.VaultDown, kv.read_secret_version, path="certs/web")
        c.ok("sealed message", error is not None and error.errors == ["Vault is sealed"])
        c.ok("sealed: is_sealed", self.root.sys.is_sealed() is True)
        c.ok("sealed: health 503", self.root.sys.read_health_status(method="GET").status_code == 503)
        self.control("POST", "unseal")
        c.ok("unsealed again", kv.read_secret_version(path="certs/web")["data"]["data"]["pem"] == "v3")

        self.control("POST", "standby", {"on": True})
        c.ok("standby: health 429", self.root.sys.read_health_status(method="GET").status_code == 429)
        c.ok("standby: standbyok -> 200", isinstance(self.root.sys.read_health_status(
            method="GET", standby_ok=True), dict))
        c.raises("standby without an active node -> VaultDown", hexc.VaultDown, kv.read_secret_version,
                 path="certs/web")
        self.control("POST", "standby", {"on": False})

        self.control("POST", "faults", {"path_prefix": "/v1/secret/data/", "kind": "status", "status": 500})
        c.raises("fault 500 -> InternalServerError", hexc.InternalServerError, kv.read_secret_version,
                 path="certs/web")
        self.control("POST", "faults", {"path_prefix": "/v1/secret/data/", "kind": "lost", "method": "POST"})
        try:
            kv.create_or_update_secret(path="certs/lost", secret={"a": "1"})
            lost_ok = False
        except requests.exceptions.ConnectionError:
            lost_ok = True
        c.ok("lost fault: no answer", lost_ok)
        c.ok("lost fault: the write happened", kv.read_secret_version(path="certs/lost")["data"]["data"] == {"a": "1"})
        self.control("POST", "faults", {"path_prefix": "/v1/auth/token/lookup-self", "kind": "drop"})
        try:
            self.approle.auth.token.lookup_self()
            dropped = False
        except requests.exceptions.ConnectionError:
            dropped = True
        c.ok("drop fault: connection closed", dropped)

        stats = self.control("GET", "stats")
        c.ok("stats", stats["calls"].get("POST auth/approle/login", 0) >= 3 and
             stats["calls"].get("GET secret/data", 0) >= 5 and stats["calls"].get("LIST secret/metadata", 0) >= 2
             and stats["renewals"] >= 2 and stats["renewals_refused"] >= 1 and stats["status_403"] >= 1
             and stats["status_429"] >= 2 and stats["status_503"] >= 2 and stats["unwraps"] == 2, json.dumps(stats))

    def after_restart(self, url):
        c = self.c
        self.url = url
        client = self.client(self.approle.token)
        c.ok("restart: token still valid", client.auth.token.lookup_self()["data"]["policies"] == ["default", "signet"])
        c.ok("restart: KV kept", client.secrets.kv.v2.read_secret_version(path="certs/web")["data"]["data"]["pem"]
             == "v3")
        b64 = base64.b64encode(b"certificate to-be-signed bytes\n").decode()
        c.ok("restart: transit key kept", client.secrets.transit.verify_signed_data(
            name="signet-ec", hash_input=b64, signature=self.ec_signature)["data"]["valid"])
        c.ok("restart: same root token", open(os.path.join(self.tmp, "root-token")).read().strip() == ROOT)


def main():
    for variable in ("VAULT_TOKEN", "VAULT_ADDR", "VAULT_NAMESPACE"):
        os.environ.pop(variable, None)
    checker = Checker("check_with_hvac")
    with tempfile.TemporaryDirectory(prefix="vault-double-") as directory:
        with open(os.path.join(directory, "config.json"), "w") as handle:
            json.dump(CONFIG, handle)
        double = DoubleProcess(directory)
        double.start()
        suite = Suite(checker, double)
        try:
            for section in (suite.sys_status, suite.approle_and_tokens, suite.kv, suite.transit, suite.wrapping,
                            suite.other_logins, suite.policies_and_namespaces, suite.availability):
                checker.section(section)
        finally:
            code = double.stop()
        checker.ok("SIGTERM exits 0", code == 0, "exit code %s" % code)
        checker.ok("port file removed", not os.path.exists(os.path.join(directory, "port")))
        url = double.start()
        try:
            checker.section(suite.after_restart, url)
        finally:
            double.stop()
        if checker.failed:
            sys.stderr.write(open(os.path.join(directory, "double.log")).read()[-6000:])
    print("check_with_hvac: %d passed, %d failed" % (checker.passed, checker.failed))
    return 1 if checker.failed else 0


if __name__ == "__main__":
    sys.exit(main())
