"""GCP Cloud KMS emulator: the REST subset sops and secret call, plus the token endpoints.

POST /v1/<resource id>:encrypt  {"name": id, "plaintext": b64}   -> {"name": ..., "ciphertext": b64}
POST /v1/<resource id>:decrypt  {"name": id, "ciphertext": b64}  -> {"plaintext": b64}
POST /token   grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer (RS256 JWT signed by the
              service account this emulator made) or grant_type=refresh_token
              (--refresh-token)                                  -> {"access_token": ...}
GET  /computeMetadata/v1/instance/service-accounts/default/token  (Metadata-Flavor: Google)
POST /v1/token  RFC 8693 token exchange (workload identity federation): audience = --audience,
              subject_token = --subject-token          -> {"access_token", "expires_in", ...}
              A federated token reaches KMS only if its scope included cloudkms (and not with
              --federated-kms-denied); else it can just be traded for a service account's token:
POST /v1/projects/-/serviceAccounts/<email>:generateAccessToken  {"scope": [...], "lifetime"}
                                                      -> {"accessToken", "expireTime"}
GET  /subject   (Authorization: Bearer --subject-token) -> {"value": subject token}, a URL source

Real crypto: AES-256-GCM under a key derived from --seed and the resource id. KMS calls need
`Authorization: Bearer T` with T = --token or a token this emulator issued; otherwise 401
UNAUTHENTICATED, as Google answers. Ids of keys named `denied-*` answer 403.
--credentials-file PATH writes a service-account key file whose token_uri is this emulator.
"""

import base64
import hashlib
import json
import os
import re
import secrets
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

IMPERSONATE = re.compile(r"^/v1/projects/-/serviceAccounts/([^/:]+@[^/:]+):generateAccessToken$")
ROUTE = re.compile(r"^/v1/(projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/([^/:]+)):(encrypt|decrypt)$")
EMAIL = "sops-test@emulator.iam.gserviceaccount.com"


def add_arguments(parser):
    parser.add_argument("--token", default="", help="a bearer token accepted from the start")
    parser.add_argument("--refresh-token", default="", help="refresh token of an authorized_user")
    parser.add_argument("--credentials-file", default="", help="write a service-account key here")
    parser.add_argument("--seed", default="secret-tests")
    parser.add_argument("--subject-token", default="", help="the token a federated identity presents")
    parser.add_argument("--audience", default="", help="the workload identity provider's audience")
    parser.add_argument("--federated-kms-denied", action="store_true",
                        help="federated identities may only impersonate, never call KMS")


def error(status, code, message):
    return status, {"error": {"code": status, "message": message, "status": code}}, None


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Service:
    def __init__(self, args):
        self.args = args
        self.tokens = {args.token} if args.token else set()
        # Federated tokens that may only be traded for a service account's token.
        self.federated = set()
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def started(self, port):
        if not self.args.credentials_file:
            return
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        creds = {
            "type": "service_account",
            "project_id": "p1",
            "private_key_id": "emulator-key-1",
            "private_key": pem,
            "client_email": EMAIL,
            "client_id": "1",
            "token_uri": f"http://127.0.0.1:{port}/token",
        }
        with open(self.args.credentials_file, "w") as f:
            json.dump(creds, f)

    def issue(self):
        token = "ya29.emulated-" + secrets.token_hex(8)
        self.tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}, None

    def token_endpoint(self, req):
        form = req.form()
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if self.args.refresh_token and form.get("refresh_token") == self.args.refresh_token:
                return self.issue()
            return 400, {"error": "invalid_grant", "error_description": "Bad Request"}, None
        if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {"error": "unsupported_grant_type"}, None
        try:
            head, claims, sig = form["assertion"].split(".")
            self.key.public_key().verify(
                b64url_decode(sig), f"{head}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
            header = json.loads(b64url_decode(head))
            body = json.loads(b64url_decode(claims))
        except Exception:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, None
        now = time.time()
        ok = (
            header.get("alg") == "RS256"
            and body.get("iss") == EMAIL
            and "cloudkms" in body.get("scope", "")
            and body.get("aud", "").endswith("/token")
            and body.get("iat", 0) <= now + 60 < body.get("exp", 0) + 60
        )
        if not ok:
            return 400, {"error": "invalid_grant", "error_description": "bad claims"}, None
        return self.issue()

    def sts(self, req):
        form = req.form()
        ok = (
            form.get("grant_type") == "urn:ietf:params:oauth:grant-type:token-exchange"
            and form.get("requested_token_type") == "urn:ietf:params:oauth:token-type:access_token"
            and form.get("subject_token_type")
            and self.args.audience
            and form.get("audience") == self.args.audience
            and self.args.subject_token
            and form.get("subject_token") == self.args.subject_token
        )
        if not ok:
            return 400, {"error": "invalid_grant", "error_description": "The audience or subject token is invalid."}, None
        token = "ya29.federated-" + secrets.token_hex(8)
        if "cloudkms" in form.get("scope", "") and not self.args.federated_kms_denied:
            self.tokens.add(token)
        else:
            self.federated.add(token)
        return 200, {
            "access_token": token,
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "token_type": "Bearer",
            "expires_in": 3599,
        }, None

    def impersonate(self, req, email):
        auth = req.header("Authorization") or ""
        bearer = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        if bearer not in self.federated and bearer not in self.tokens:
            return error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        body = req.json() or {}
        if not any("cloudkms" in s or "cloud-platform" in s for s in body.get("scope", [])):
            return error(400, "INVALID_ARGUMENT", "Scope required.")
        token = "ya29.impersonated-" + secrets.token_hex(8)
        self.tokens.add(token)
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        return 200, {"accessToken": token, "expireTime": expires}, None

    def handle(self, req):
        if req.path == "/token" and req.method == "POST":
            return self.token_endpoint(req)
        if req.path == "/v1/token" and req.method == "POST":
            return self.sts(req)
        if req.path == "/subject":
            if req.header("Authorization") != f"Bearer {self.args.subject_token}":
                return 403, {"message": "bad request token"}, None
            return 200, {"count": 1, "value": self.args.subject_token}, None
        impersonation = IMPERSONATE.match(req.path)
        if impersonation and req.method == "POST":
            return self.impersonate(req, impersonation.group(1))
        if req.path == "/computeMetadata/v1/instance/service-accounts/default/token":
            if req.header("Metadata-Flavor") != "Google":
                return 403, "Missing Metadata-Flavor:Google header.", None
            return self.issue()
        route = ROUTE.match(req.path)
        if not route or req.method != "POST":
            return error(404, "NOT_FOUND", "Requested entity was not found.")
        auth = req.header("Authorization") or ""
        if not auth.startswith("Bearer ") or auth[len("Bearer "):] not in self.tokens:
            return error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential.",
            )
        resource, name, op = route.groups()
        if name.startswith("denied-"):
            return error(403, "PERMISSION_DENIED", f"Permission 'cloudkms.cryptoKeyVersions.use{op.capitalize()}' denied on resource '{resource}' (or it may not exist).")
        body = req.json()
        if body is None or body.get("name") != resource:
            return error(400, "INVALID_ARGUMENT", "name does not match the URL")
        aes = AESGCM(hashlib.sha256(f"{self.args.seed}/{resource}".encode()).digest())
        if op == "encrypt":
            plaintext = base64.b64decode(body.get("plaintext", ""))
            nonce = os.urandom(12)
            blob = nonce + aes.encrypt(nonce, plaintext, None)
            return 200, {
                "name": resource + "/cryptoKeyVersions/1",
                "ciphertext": base64.b64encode(blob).decode(),
                "ciphertextCrc32c": "0",
                "protectionLevel": "SOFTWARE",
            }, None
        try:
            raw = base64.b64decode(body.get("ciphertext", ""), validate=True)
            plaintext = aes.decrypt(raw[:12], raw[12:], None)
        except Exception:
            return error(400, "INVALID_ARGUMENT", "Decryption failed: the ciphertext is invalid.")
        return 200, {"plaintext": base64.b64encode(plaintext).decode(), "protectionLevel": "SOFTWARE"}, None
