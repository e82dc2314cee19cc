"""Shared machinery of the key-service emulators the integration tests start.

Each service (vault.py, gcpkms.py, ...) is a module with ``add_arguments(parser)`` and
``Service(args)`` whose ``handle(req)`` returns ``(status, body, headers)`` (and, optionally,
``started(port)`` called once the port is known); run it as
``python emulator.py SERVICE [--port N] [service options]``.

The server listens on 127.0.0.1 (port 0 = a free one) and prints ``listening on PORT`` as its
first line on stdout. With ``--tls DIR`` it speaks https with a certificate for 127.0.0.1
issued by a fresh CA, whose certificate it writes to ``DIR/ca.pem``. It exits when its stdin closes, so it never outlives the test that
started it, even one that crashed.

Control endpoints (never counted, never faulted):
  POST /_emulator/faults  {"status": 503, "count": 3}  the next 3 requests get a 503
                          {"hang": true, "count": 1}   the next request is never answered
                          (count -1: every request from now on)
  GET  /_emulator/requests  {"count": N, "requests": [{"method": ..., "path": ...}, ...]}
  POST /_emulator/reset     forget faults and requests

A service with ``tunnel = True`` (proxy.py) also answers CONNECT as an https proxy.
"""

import argparse
import datetime
import importlib
import ipaddress
import json
import os
import select
import socket
import socketserver
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Request:
    """One request as a service sees it."""

    def __init__(self, method, target, headers, body):
        split = urlsplit(target)
        self.method = method
        self.path = split.path
        self.query = parse_qs(split.query)
        self.raw_query = split.query
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        """The body as a JSON object, or None when it is not one."""
        try:
            value = json.loads(self.body or b"null")
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def form(self):
        """The body as an x-www-form-urlencoded form (first value of each field)."""
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}


class State:
    """Pending faults and the requests seen, shared by every connection."""

    def __init__(self):
        self.lock = threading.Lock()
        self.faults = []  # [[kind, status, remaining]]
        self.seen = []
        self.stop = threading.Event()

    def take_fault(self):
        with self.lock:
            while self.faults:
                fault = self.faults[0]
                if fault[2] == 0:
                    self.faults.pop(0)
                    continue
                if fault[2] > 0:
                    fault[2] -= 1
                return fault[0], fault[1]
        return None


def pipe(a, b):
    """Copies bytes both ways between two sockets until either side closes."""
    sockets = [a, b]
    while True:
        ready, _, _ = select.select(sockets, [], [], 30)
        if not ready:
            return
        for s in ready:
            data = s.recv(65536)
            if not data:
                return
            (b if s is a else a).sendall(data)


def make_handler(service, state, authority=None):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet: the tests read stdout/stderr of the tools only
            pass

        def reply(self, status, body, headers=None):
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
                headers = dict(headers or {}, **{"Content-Type": "application/json"})
            elif isinstance(body, str):
                body = body.encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def dispatch(self):
            if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
                body = self.read_chunked()
            else:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
            req = Request(self.command, self.path, self.headers, body)
            if req.path.startswith("/_emulator/"):
                return self.control(req)
            with state.lock:
                state.seen.append({"method": req.method, "path": self.path})
            fault = state.take_fault()
            if fault and fault[0] == "hang":
                state.stop.wait()
                self.close_connection = True
                return
            if fault:
                return self.reply(fault[1], {"errors": ["injected fault"]})
            status, out, headers = service.handle(req)
            self.reply(status, out, headers)

        def read_chunked(self):
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():  # trailers, then the blank line
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()

        def control(self, req):
            what = req.path[len("/_emulator/"):]
            if what == "faults" and req.method == "POST":
                spec = req.json() or {}
                kind = "hang" if spec.get("hang") else "status"
                with state.lock:
                    state.faults.append([kind, int(spec.get("status", 503)), int(spec.get("count", 1))])
                return self.reply(200, {"ok": True})
            if what == "requests":
                with state.lock:
                    return self.reply(200, {"count": len(state.seen), "requests": state.seen})
            if what == "reset" and req.method == "POST":
                with state.lock:
                    state.faults.clear()
                    state.seen.clear()
                return self.reply(200, {"ok": True})
            return self.reply(404, {"errors": ["unknown control endpoint"]})

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = dispatch

        def do_CONNECT(self):
            """A CONNECT: with --tls-proxy the tunnel ends here, in TLS for the requested host
            (tlsproxy.py); for services with ``tunnel = True`` it is a real proxy's tunnel,
            counted as a request."""
            if authority is not None:
                host = self.path.rsplit(":", 1)[0]
                self.send_response(200, "Connection established")
                self.end_headers()
                self.connection = authority.context(host).wrap_socket(self.connection, server_side=True)
                self.rfile = self.connection.makefile("rb", -1)
                self.wfile = socketserver._SocketWriter(self.connection)
                return
            if not getattr(service, "tunnel", False):
                return self.reply(405, {"errors": ["not a proxy"]})
            with state.lock:
                state.seen.append({"method": "CONNECT", "path": self.path})
            host, _, port = self.path.rpartition(":")
            try:
                upstream = socket.create_connection((host, int(port)), timeout=10)
            except OSError:
                return self.reply(502, {"errors": ["cannot reach " + self.path]})
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            self.close_connection = True
            pipe(self.connection, upstream)

    return Handler


def tls_context(directory, mtls=False):
    """A server context for 127.0.0.1 (and the name emulator.test), signed by a new CA written
    to DIR/ca.pem. With mtls, clients must present a certificate of that CA: one is written
    to DIR/client.pem with its key in DIR/client.key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def cert(subject, issuer, public_key, signing_key, ca):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.DNSName("emulator.test"),
                ]),
                critical=False,
            )
        return builder.sign(signing_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = cert("emulator test CA", "emulator test CA", ca_key.public_key(), ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = cert("127.0.0.1", "emulator test CA", key.public_key(), ca_key, False)
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM)
    with open(os.path.join(directory, "ca.pem"), "wb") as f:
        f.write(pem(ca))
    chain = os.path.join(directory, "server.pem")
    with open(chain, "wb") as f:
        f.write(pem(leaf))
        f.write(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    if mtls:
        client_key = ec.generate_private_key(ec.SECP256R1())
        client = cert("emulator test client", "emulator test CA", client_key.public_key(), ca_key, False)
        with open(os.path.join(directory, "client.pem"), "wb") as f:
            f.write(pem(client))
        with open(os.path.join(directory, "client.key"), "wb") as f:
            f.write(client_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption()
            ))
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(os.path.join(directory, "ca.pem"))
    return context


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    name = sys.argv[1]
    module = importlib.import_module(name)
    parser = argparse.ArgumentParser(prog="emulator.py " + name)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", default="", help="serve https; write the CA to DIR/ca.pem")
    parser.add_argument("--mtls", action="store_true",
                        help="with --tls, require a client certificate (DIR/client.pem, DIR/client.key)")
    parser.add_argument("--tls-proxy", metavar="CA_PEM",
                        help="also be an HTTPS proxy that serves every CONNECT itself, in TLS (tlsproxy.py)")
    module.add_arguments(parser)
    args = parser.parse_args(sys.argv[2:])
    state = State()
    authority = None
    if args.tls_proxy:
        import tlsproxy
        authority = tlsproxy.Authority(args.tls_proxy)
    service = module.Service(args)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(service, state, authority))
    server.daemon_threads = True
    if args.tls:
        server.socket = tls_context(args.tls, args.mtls).wrap_socket(server.socket, server_side=True)
    if hasattr(service, "started"):
        service.started(server.server_address[1])
    print("listening on", server.server_address[1], flush=True)

    def watch_stdin():
        sys.stdin.buffer.read()
        state.stop.set()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
