"""ssl and hashlib: the bundled OpenSSL must be the one python uses, and it must work."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import ssl
import sys

DATA = "héllo wörld ✓ 日本".encode()


def main() -> None:
    print("openssl prefix ok", ssl.OPENSSL_VERSION.startswith("OpenSSL"))
    print("openssl", ssl.OPENSSL_VERSION, ssl.OPENSSL_VERSION_INFO)
    for name in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512",
                 "sha3_256", "sha3_512", "blake2b", "blake2s"):
        print(name, hashlib.new(name, DATA).hexdigest())
    print("shake_128", hashlib.shake_128(DATA).hexdigest(20))
    print("md5 not for security", hashlib.md5(DATA, usedforsecurity=False).hexdigest())
    print("blake2b keyed", hashlib.blake2b(DATA, key=b"k", digest_size=16).hexdigest())
    print("pbkdf2", hashlib.pbkdf2_hmac("sha256", b"password", b"salt", 1000).hex())
    print("scrypt", hashlib.scrypt(b"password", salt=b"salt", n=16, r=8, p=1).hex())
    print("hmac", hmac.new(b"key", DATA, "sha256").hexdigest())
    print("compare", hmac.compare_digest(b"abc", b"abc"))
    guaranteed = sorted(hashlib.algorithms_guaranteed)
    print("guaranteed", guaranteed)
    ctx = ssl.create_default_context()
    print("verify", ctx.verify_mode == ssl.CERT_REQUIRED, ctx.check_hostname)
    print("protocol", ctx.protocol.name)
    if sys.version_info >= (3, 10):
        print("minimum", ctx.minimum_version.name)
    print("features", ssl.HAS_SNI, ssl.HAS_ALPN, ssl.HAS_TLSv1_3, ssl.HAS_ECDH)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    print("server ctx", server.protocol.name, server.verify_mode.name)
    print("random", len(ssl.RAND_bytes(16)), ssl.RAND_status(), len(secrets.token_hex(8)))


main()
