#!/usr/bin/env python3
"""Independent check of one Web Push request made by orderbell-notify.

Decrypts the body with PyPI `http_ece` (RFC 8188/8291 reference implementation by the
authors of the RFCs' test vectors) and verifies the VAPID JWT with PyPI `py_vapid`
(on top of `cryptography`). Reads one JSON object on stdin:

  {"body": b64url, "headers": {lower-case name: value}, "ua_private": b64url raw scalar,
   "auth": b64url, "vapid_private": b64url raw scalar (our stored form),
   "endpoint": url, "now": unix seconds}

Prints {"plaintext": "...", "claims": {...}} and exits 0, or prints the failure and exits 1.
Exits 3 when a module is missing (so the caller can skip or fail as it is told).
"""
import base64
import json
import sys
from urllib.parse import urlsplit

try:
    import http_ece
    import py_vapid
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives import serialization
except ImportError as e:  # pragma: no cover
    print(f"missing python module: {e}", file=sys.stderr)
    sys.exit(3)


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def main():
    req = json.load(sys.stdin)
    h = req["headers"]
    if h.get("content-encoding") != "aes128gcm":
        fail(f"Content-Encoding is {h.get('content-encoding')!r}")
    if not h.get("ttl", "").isdigit():
        fail(f"TTL is {h.get('ttl')!r}")
    if h.get("urgency") not in ("very-low", "low", "normal", "high"):
        fail(f"Urgency is {h.get('urgency')!r}")

    # 1. decrypt with http_ece
    ua_key = ec.derive_private_key(int.from_bytes(b64d(req["ua_private"]), "big"), ec.SECP256R1())
    plaintext = http_ece.decrypt(
        b64d(req["body"]), private_key=ua_key, auth_secret=b64d(req["auth"]), version="aes128gcm"
    )

    # 2. VAPID: `vapid t=<jwt>, k=<key>` (RFC 8292 §3)
    auth = h.get("authorization", "")
    scheme, _, rest = auth.partition(" ")
    if scheme.lower() != "vapid":
        fail(f"Authorization scheme is {scheme!r}")
    params = dict(p.strip().split("=", 1) for p in rest.split(","))
    token, k = params["t"], params["k"]

    # our stored private key, loaded by py_vapid, must give the k we sent
    ours = py_vapid.Vapid02.from_raw(req["vapid_private"].encode())
    ours_pub = ours.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    if b64e(ours_pub) != k:
        fail("k= is not the public key of our VAPID private key (as py_vapid reads it)")

    signing_input, _, sig = token.rpartition(".")
    verifier = py_vapid.Vapid02.from_raw_public(k.encode())
    if not verifier.verify_token(signing_input.encode(), sig):
        fail("VAPID JWT signature does not verify against k")

    header_b64, claims_b64 = signing_input.split(".")
    header = json.loads(b64d(header_b64))
    claims = json.loads(b64d(claims_b64))
    if header.get("alg") != "ES256":
        fail(f"JWT alg is {header.get('alg')!r}")
    u = urlsplit(req["endpoint"])
    if claims.get("aud") != f"{u.scheme}://{u.netloc}":
        fail(f"aud {claims.get('aud')!r} is not the endpoint's origin")
    now = int(req["now"])
    if not (now < int(claims["exp"]) <= now + 86400 + 60):
        fail(f"exp {claims['exp']} not within 24 h of {now}")
    sub = claims.get("sub", "")
    if not (sub.startswith("mailto:") or sub.startswith("https:")):
        fail(f"sub {sub!r}")

    print(json.dumps({"plaintext": plaintext.decode("utf-8"), "claims": claims}))


if __name__ == "__main__":
    main()
