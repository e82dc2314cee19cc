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
  client_assertion equal to --assertion, or one signed by the app's certificate),
  scope https://vault.azure.net/.default.
  A wrong secret gets Entra ID's 401 invalid_client answer.
  With ``--certificates DIR`` the app has a certificate (a leaf issued by a throw-away CA):
  DIR/client.pem holds its PKCS#1 key, the CA certificate and the leaf, in that order (so the
  client must find the key's own certificate); DIR/other.pem a self-signed certificate with a
  PKCS#8 key that is not registered; DIR/client.pfx, DIR/client-legacy.pfx and
  DIR/client-encrypted.pem the app's identity protected by the password pfx-pa55word. A certificate assertion must be an RS256 JWT whose
  signature verifies with the leaf's key, whose x5t is the leaf's SHA-1 thumbprint
  (base64url), whose x5c (when sent) is [leaf, CA], with aud = the token URL, iss = sub =
  client id, a jti, and nbf <= now < exp.

Managed identity (plain HTTP, as IMDS): GET /metadata/identity/oauth2/token?resource=... with
"Metadata: true" -> --static-token.

Test helpers (no auth): POST /_test/encrypt/<name> with base64url bytes -> {"version", "enc"}: what
the vault's encrypt would give (enc in base64url without padding), for hand-made files;
GET /_test/assertion-header -> the JOSE header of the last certificate assertion accepted.
"""

import base64
import datetime
import hashlib
import json
import os
import re
import secrets
import time

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

KEY_ROUTE = re.compile(r"^/keys/([^/]+)(?:/([^/]*))?(?:/(encrypt|decrypt))?/?$")
SCOPE = "https://vault.azure.net/.default"


def add_arguments(parser):
    parser.add_argument("--tenant", default="tenant-1")
    parser.add_argument("--client-id", default="client-1")
    parser.add_argument("--client-secret", default="s3cret")
    parser.add_argument("--assertion", default="", help="accepted client_assertion (workload identity)")
    parser.add_argument("--key", action="append", help="key names (default: sops-key)")
    parser.add_argument("--static-token", default="", help="a bearer token the vault also accepts")
    parser.add_argument("--certificates", default="", help="write the app's certificate files here")


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def kv_error(status, code, message, headers=None):
    return status, {"error": {"code": code, "message": message}}, headers


JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate(subject, key, issuer=None, issuer_key=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    name = lambda cn: x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    return (x509.CertificateBuilder()
            .subject_name(name(subject)).issuer_name(name(issuer or subject))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(issuer_key or key, hashes.SHA256()))


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def write_certificates(directory):
    """The app's leaf (issued by a CA) and an unregistered self-signed certificate."""
    ca_key, leaf_key, other_key = new_key(), new_key(), new_key()
    ca = certificate("test CA", ca_key)
    leaf = certificate("client-1", leaf_key, "test CA", ca_key)
    pkcs1 = leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                   serialization.NoEncryption())
    with open(os.path.join(directory, "client.pem"), "wb") as f:
        f.write(pkcs1 + pem(ca) + pem(leaf))
    pkcs8 = other_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    with open(os.path.join(directory, "other.pem"), "wb") as f:
        f.write(pem(certificate("client-1", other_key)) + pkcs8)
    # The same identity password-protected: PKCS#12 as current tools and as legacy ones write
    # it, and PEM with an encrypted PKCS#8 key (password PASSWORD).
    from cryptography.hazmat.primitives.serialization import pkcs12
    legacy = (serialization.PrivateFormat.PKCS12.encryption_builder()
              .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
              .hmac_hash(hashes.SHA1()).build(PASSWORD))
    for name, encryption in (("client.pfx", serialization.BestAvailableEncryption(PASSWORD)),
                             ("client-legacy.pfx", legacy)):
        with open(os.path.join(directory, name), "wb") as f:
            f.write(pkcs12.serialize_key_and_certificates(b"client-1", leaf_key, leaf, [ca], encryption))
    encrypted = leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.BestAvailableEncryption(PASSWORD))
    with open(os.path.join(directory, "client-encrypted.pem"), "wb") as f:
        f.write(pem(leaf) + encrypted + pem(ca))
    return leaf, ca


PASSWORD = b"pfx-pa55word"


OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class Service:
    def __init__(self, args):
        self.args = args
        self.keys = {}
        for name in args.key or ["sops-key"]:
            version = hashlib.sha256(name.encode()).hexdigest()[:32]
            self.keys[name] = (version, rsa.generate_private_key(public_exponent=65537, key_size=2048))
        self.tokens = {args.static_token} - {""}
        self.chain = write_certificates(args.certificates) if args.certificates else None
        self.assertion_header = None

    def handle(self, req):
        host = (req.header("Host") or "").split(":")[0]
        if req.path.startswith("/_test/encrypt/"):
            version, key = self.keys[req.path.rsplit("/", 1)[1]]
            data = unb64url(req.body.decode())
            return 200, {"version": version, "enc": b64url(key.public_key().encrypt(data, OAEP))}, None
        if req.path == "/_test/assertion-header":
            return 200, self.assertion_header, None
        if req.path == "/metadata/identity/oauth2/token":
            return self.imds(req)
        if host.endswith(".vault.azure.net"):
            return self.vault(req, host)
        return self.token(req, host)

    def imds(self, req):
        if req.header("Metadata") != "true":
            return 400, {"error": "invalid_request", "error_description": "Required metadata header not specified"}, None
        if req.query.get("resource") != ["https://vault.azure.net"] or not self.args.static_token:
            return 400, {"error": "invalid_request", "error_description": "Identity not found"}, None
        return 200, {"access_token": self.args.static_token, "expires_in": "3599",
                     "resource": "https://vault.azure.net", "token_type": "Bearer"}, None

    def certificate_assertion_error(self, assertion, audience):
        """Why a certificate-signed client assertion is refused, or None when it is good."""
        if not self.chain:
            return "no certificate is registered"
        leaf, ca = self.chain
        try:
            head, body, sig = assertion.split(".")
            header, claims = json.loads(unb64url(head)), json.loads(unb64url(body))
            leaf.public_key().verify(unb64url(sig), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, InvalidSignature):
            return "Client assertion failed signature validation."
        if header.get("alg") != "RS256" or header.get("x5t") != b64url(hashlib.sha1(der(leaf)).digest()):
            return "The certificate with identifier used to sign the client assertion is not registered on application."
        if "x5c" in header and header["x5c"] != [base64.b64encode(der(c)).decode() for c in (leaf, ca)]:
            return "The x5c chain of the client assertion is not the registered certificate's."
        now = time.time()
        if (claims.get("aud") != audience or claims.get("iss") != self.args.client_id
                or claims.get("sub") != self.args.client_id or not claims.get("jti")
                or not claims.get("nbf", now + 1) <= now < claims.get("exp", 0)):
            return "The client assertion's claims are invalid."
        self.assertion_header = header
        return None

    def token(self, req, host):
        if req.method != "POST" or req.path != f"/{self.args.tenant}/oauth2/v2.0/token":
            return 400, {"error": "invalid_request", "error_description": f"AADSTS90002: Tenant or path {req.path} not found."}, None
        form = req.form()
        if form.get("client_id") != self.args.client_id:
            return 400, {"error": "unauthorized_client", "error_description": "AADSTS700016: Application not found."}, None
        if form.get("scope") != SCOPE or form.get("grant_type") != "client_credentials":
            return 400, {"error": "invalid_scope", "error_description": "AADSTS70011: bad scope or grant."}, None
        assertion = form.get("client_assertion") if form.get("client_assertion_type") == JWT_BEARER else None
        assertion_ok = bool(self.args.assertion) and assertion == self.args.assertion
        if assertion and not assertion_ok and assertion.count(".") == 2:
            refused = self.certificate_assertion_error(assertion, f"https://{host}{req.path}")
            if refused:
                return 401, {"error": "invalid_client", "error_description": f"AADSTS700027: {refused}"}, None
            assertion_ok = True
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

