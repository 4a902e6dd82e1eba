#!/usr/bin/env python3
"""Verify an onrecord record disclosure offline, written from docs/disclosure.md alone.

Usage: verify_record_disclosure.py VERIFIER_KEY DISCLOSURE.json...

Checks, for each file: the claims give the commitment; the record id is the hash of the
conversation id and the commitment; the record entry rebuilt from its fields is in the log tree
of the checkpoint (RFC 9162 inclusion proof); and the checkpoint is signed by VERIFIER_KEY (a C2SP
signed-note key, `name+hex+base64`). Prints "OK <record id> <log index>" per file; exits 1 if any
file fails. The Ed25519 signature check needs the `cryptography` package (Debian:
python3-cryptography); everything else is the standard library.
"""

import base64
import hashlib
import json
import struct
import sys

RECORD_FORMAT = "onrecord-record-disclosure/1"
CLAIMS_FORMAT = "onrecord-disclosure/1"
CLAIM_TAG = b"onrecord-claim/2\0"
ROOT_TAG = b"onrecord-content/2\0"
RECORD_ID_TAG = b"onrecord-record-id/2\n"
PROOF_HEADER = "c2sp.org/tlog-proof@v1"


class Invalid(Exception):
    pass


def sha256(b):
    return hashlib.sha256(b).digest()


def unhex(value, size, what):
    if not isinstance(value, str) or len(value) != 2 * size:
        raise Invalid(f"{what} is not {2 * size} hex digits")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise Invalid(f"{what} is not hex") from None


def commitment(content):
    if content.get("format") != CLAIMS_FORMAT:
        raise Invalid("unknown claims format")
    claims = content["claims"]
    h = hashlib.sha256(ROOT_TAG + struct.pack(">I", len(claims)))
    for i, c in enumerate(claims):
        if c.get("withheld") is True:
            h.update(unhex(c["digest"], 32, f"claim {i} digest"))
            continue
        salt = unhex(c["salt"], 16, f"claim {i} salt")
        name, value = c["name"].encode(), c["value"].encode()
        h.update(sha256(CLAIM_TAG + salt + struct.pack(">H", len(name)) + name
                        + struct.pack(">I", len(value)) + value))
    root = h.digest()
    if root != unhex(content["commitment"], 32, "commitment"):
        raise Invalid("the claims do not give the commitment")
    return root


def parse_proof(text):
    head, sep, checkpoint = text.partition("\n\n")
    if not sep:
        raise Invalid("tlog-proof has no checkpoint")
    lines = head.split("\n")
    if lines[0] != PROOF_HEADER:
        raise Invalid("not a c2sp.org/tlog-proof@v1")
    lines = lines[1:]
    if lines and lines[0].startswith("extra "):
        lines = lines[1:]
    if not lines or not lines[0].startswith("index "):
        raise Invalid("tlog-proof has no index")
    index = int(lines[0][6:])
    path = [base64.b64decode(l, validate=True) for l in lines[1:]]
    return index, path, checkpoint


def verify_inclusion(leaf, index, size, path, root):
    """RFC 9162, section 2.1.3.2."""
    if index >= size:
        raise Invalid("index beyond the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise Invalid("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = sha256(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise Invalid("the entry is not in the checkpoint's tree")


def check_signature(checkpoint, key_text):
    """C2SP signed-note: body, blank line, signature lines '— name base64(keyid || sig)'."""
    # The name holds no "+"; the base64 key may.
    name, key_hash, key_b64 = key_text.strip().split("+", 2)
    key = base64.b64decode(key_b64)
    if key[0] != 1 or len(key) != 33:
        raise Invalid("not an Ed25519 verifier key")
    key_id = sha256(name.encode() + b"\n" + key)[:4]
    if key_id.hex() != key_hash:
        raise Invalid("verifier key hash does not match")
    body, sep, sigs = checkpoint.rpartition("\n\n")
    if not sep:
        raise Invalid("checkpoint is not a signed note")
    body += "\n"
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    public = Ed25519PublicKey.from_public_bytes(key[1:])
    for line in sigs.split("\n"):
        if not line.startswith("\u2014 "):
            continue
        signer, _, sig_b64 = line[2:].rpartition(" ")
        sig = base64.b64decode(sig_b64)
        if signer == name and sig[:4] == key_id:
            try:
                public.verify(sig[4:], body.encode())
                return body
            except Exception:
                raise Invalid("the checkpoint's signature does not verify") from None
    raise Invalid("the checkpoint is not signed by this key")


def verify(d, key_text):
    if d.get("format") != RECORD_FORMAT:
        raise Invalid("unknown record disclosure format")
    root = commitment(d["content"])
    conversation = unhex(d["conversation_id"], 32, "conversation_id")
    deposit = unhex(d["deposit_id"], 32, "deposit_id")
    if sha256(RECORD_ID_TAG + conversation + root) != unhex(d["record_id"], 32, "record_id"):
        raise Invalid("record_id is not the id of this conversation and commitment")
    entry = b"\x02\x02" + conversation + root + deposit + struct.pack(">q", d["received_at_us"])
    index, path, checkpoint = parse_proof(d["proof"])
    body = check_signature(checkpoint, key_text)
    origin, size, tree_root = body.split("\n")[:3]
    verify_inclusion(sha256(b"\x00" + entry), index, int(size), path,
                     base64.b64decode(tree_root, validate=True))
    return d["record_id"], index


def main(key_text, paths):
    failed = False
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                record_id, index = verify(json.load(f), key_text)
            print(f"OK {record_id} {index}")
        except (Invalid, ValueError, KeyError, TypeError) as e:
            print(f"{path}: does not verify: {e}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
