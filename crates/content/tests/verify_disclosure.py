#!/usr/bin/env python3
"""Verify the claim part of onrecord disclosures (docs/disclosure.md), independently of the Rust code.

Usage: verify_disclosure.py DISCLOSURE.json...

For each file, prints "<root hex>  <file>" when the claims give the stated commitment; otherwise
prints the reason to stderr and exits with status 1. Standard library only.

The checks are steps in CHECKS, each taking the parsed disclosure and the state so far; the log
part (RFC 9162 inclusion proof, signed checkpoint) is meant to be added there as further steps once
docs/disclosure.md specifies it.
"""

import hashlib
import json
import struct
import sys

FORMAT = "onrecord-disclosure/1"
CLAIM_TAG = b"onrecord-claim/2\0"
ROOT_TAG = b"onrecord-content/2\0"


class Invalid(Exception):
    """The disclosure does not verify."""


def hex_bytes(value, size, what):
    if not isinstance(value, str) or len(value) != 2 * size:
        raise Invalid(f"{what} is not {2 * size} hex digits")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise Invalid(f"{what} is not {2 * size} hex digits") from None


def claim_digest(salt, name, value):
    name_b = name.encode("utf-8")
    value_b = value.encode("utf-8")
    return hashlib.sha256(
        CLAIM_TAG
        + salt
        + struct.pack(">H", len(name_b))
        + name_b
        + struct.pack(">I", len(value_b))
        + value_b
    ).digest()


def digest_of(i, claim):
    if not isinstance(claim, dict) or not isinstance(claim.get("name"), str):
        raise Invalid(f"claim {i}: not an object with a name")
    if claim.get("withheld") is True:
        if set(claim) - {"withheld", "name", "digest", "reason"}:
            raise Invalid(f"claim {i}: unexpected keys")
        return hex_bytes(claim.get("digest"), 32, f"claim {i} digest")
    if set(claim) != {"name", "value", "salt"} or not isinstance(claim["value"], str):
        raise Invalid(f"claim {i}: a shown claim has exactly name, value and salt")
    salt = hex_bytes(claim["salt"], 16, f"claim {i} salt")
    return claim_digest(salt, claim["name"], claim["value"])


def check_format(disclosure, state):
    if disclosure.get("format") != FORMAT:
        raise Invalid(f"unknown format {disclosure.get('format')!r}")


def check_claims(disclosure, state):
    claims = disclosure.get("claims")
    if not isinstance(claims, list):
        raise Invalid("claims is not a list")
    root = hashlib.sha256(ROOT_TAG + struct.pack(">I", len(claims)))
    for i, claim in enumerate(claims):
        root.update(digest_of(i, claim))
    state["root"] = root.digest()
    stated = hex_bytes(disclosure.get("commitment"), 32, "commitment")
    if state["root"] != stated:
        raise Invalid(f"claims give root {state['root'].hex()}, commitment is {stated.hex()}")


# Later: check_inclusion (the record entry's leaf hash to the tree head, RFC 9162 section 2.1.3.2)
# and check_checkpoint (the signed tree head), both reading keys the archive adds beside the claims.
CHECKS = [check_format, check_claims]


def verify(disclosure):
    """Runs every check; returns the content root (bytes)."""
    if not isinstance(disclosure, dict):
        raise Invalid("not a JSON object")
    state = {}
    for check in CHECKS:
        check(disclosure, state)
    return state["root"]


def main(paths):
    failed = False
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                root = verify(json.load(f))
            print(f"{root.hex()}  {path}")
        except (Invalid, ValueError, UnicodeError, OSError) as e:
            print(f"{path}: does not verify: {e}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
