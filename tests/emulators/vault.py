"""HashiCorp Vault transit emulator: the REST subset sops and secret call.

PUT|POST /v1/<mount>/encrypt/<key>  {"plaintext": b64}       -> {"data": {"ciphertext": "vault:v1:..."}}
PUT|POST /v1/<mount>/decrypt/<key>  {"ciphertext": "vault:v1:..."} -> {"data": {"plaintext": b64}}

Real crypto: AES-256-GCM under a key derived from --seed, the mount and the key name (so a file
stays decryptable by a later emulator with the same seed): every key name exists. The token (X-Vault-Token) must be
--token, and X-Vault-Namespace must be --namespace when that is set; otherwise 403 "permission
denied", as Vault answers.
"""

import base64
import hashlib
import os
import re

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROUTE = re.compile(r"^/v1/(.+)/(encrypt|decrypt)/([^/]+)$")


def add_arguments(parser):
    parser.add_argument("--token", default="root", help="the only accepted X-Vault-Token")
    parser.add_argument("--mount", action="append", help="transit mount paths (default: transit)")
    parser.add_argument("--namespace", default="", help="required X-Vault-Namespace")
    parser.add_argument("--seed", default="secret-tests")


def errors(status, *messages):
    return status, {"errors": list(messages)}, None


class Service:
    def __init__(self, args):
        self.args = args
        self.mounts = set(args.mount or ["transit"])

    def key(self, mount, name):
        return hashlib.sha256(f"{self.args.seed}/{mount}/{name}".encode()).digest()

    def handle(self, req):
        if req.method not in ("PUT", "POST"):
            return errors(405, "unsupported operation")
        if req.header("X-Vault-Token") != self.args.token:
            return errors(403, "permission denied")
        if self.args.namespace and req.header("X-Vault-Namespace") != self.args.namespace:
            return errors(403, "permission denied")
        route = ROUTE.match(req.path)
        if not route or route.group(1) not in self.mounts:
            return errors(404, f"no handler for route \"{req.path[4:]}\". route entry not found.")
        mount, op, name = route.groups()
        body = req.json()
        if body is None:
            return errors(400, "failed to parse JSON input")
        aes = AESGCM(self.key(mount, name))
        if op == "encrypt":
            try:
                plaintext = base64.b64decode(body.get("plaintext", ""), validate=True)
            except (ValueError, TypeError):
                return errors(400, "failed to base64-decode plaintext")
            nonce = os.urandom(12)
            blob = base64.b64encode(nonce + aes.encrypt(nonce, plaintext, None)).decode()
            return 200, {"data": {"ciphertext": "vault:v1:" + blob, "key_version": 1}}, None
        ciphertext = body.get("ciphertext")
        if not isinstance(ciphertext, str) or not ciphertext.startswith("vault:v1:"):
            return errors(400, "invalid ciphertext: no prefix")
        try:
            raw = base64.b64decode(ciphertext[len("vault:v1:"):], validate=True)
            plaintext = aes.decrypt(raw[:12], raw[12:], None)
        except Exception:  # bad base64 or authentication failure
            return errors(400, "cipher: message authentication failed")
        return 200, {"data": {"plaintext": base64.b64encode(plaintext).decode()}}, None
