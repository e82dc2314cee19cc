"""TLS for emulators of services that only exist at fixed https names (Azure Key Vault, Entra ID).

With ``emulator.py SERVICE --tls-proxy CA.pem`` the emulator also acts as an HTTPS proxy: it
answers ``CONNECT host:443`` itself and serves the tunnel with TLS, under a certificate for that
host signed by a CA made at start-up (ECDSA P-256) and written to CA.pem. A client run with
``HTTPS_PROXY=http://127.0.0.1:PORT`` and ``SSL_CERT_FILE=CA.pem`` then reaches the emulator as
``https://myvault.vault.azure.net`` — its code path is exactly the production one.
"""

import datetime
import os
import ssl
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(common):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class Authority:
    """A throw-away CA that issues one server certificate per host name, on demand."""

    def __init__(self, ca_path):
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        self.not_before = now - datetime.timedelta(hours=1)
        self.not_after = now + datetime.timedelta(days=1)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name("secret test CA"))
            .issuer_name(_name("secret test CA"))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.not_before)
            .not_valid_after(self.not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        with open(ca_path, "wb") as f:
            f.write(self.cert.public_bytes(serialization.Encoding.PEM))
        # Beside the CA file, in the test's own temporary directory: the emulator is killed,
        # not asked to exit, so nothing it leaves elsewhere would be removed.
        self.dir = os.path.join(os.path.dirname(os.path.abspath(ca_path)), "tlsproxy-certs")
        os.makedirs(self.dir, exist_ok=True)
        self.contexts = {}
        self.lock = threading.Lock()

    def context(self, host):
        """The server-side TLS context for ``host``."""
        with self.lock:
            if host not in self.contexts:
                self.contexts[host] = self._issue(host)
            return self.contexts[host]

    def _issue(self, host):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(host))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.not_before)
            .not_valid_after(self.not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(self.key, hashes.SHA256())
        )
        base = os.path.join(self.dir, host)
        with open(base + ".pem", "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(base + ".key", "wb") as f:
            f.write(_pem_key(key))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(base + ".pem", base + ".key")
        return ctx
