"""HashiCorp Vault KV secrets engine emulator (versions 1 and 2): what `publish` calls.

KV v2 mounts (--kv2, default secret):
  GET /v1/<mount>/data/<path>   -> {"data": {"data": {...}, "metadata": {"version": N}}} or 404
  PUT|POST /v1/<mount>/data/<path>  {"data": {...}}  -> {"data": {"version": N}}
KV v1 mounts (--kv1):
  GET /v1/<mount>/<path>        -> {"data": {...}} or 404
  PUT|POST /v1/<mount>/<path>   {...}               -> 204
Writes are kept in memory and counted per path (GET /_emulator/requests lists every call).
The token (X-Vault-Token) must be --token; otherwise 403 "permission denied", as Vault answers.
"""

from vault import errors  # Vault's error body, shared with the transit emulator


def add_arguments(parser):
    parser.add_argument("--token", default="root", help="the only accepted X-Vault-Token")
    parser.add_argument("--kv1", action="append", default=[], help="a KV version 1 mount")
    parser.add_argument("--kv2", action="append", default=[], help="a KV version 2 mount")


class Service:
    def __init__(self, args):
        self.args = args
        self.kv2 = set(args.kv2 or ["secret"])
        self.kv1 = set(args.kv1)
        self.store = {}

    def route(self, path):
        """(version, storage key) of a request path, or None."""
        rest = path[len("/v1/"):] if path.startswith("/v1/") else None
        if rest is None:
            return None
        for mount in self.kv2:
            if rest.startswith(mount + "/data/"):
                return 2, mount + "/" + rest[len(mount) + len("/data/"):]
        for mount in self.kv1:
            if rest.startswith(mount + "/"):
                return 1, rest
        return None

    def handle(self, req):
        if req.header("X-Vault-Token") != self.args.token:
            return errors(403, "permission denied")
        route = self.route(req.path)
        if route is None:
            return errors(404, f"no handler for route \"{req.path[4:]}\". route entry not found.")
        version, key = route
        if req.method == "GET":
            if key not in self.store:
                return errors(404)
            data, number = self.store[key]
            if version == 2:
                return 200, {"data": {"data": data, "metadata": {"version": number}}}, None
            return 200, {"data": data}, None
        if req.method not in ("PUT", "POST"):
            return errors(405, "unsupported operation")
        body = req.json()
        if body is None or (version == 2 and not isinstance(body.get("data"), dict)):
            return errors(400, "failed to parse JSON input")
        data = body["data"] if version == 2 else body
        number = self.store.get(key, (None, 0))[1] + 1
        self.store[key] = (data, number)
        if version == 2:
            return 200, {"data": {"version": number}}, None
        return 204, b"", None
