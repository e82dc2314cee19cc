"""Google Cloud Storage emulator: the JSON API subset that publishing an object uses.

POST /upload/storage/v1/b/<bucket>/o?uploadType=media&name=N       body: the object
POST /upload/storage/v1/b/<bucket>/o?uploadType=multipart         multipart/related: JSON
     metadata ({"name": N, ...}) then the object                  -> the object's resource
GET  /storage/v1/b/<bucket>/o/<name>?alt=media                     -> the object

Requests with an Authorization header need `Bearer --token`; without one they are served as
an emulator reached through STORAGE_EMULATOR_HOST is, unless --require-auth. Buckets must be
named with --bucket, as they must exist in GCS.
"""

import email.parser
import json
import re
from urllib.parse import unquote

UPLOAD = re.compile(r"^/upload/storage/v1/b/([^/]+)/o$")
OBJECT = re.compile(r"^/storage/v1/b/([^/]+)/o/(.+)$")


def add_arguments(parser):
    parser.add_argument("--token", default="", help="the bearer token accepted")
    parser.add_argument("--require-auth", action="store_true")
    parser.add_argument("--bucket", action="append", default=[])


def error(status, message):
    return status, {"error": {"code": status, "message": message, "errors": [{"message": message}]}}, None


class Service:
    def __init__(self, args):
        self.args = args
        self.objects = {}

    def handle(self, req):
        auth = req.header("Authorization")
        if auth is None and self.args.require_auth or auth is not None and auth != f"Bearer {self.args.token}":
            return error(401, "Invalid Credentials")
        upload = UPLOAD.match(req.path)
        if upload and req.method == "POST":
            return self.upload(req, upload.group(1))
        found = OBJECT.match(req.path)
        if found and req.method == "GET":
            key = (found.group(1), unquote(found.group(2)))
            if key not in self.objects:
                return error(404, "No such object")
            return 200, self.objects[key], {"Content-Type": "application/octet-stream"}
        return error(404, "Not Found")

    def upload(self, req, bucket):
        if bucket not in self.args.bucket:
            return error(404, "The specified bucket does not exist.")
        kind = (req.query.get("uploadType") or [""])[0]
        if kind == "media":
            name, content = (req.query.get("name") or [""])[0], req.body
        elif kind == "multipart":
            head = f"Content-Type: {req.header('Content-Type')}\r\n\r\n".encode()
            message = email.parser.BytesParser().parsebytes(head + req.body)
            parts = message.get_payload() if message.is_multipart() else []
            if len(parts) != 2:
                return error(400, "multipart upload needs metadata and media")
            name = json.loads(parts[0].get_payload(decode=True)).get("name", "")
            content = parts[1].get_payload(decode=True)
        else:
            return error(400, f"uploadType {kind!r} is not supported by this emulator")
        if not name:
            return error(400, "Required object name")
        self.objects[(bucket, name)] = content
        return 200, {"kind": "storage#object", "bucket": bucket, "name": name,
                     "size": str(len(content))}, None
