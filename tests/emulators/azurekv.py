"""Azure Key Vault + Entra ID token endpoint emulator: the REST subset sops and secret call.

Run with ``--tls-proxy CA.pem`` (emulator.py) so clients reach it as an HTTPS proxy: requests
for ``*.vault.azure.net`` are the vault, requests for the authority host are the token
endpoint (the Host header decides).

Vault (api-version 7.6):
  GET  /keys/<name>[/]                       -> {"key": {"kid": "https://HOST/keys/<name>/<version>", ...}}
  POST /keys/<name>/<version>/encrypt        {"alg": "RSA-OAEP-256", "value": b64url} -> {"kid", "value"}
  POST /keys/<name>/<version>/decrypt        same, the other way
Without a valid bearer token: 401 with the Key Vault challenge naming --tenant.
Real crypto: one 2048-bit RSA key per --key name, made at start-up, RSA-OAEP with SHA-256.

Token endpoint:
  POST /<tenant>/oauth2/v2.0/token  client credentials (--client-id/--client-secret, or a
  client_assertion equal to --assertion), scope https://vault.azure.net/.default.
  A wrong secret gets Entra ID's 401 invalid_client answer.

Managed identity (plain HTTP, as IMDS): GET /metadata/identity/oauth2/token?resource=... with
"Metadata: true" -> --static-token.

Test helper (no auth): POST /_test/encrypt/<name> with base64url bytes -> {"version", "enc"}: what
the vault's encrypt would give (enc in base64url without padding), for hand-made files.
"""

import base64
import hashlib
import re
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

KEY_ROUTE = re.compile(r"^/keys/([^/]+)(?:/([^/]*))?(?:/(encrypt|decrypt))?/?$")
SCOPE = "https://vault.azure.net/.default"


def add_arguments(parser):
    parser.add_argument("--tenant", default="tenant-1")
    parser.add_argument("--client-id", default="client-1")
    parser.add_argument("--client-secret", default="s3cret")
    parser.add_argument("--assertion", default="", help="accepted client_assertion (workload identity)")
    parser.add_argument("--key", action="append", help="key names (default: sops-key)")
    parser.add_argument("--static-token", default="", help="a bearer token the vault also accepts")


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def kv_error(status, code, message, headers=None):
    return status, {"error": {"code": code, "message": message}}, headers


OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class Service:
    def __init__(self, args):
        self.args = args
        self.keys = {}
        for name in args.key or ["sops-key"]:
            version = hashlib.sha256(name.encode()).hexdigest()[:32]
            self.keys[name] = (version, rsa.generate_private_key(public_exponent=65537, key_size=2048))
        self.tokens = {args.static_token} - {""}

    def handle(self, req):
        host = (req.header("Host") or "").split(":")[0]
        if req.path.startswith("/_test/encrypt/"):
            version, key = self.keys[req.path.rsplit("/", 1)[1]]
            data = unb64url(req.body.decode())
            return 200, {"version": version, "enc": b64url(key.public_key().encrypt(data, OAEP))}, None
        if req.path == "/metadata/identity/oauth2/token":
            return self.imds(req)
        if host.endswith(".vault.azure.net"):
            return self.vault(req, host)
        return self.token(req)

    def imds(self, req):
        if req.header("Metadata") != "true":
            return 400, {"error": "invalid_request", "error_description": "Required metadata header not specified"}, None
        if req.query.get("resource") != ["https://vault.azure.net"] or not self.args.static_token:
            return 400, {"error": "invalid_request", "error_description": "Identity not found"}, None
        return 200, {"access_token": self.args.static_token, "expires_in": "3599",
                     "resource": "https://vault.azure.net", "token_type": "Bearer"}, None

    def token(self, req):
        if req.method != "POST" or req.path != f"/{self.args.tenant}/oauth2/v2.0/token":
            return 400, {"error": "invalid_request", "error_description": f"AADSTS90002: Tenant or path {req.path} not found."}, None
        form = req.form()
        if form.get("client_id") != self.args.client_id:
            return 400, {"error": "unauthorized_client", "error_description": "AADSTS700016: Application not found."}, None
        if form.get("scope") != SCOPE or form.get("grant_type") != "client_credentials":
            return 400, {"error": "invalid_scope", "error_description": "AADSTS70011: bad scope or grant."}, None
        assertion_ok = self.args.assertion and form.get("client_assertion") == self.args.assertion and (
            form.get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        if form.get("client_secret") != self.args.client_secret and not assertion_ok:
            return 401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}, None
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return 200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token}, None

    def vault(self, req, host):
        auth = req.header("Authorization") or ""
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            challenge = (f'Bearer authorization="https://login.microsoftonline.com/{self.args.tenant}", '
                         f'resource="https://vault.azure.net"')
            return kv_error(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.",
                            {"WWW-Authenticate": challenge})
        if req.query.get("api-version") != ["7.6"]:
            return kv_error(400, "BadParameter", "api-version 7.6 expected")
        route = KEY_ROUTE.match(req.path)
        if not route or route.group(1) not in self.keys:
            return kv_error(404, "KeyNotFound", f"A key with (name/id) {req.path} was not found in this key vault.")
        name, version, op = route.groups()
        current, key = self.keys[name]
        if op is None and req.method == "GET":
            return 200, {"key": {"kid": f"https://{host}/keys/{name}/{current}", "kty": "RSA"}}, None
        if op is None or req.method != "POST" or version != current:
            return kv_error(404, "KeyNotFound", f"A key with (name/id) {name}/{version} was not found in this key vault.")
        params = req.json() or {}
        if params.get("alg") != "RSA-OAEP-256":
            return kv_error(400, "BadParameter", "alg must be RSA-OAEP-256")
        try:
            value = unb64url(params.get("value", ""))
            out = key.public_key().encrypt(value, OAEP) if op == "encrypt" else key.decrypt(value, OAEP)
        except ValueError:
            return kv_error(400, "BadParameter", "The parameter is incorrect.")
        return 200, {"kid": f"https://{host}/keys/{name}/{current}", "value": b64url(out)}, None

