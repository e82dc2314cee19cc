"""HuaweiCloud KMS emulator: the two calls sops and secret make.

POST /v1.0/<project>/kms/encrypt-data  {"key_id", "plain_text", "encryption_algorithm"} -> {"key_id", "cipher_text"}
POST /v1.0/<project>/kms/decrypt-data  {"cipher_text", "encryption_algorithm", "key_id"} -> {"key_id", "plain_text"}

Every request must carry a valid SDK-HMAC-SHA256 signature (recomputed here from the headers
it names, the path with a trailing "/", the query and the body) under --ak/--sk, an
X-Project-Id equal to the path's project and to --project, and, when --token is set, that
X-Security-Token. Otherwise 401 with the API gateway's error body, as HuaweiCloud answers.

The ECS metadata service, as an instance with an agency answers it (the SDK's last source of
credentials): PUT /meta-data/latest/api/token (with X-Metadata-Token-Ttl-Seconds) -> a session
token; GET /openstack/latest/securitykey with that X-Metadata-Token -> {"credential": {"access",
"secret", "securitytoken", "expires_at"}} carrying --ak, --sk and --token. --metadata v1 answers
the token PUT with 405 and needs no token; --metadata no-agency answers 401 with the agency
message; --metadata expire makes the first token it gives out invalid (401), as an expired one.

IAM's project lookup, as the SDK makes it when the credentials name no project: GET
/v3/projects?name=<region>, signed as above (no X-Project-Id) -> {"projects": [{"id", "name"}]}
with --iam-projects such projects (default 1, the first with --project's id).

A federated identity's token: POST /v3.0/OS-AUTH/id-token/tokens with X-Idp-Id = --idp and
{"auth": {"id_token": {"id": --id-token}, "scope": {"project": {"id": --project}}}} -> 201,
X-Subject-Token and X-Request-Id headers, {"token": {"expires_at", ...}}; KMS calls may then
carry that token as X-Auth-Token instead of a signature.

Test helper (no auth): POST /_test/encrypt/<key-uuid> with the plain_text as body -> the
cipher_text encrypt-data would give, for hand-made files.

Real crypto: AES-256-GCM under a key derived from --seed and the key id; cipher_text is
base64(nonce || ciphertext) followed by the key id, so a key id mismatch is detected.
"""

import base64
import hashlib
import hmac
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROUTE = re.compile(r"^/v1\.0/([^/]+)/kms/(encrypt-data|decrypt-data)$")
AUTH = re.compile(r"^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]+)$")


def add_arguments(parser):
    parser.add_argument("--ak", default="AK-TEST")
    parser.add_argument("--sk", default="SK-TEST")
    parser.add_argument("--project", default="proj123")
    parser.add_argument("--token", default="")
    parser.add_argument("--seed", default="secret-tests")
    parser.add_argument("--metadata", default="v2", choices=["v2", "v1", "no-agency", "expire"])
    parser.add_argument("--iam-projects", type=int, default=1)
    parser.add_argument("--idp", default="idp-test")
    parser.add_argument("--id-token", default="oidc.jwt.token")


def hw_error(status, code, message):
    return status, {"error_code": code, "error_msg": message}, None


def signature(req, signed, sk):
    canonical = "\n".join([
        req.method,
        req.path if req.path.endswith("/") else req.path + "/",
        req.raw_query,
        "".join(f"{name}:{(req.header(name) or '').strip()}\n" for name in signed),
        ";".join(signed),
        hashlib.sha256(req.body).hexdigest(),
    ])
    to_sign = "SDK-HMAC-SHA256\n{}\n{}".format(
        req.header("X-Sdk-Date"), hashlib.sha256(canonical.encode()).hexdigest())
    return hmac.new(sk.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


class Service:
    def __init__(self, args):
        self.args = args
        self.tokens = 0

    def metadata(self, req):
        mode = self.args.metadata
        if req.path == "/meta-data/latest/api/token":
            if req.method != "PUT":
                return 405, "method not allowed", {"Content-Type": "text/plain"}
            if mode == "v1":
                return 405, "method not allowed", {"Content-Type": "text/plain"}
            if not (req.header("X-Metadata-Token-Ttl-Seconds") or "").isdigit():
                return 400, "missing X-Metadata-Token-Ttl-Seconds", {"Content-Type": "text/plain"}
            self.tokens += 1
            return 200, f"imds-token-{self.tokens}", {"Content-Type": "text/plain"}
        if req.method != "GET":
            return 405, "method not allowed", {"Content-Type": "text/plain"}
        if mode == "no-agency":
            return 401, "Please configure Cloud Service Agency first", {"Content-Type": "text/plain"}
        if mode != "v1":
            valid = {"imds-token-2"} if mode == "expire" else {f"imds-token-{n}" for n in range(1, self.tokens + 1)}
            if req.header("X-Metadata-Token") not in valid:
                return 401, "unauthorized", {"Content-Type": "text/plain"}
        return 200, {"credential": {
            "access": self.args.ak, "secret": self.args.sk,
            "securitytoken": self.args.token, "expires_at": "2099-01-01T00:00:00.000000Z"}}, None

    def aes(self, key_id):
        return AESGCM(hashlib.sha256(f"{self.args.seed}/{key_id}".encode()).digest())

    def check_auth(self, req, project=None):
        if req.header("X-Auth-Token") is not None:
            if req.header("X-Auth-Token") != self.federated_token():
                return hw_error(401, "APIGW.0301", "Incorrect IAM authentication information: token")
            if project is not None and (project != self.args.project or req.header("X-Project-Id") != project):
                return hw_error(403, "APIGW.0302", "The project id does not match the token")
            return None
        auth = AUTH.match(req.header("Authorization") or "")
        if not auth or auth.group(1) != self.args.ak:
            return hw_error(401, "APIGW.0301", "Incorrect IAM authentication information: ak not found or malformed")
        signed = auth.group(2).split(";")
        if signed != sorted(signed) or "x-sdk-date" not in signed:
            return hw_error(401, "APIGW.0301", "Incorrect IAM authentication information: bad SignedHeaders")
        if not hmac.compare_digest(signature(req, signed, self.args.sk), auth.group(3)):
            return hw_error(401, "APIGW.0301", "Incorrect IAM authentication information: verify aksk signature fail")
        if project is not None and (project != self.args.project or req.header("X-Project-Id") != project):
            return hw_error(403, "APIGW.0302", "The project id does not match the credentials")
        if self.args.token and (req.header("X-Security-Token") != self.args.token or "x-security-token" not in signed):
            return hw_error(401, "APIGW.0301", "Incorrect IAM authentication information: security token")
        return None

    def federated_token(self):
        return "fed-" + hashlib.sha256(self.args.id_token.encode()).hexdigest()[:16]

    def id_token_exchange(self, req):
        if req.method != "POST":
            return hw_error(404, "APIGW.0101", "The API does not exist or has not been published")
        auth = (req.json() or {}).get("auth") or {}
        if req.header("X-Idp-Id") != self.args.idp:
            return hw_error(404, "IAM.0004", "The identity provider does not exist")
        if (auth.get("id_token") or {}).get("id") != self.args.id_token:
            return hw_error(400, "IAM.0011", "The id token is invalid")
        if ((auth.get("scope") or {}).get("project") or {}).get("id") != self.args.project:
            return hw_error(400, "IAM.0012", "The project does not exist")
        return 201, {"token": {"expires_at": "2099-01-01T00:00:00.000000Z", "methods": ["mapped"]}}, {
            "X-Subject-Token": self.federated_token(), "X-Request-Id": "req-0001"}

    def seal(self, key_id, plain_text):
        nonce = os.urandom(12)
        sealed = nonce + self.aes(key_id).encrypt(nonce, plain_text.encode(), None)
        return base64.b64encode(sealed).decode() + key_id

    def handle(self, req):
        if req.path in ("/meta-data/latest/api/token", "/openstack/latest/securitykey"):
            return self.metadata(req)
        if req.path == "/v3.0/OS-AUTH/id-token/tokens":
            return self.id_token_exchange(req)
        if req.path == "/v3/projects":
            if req.method != "GET":
                return hw_error(404, "APIGW.0101", "The API does not exist or has not been published")
            denied = self.check_auth(req)
            if denied:
                return denied
            name = (req.query.get("name") or [""])[0]
            projects = [{"id": self.args.project if n == 0 else f"other{n}", "name": name}
                        for n in range(self.args.iam_projects)]
            return 200, {"projects": projects}, None
        if req.path.startswith("/_test/encrypt/"):
            return 200, self.seal(req.path.rsplit("/", 1)[1], req.body.decode()), {"Content-Type": "text/plain"}
        route = ROUTE.match(req.path)
        if req.method != "POST" or not route:
            return hw_error(404, "APIGW.0101", "The API does not exist or has not been published")
        denied = self.check_auth(req, route.group(1))
        if denied:
            return denied
        params = req.json() or {}
        key_id = params.get("key_id", "")
        if params.get("encryption_algorithm") != "SYMMETRIC_DEFAULT" or not key_id:
            return hw_error(400, "KMS.0205", "Invalid request parameters")
        if route.group(2) == "encrypt-data":
            return 200, {"key_id": key_id, "cipher_text": self.seal(key_id, params.get("plain_text", ""))}, None
        cipher = params.get("cipher_text", "")
        if not cipher.endswith(key_id):
            return hw_error(400, "KMS.0207", "The key ID does not match the ciphertext")
        try:
            sealed = base64.b64decode(cipher[: -len(key_id)], validate=True)
            plain = self.aes(key_id).decrypt(sealed[:12], sealed[12:], None)
        except (ValueError, InvalidTag):
            return hw_error(400, "KMS.0208", "Invalid ciphertext")
        return 200, {"key_id": key_id, "plain_text": plain.decode()}, None
