#!/usr/bin/env python3
"""Writes crates/classify/data/personal.jsonl: messages with the personal data in them marked,
and look-alikes that fail a check (and so must not be found).

Each line: {"id", "text", "spans": [{"start", "end", "type"}], "decoys": [...]} with offsets in
code points. Valid values are built by the rules (HMRC prefixes, NHS modulus 11, DVLA date
encoding, Royal Mail letters, Ofcom ranges); decoys break exactly one rule. The rules are written
here from the public specifications, independently of the Rust code they test.

Deterministic (fixed seed). Usage: python3 crates/classify/data/generate_personal.py
"""

import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(4401)
UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

NAMES = ["Sarah", "James", "Priya", "Tom", "Fiona", "Raj", "Helen", "Mark", "Kemi", "Olu", "Mrs Patel", "Mr Jones"]


def ni_valid():
    while True:
        a = rng.choice([c for c in UP if c not in "DFIQUV"])
        b = rng.choice([c for c in UP if c not in "DFIOQUV"])
        if a + b not in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ"):
            break
    d = "".join(rng.choice("0123456789") for _ in range(6))
    s = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{a}{b}{d}{s}"
    return f"{a}{b} {d[:2]} {d[2:4]} {d[4:]} {s}"


def ni_decoy():
    d = "".join(rng.choice("0123456789") for _ in range(6))
    kind = rng.randrange(4)
    if kind == 0:
        p = rng.choice("DFIQUV") + rng.choice("ABCEGH")
    elif kind == 1:
        p = rng.choice("ABCEGH") + rng.choice("DFIOQUV")
    elif kind == 2:
        p = rng.choice(["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"])
    else:
        return "AB" + d + rng.choice("EFGXYZ")
    return p + d + rng.choice("ABCD")


def nhs_check(nine):
    total = sum(int(c) * (10 - i) for i, c in enumerate(nine))
    c = 11 - total % 11
    return 0 if c == 11 else c


def nhs_valid():
    while True:
        nine = str(rng.randint(4, 7)) + "".join(rng.choice("0123456789") for _ in range(8))
        c = nhs_check(nine)
        if c != 10:
            break
    n = nine + str(c)
    fmt = rng.randrange(3)
    if fmt == 0:
        return n
    sep = " " if fmt == 1 else "-"
    return f"{n[:3]}{sep}{n[3:6]}{sep}{n[6:]}"


def nhs_decoy():
    while True:
        nine = str(rng.randint(4, 7)) + "".join(rng.choice("0123456789") for _ in range(8))
        c = nhs_check(nine)
        wrong = (c + rng.randint(1, 9)) % 10 if c != 10 else rng.randint(0, 9)
        if c == 10 or wrong != c:
            n = nine + str(wrong)
            return n if rng.random() < 0.5 else f"{n[:3]} {n[3:6]} {n[6:]}"


DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
SURNAMES = ["MORGAN", "SMITH", "LI", "PATEL", "OKAFOR", "JONES", "WU", "BROWN", "NGUYEN", "EVANS"]


def licence(month, day, yy, surname=None):
    s = (surname or rng.choice(SURNAMES))[:5].ljust(5, "9")
    female = rng.random() < 0.5
    m = month + (50 if female else 0)
    initials = rng.choice(UP) + (rng.choice(UP) if rng.random() < 0.7 else "9")
    return f"{s}{yy // 10}{m:02d}{day:02d}{yy % 10}{initials}9{rng.choice(UP)}{rng.choice(UP)}"


def licence_valid():
    month = rng.randint(1, 12)
    yy = rng.randint(0, 99)
    maxd = DAYS[month - 1] if month != 2 else (29 if yy % 4 == 0 else 28)
    return licence(month, rng.randint(1, maxd), yy)


def licence_decoy():
    kind = rng.randrange(3)
    if kind == 0:
        return licence(rng.choice([13, 0]), 10, 75)
    if kind == 1:
        month = rng.choice([4, 6, 9, 11])
        return licence(month, 31, 82)
    return licence(2, 29, rng.choice([81, 83, 85, 97]))


OUTWARD = ["SW1A", "EC1A", "W1A", "M1", "B33", "CR2", "DN55", "LS1", "G2", "EH1", "CF10", "BT1", "NE1", "L1", "BS8", "N1C", "E14"]
INWARD_LETTERS = [c for c in UP if c not in "CIKMOV"]


def postcode_valid():
    if rng.random() < 0.05:
        return "GIR 0AA"
    inward = str(rng.randint(0, 9)) + rng.choice(INWARD_LETTERS) + rng.choice(INWARD_LETTERS)
    return rng.choice(OUTWARD) + (" " if rng.random() < 0.8 else "") + inward


def postcode_decoy():
    kind = rng.randrange(3)
    inward = str(rng.randint(0, 9)) + rng.choice(INWARD_LETTERS) + rng.choice(INWARD_LETTERS)
    if kind == 0:
        return rng.choice("QVX") + str(rng.randint(1, 9)) + " " + inward
    if kind == 1:
        return rng.choice(OUTWARD) + " " + str(rng.randint(0, 9)) + rng.choice("CIKMOV") + rng.choice(INWARD_LETTERS)
    return rng.choice("ABEG") + rng.choice("IJZ") + str(rng.randint(1, 9)) + " " + inward


def digits(n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def phone_valid():
    kind = rng.randrange(6)
    if kind == 0:
        n = "07" + rng.choice("1234789") + digits(8)
        fmts = [n, f"{n[:5]} {n[5:]}", f"+44 {n[1:5]} {n[5:]}", f"+44{n[1:]}"]
    elif kind == 1:
        n = "020" + digits(8)
        fmts = [f"{n[:3]} {n[3:7]} {n[7:]}", f"({n[:3]}) {n[3:7]} {n[7:]}", f"+44 (0)20 {n[3:7]} {n[7:]}"]
    elif kind == 2:
        n = "01" + rng.choice("123456789") + digits(8)
        fmts = [f"{n[:5]} {n[5:]}", f"{n[:4]} {n[4:7]} {n[7:]}"]
    elif kind == 3:
        n = "03" + rng.choice("03") + digits(8)
        fmts = [f"{n[:4]} {n[4:7]} {n[7:]}"]
    elif kind == 4:
        n = "080" + rng.choice("08") + digits(6)
        fmts = [f"{n[:4]} {n[4:]}"]
    else:
        n = "08" + rng.choice("47") + digits(8)
        fmts = [f"{n[:4]} {n[4:7]} {n[7:]}"]
    return rng.choice(fmts)


def phone_decoy():
    kind = rng.randrange(4)
    if kind == 0:
        n = "07" + rng.choice("1234789") + digits(7)  # one digit short
        return f"{n[:5]} {n[5:]}"
    if kind == 1:
        n = "020" + digits(9)  # one digit long
        return f"{n[:3]} {n[3:7]} {n[7:]}"
    if kind == 2:
        n = "0" + rng.choice("569") + digits(9)  # no such range here
        return f"{n[:5]} {n[5:]}"
    n = "070" + digits(8)  # personal numbering, not a mobile
    return f"{n[:5]} {n[5:]}"


def email_valid():
    user = rng.choice(["jo.bloggs", "s.patel", "tom", "priya_k", "h.evans+foi", "mark.2021"])
    dom = rng.choice(["cabinetoffice.gov.uk", "example.com", "hmtreasury.gov.uk", "lexmoor.co.uk", "gmail.com"])
    return f"{user}@{dom}"


def email_decoy():
    return rng.choice(["jo..bloggs@example.com", "tom@localhost", "s.patel@-example.com", "@example.com",
                       "priya@example.c0m", "tom.@example.com"])


def passport_valid():
    return str(rng.randint(1, 9)) + digits(8)


def condition():
    return rng.choice(["cancer", "diabetes", "depression", "dementia", "chemotherapy", "epilepsy", "pregnant", "a stroke"])


SENTENCES = {
    "ni_number": (ni_valid, ni_decoy, ["Her NI number is {v}, can you update payroll?", "NI: {v}", "Can you check {v} on the system please", "new starter {v} needs adding"]),
    "nhs_number": (nhs_valid, nhs_decoy, ["NHS number {v} for the referral", "patient ref {v}", "Her NHS no. is {v}.", "{v} is the number on the letter"]),
    "driving_licence": (licence_valid, licence_decoy, ["Licence number {v} for the pool car form", "driving licence: {v}", "His licence is {v}, check the points", "DVLA says {v} is valid"]),
    "postcode": (postcode_valid, postcode_decoy, ["Send it to {v} please", "The venue postcode is {v}", "Address: 10 High St, {v}", "meet at {v} at 3"]),
    "phone": (phone_valid, phone_decoy, ["Call me on {v}", "His mobile is {v}", "ring {v} when you land", "Office line {v}, ext 4"]),
    "email": (email_valid, email_decoy, ["email {v} about it", "Send it to {v}.", "cc {v} please", "her address is {v}"]),
}


def span(text, value):
    b = text.index(value)
    start = len(text[:b])
    return start, start + len(value)


def main():
    rows = []
    n = 0
    for kind, (valid, decoy, sentences) in SENTENCES.items():
        for i in range(60):
            n += 1
            v = valid()
            text = rng.choice(sentences).format(v=v)
            if rng.random() < 0.2:
                text = "Café ☕ — " + text  # non-ASCII before the value: offsets are code points
            s, e = span(text, v)
            rows.append({"id": f"p{n:04d}", "text": text, "spans": [{"start": s, "end": e, "type": kind}], "decoys": []})
        for i in range(40):
            n += 1
            d = decoy()
            text = rng.choice(sentences).format(v=d)
            rows.append({"id": f"p{n:04d}", "text": text, "spans": [], "decoys": [{"value": d, "type": kind}]})
    # Passports: nine digits count only with the word nearby.
    for i in range(40):
        n += 1
        v = passport_valid()
        text = rng.choice(["Passport number {v} expires in May", "her passport no is {v}", "UK passport: {v}", "Passport {v}, issued 2019"]).format(v=v)
        s, e = span(text, v)
        rows.append({"id": f"p{n:04d}", "text": text, "spans": [{"start": s, "end": e, "type": "passport"}], "decoys": []})
    for i in range(30):
        n += 1
        v = passport_valid()
        text = rng.choice(["Ref {v} on the invoice", "order {v} shipped", "case {v} closed"]).format(v=v)
        rows.append({"id": f"p{n:04d}", "text": text, "spans": [], "decoys": [{"value": v, "type": "passport"}]})
    # Health conditions about a person, and the same words as policy topics.
    for i in range(40):
        n += 1
        c = condition()
        who = rng.choice(NAMES + ["she", "he"])
        tmpl = rng.choice(["{who} has been diagnosed with {c}, keep it quiet", "Sorry, {who} is off - {c} again",
                           "{who} told me about the {c}, she's ok", "{who} is pregnant"]) if who not in ("she", "he") else \
            rng.choice(["{who} has {c}, off for a month", "{who} says the {c} is under control"])
        if "pregnant" in tmpl:
            c = "pregnant"
        text = tmpl.format(who=who, c=c)
        word = c.split()[-1]
        s, e = span(text, word)
        rows.append({"id": f"p{n:04d}", "text": text, "spans": [{"start": s, "end": e, "type": "health"}], "decoys": []})
    for i in range(30):
        n += 1
        c = rng.choice(["cancer", "dementia", "diabetes", "stroke", "covid"])
        text = rng.choice(["The {c} strategy goes to Cabinet on Thursday", "{c} waiting times are up again",
                           "we need the {c} funding figures", "NHS {c} services are under pressure"]).format(c=c)
        rows.append({"id": f"p{n:04d}", "text": text, "spans": [], "decoys": [{"value": c, "type": "health"}]})
    # Everything at once, and nothing at all.
    for i in range(20):
        n += 1
        a, b, c = ni_valid(), phone_valid(), email_valid()
        text = f"Contact: {b} / {c}. NI {a}."
        spans = sorted([dict(zip(("start", "end"), span(text, x)), type=t) for x, t in ((b, "phone"), (c, "email"), (a, "ni_number"))], key=lambda d: d["start"])
        rows.append({"id": f"p{n:04d}", "text": text, "spans": spans, "decoys": []})
    for t in ["Approved. Go.", "Meeting at 10 in room 4.12", "£40m for 3 years", "Call me back", "2024-03-01 12:00"]:
        n += 1
        rows.append({"id": f"p{n:04d}", "text": t, "spans": [], "decoys": []})
    with open(os.path.join(HERE, "personal.jsonl"), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(rows)} messages, {sum(len(r['spans']) for r in rows)} spans, {sum(len(r['decoys']) for r in rows)} decoys")


if __name__ == "__main__":
    main()
