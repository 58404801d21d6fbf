"""cryptography (a Rust extension with OpenSSL inside): a Fernet round trip with a fixed key,
a wrong key rejected, SHA-256, and Ed25519 signatures (deterministic, so printable)."""

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def main() -> None:
    key = base64.urlsafe_b64encode(bytes(range(32)))
    fernet = Fernet(key)
    token = fernet.encrypt("geheime Nachricht ✓".encode())  # random IV: never printed
    print("decrypted", fernet.decrypt(token).decode())
    print("token is base64", base64.urlsafe_b64decode(token)[:1] == b"\x80")
    try:
        Fernet(Fernet.generate_key()).decrypt(token)
    except InvalidToken:
        print("wrong key rejected")

    digest = hashes.Hash(hashes.SHA256())
    digest.update(b"freezer")
    print("sha256", digest.finalize().hex())

    private = Ed25519PrivateKey.from_private_bytes(bytes(32))
    signature = private.sign(b"message")
    print("signature", signature.hex()[:32])
    private.public_key().verify(signature, b"message")
    try:
        private.public_key().verify(signature, b"tampered")
    except InvalidSignature:
        print("tampered message rejected")


if __name__ == "__main__":
    main()
