"""RSA signing keys of the stand-in: Google's id_token key and service-account keys.

Google publishes the id_token keys twice, as a JWK set (`/oauth2/v3/certs`) and as x509
certificates keyed by key id (`/oauth2/v1/certs`); google-auth reads either, so each key
carries a self-signed certificate too.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import RSAAlgorithm


@dataclass(frozen=True)
class SigningKey:
    """An RS256 key with its key id (`kid`) and a self-signed certificate for it."""

    kid: str
    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @classmethod
    def generate(cls, common_name: str) -> SigningKey:
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(private_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=14))
            .sign(private_key, hashes.SHA256())
        )
        return cls(kid=secrets.token_hex(20), private_key=private_key, certificate=certificate)

    def export_state(self) -> dict[str, str]:
        """The key as JSON-ready text (for keeping the stand-in's state across restarts)."""
        return {
            "kid": self.kid,
            "private_key": self.private_key_pem(),
            "certificate": self.certificate_pem(),
        }

    @classmethod
    def from_state(cls, state: dict[str, str]) -> SigningKey:
        private_key = serialization.load_pem_private_key(state["private_key"].encode(), None)
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise ValueError("a signing key is an RSA key")
        certificate = x509.load_pem_x509_certificate(state["certificate"].encode())
        return cls(kid=state["kid"], private_key=private_key, certificate=certificate)

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def private_key_pem(self) -> str:
        """PKCS#8 PEM, the form Google puts in a service-account key file."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def jwk(self) -> dict[str, Any]:
        key = RSAAlgorithm.to_jwk(self.public_key, as_dict=True)
        return {**key, "kid": self.kid, "alg": "RS256", "use": "sig"}
