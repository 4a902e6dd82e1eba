#!/usr/bin/env python3
"""An independent check of tests/data/cases.jsonl and of the shipped holiday list.

It shares no code and no data with the Rust crate: the bank holidays below are typed in by hand
from gov.uk/bank-holidays (2019-2028), and the count is a plain walk over the calendar. It checks

1. every case's expected due date against its own count, and
2. its hand-typed holidays against data/uk-bank-holidays.txt for 2019-2028, division by division.

Run: python3 crates/deadlines/tests/check_cases.py [cases.jsonl] [uk-bank-holidays.txt]
Exit status 0 when everything agrees; the Rust test `python_cross_check` runs it.
"""
import datetime as dt
import json
import sys
from pathlib import Path

# month-day of each bank holiday, by year and division (ew: England and Wales, sc: Scotland,
# ni: Northern Ireland). Christmas Day and Good Friday included, as gov.uk lists them.
HOLIDAYS = {
    2019: {"ew": "01-01 04-19 04-22 05-06 05-27 08-26 12-25 12-26",
           "sc": "01-01 01-02 04-19 05-06 05-27 08-05 12-02 12-25 12-26",
           "ni": "01-01 03-18 04-19 04-22 05-06 05-27 07-12 08-26 12-25 12-26"},
    2020: {"ew": "01-01 04-10 04-13 05-08 05-25 08-31 12-25 12-28",
           "sc": "01-01 01-02 04-10 05-08 05-25 08-03 11-30 12-25 12-28",
           "ni": "01-01 03-17 04-10 04-13 05-08 05-25 07-13 08-31 12-25 12-28"},
    2021: {"ew": "01-01 04-02 04-05 05-03 05-31 08-30 12-27 12-28",
           "sc": "01-01 01-04 04-02 05-03 05-31 08-02 11-30 12-27 12-28",
           "ni": "01-01 03-17 04-02 04-05 05-03 05-31 07-12 08-30 12-27 12-28"},
    2022: {"ew": "01-03 04-15 04-18 05-02 06-02 06-03 08-29 09-19 12-26 12-27",
           "sc": "01-03 01-04 04-15 05-02 06-02 06-03 08-01 09-19 11-30 12-26 12-27",
           "ni": "01-03 03-17 04-15 04-18 05-02 06-02 06-03 07-12 08-29 09-19 12-26 12-27"},
    2023: {"ew": "01-02 04-07 04-10 05-01 05-08 05-29 08-28 12-25 12-26",
           "sc": "01-02 01-03 04-07 05-01 05-08 05-29 08-07 11-30 12-25 12-26",
           "ni": "01-02 03-17 04-07 04-10 05-01 05-08 05-29 07-12 08-28 12-25 12-26"},
    2024: {"ew": "01-01 03-29 04-01 05-06 05-27 08-26 12-25 12-26",
           "sc": "01-01 01-02 03-29 05-06 05-27 08-05 12-02 12-25 12-26",
           "ni": "01-01 03-18 03-29 04-01 05-06 05-27 07-12 08-26 12-25 12-26"},
    2025: {"ew": "01-01 04-18 04-21 05-05 05-26 08-25 12-25 12-26",
           "sc": "01-01 01-02 04-18 05-05 05-26 08-04 12-01 12-25 12-26",
           "ni": "01-01 03-17 04-18 04-21 05-05 05-26 07-14 08-25 12-25 12-26"},
    2026: {"ew": "01-01 04-03 04-06 05-04 05-25 08-31 12-25 12-28",
           "sc": "01-01 01-02 04-03 05-04 05-25 06-15 08-03 11-30 12-25 12-28",
           "ni": "01-01 03-17 04-03 04-06 05-04 05-25 07-13 08-31 12-25 12-28"},
    2027: {"ew": "01-01 03-26 03-29 05-03 05-31 08-30 12-27 12-28",
           "sc": "01-01 01-04 03-26 05-03 05-31 08-02 11-30 12-27 12-28",
           "ni": "01-01 03-17 03-26 03-29 05-03 05-31 07-12 08-30 12-27 12-28"},
    2028: {"ew": "01-03 04-14 04-17 05-01 05-29 08-28 12-25 12-26",
           "sc": "01-03 01-04 04-14 05-01 05-29 08-07 11-30 12-25 12-26",
           "ni": "01-03 03-17 04-14 04-17 05-01 05-29 07-12 08-28 12-25 12-26"},
}
DIVISION_NAMES = {"ew": "england-and-wales", "sc": "scotland", "ni": "northern-ireland"}


def holidays(divisions):
    out = set()
    for year, by_div in HOLIDAYS.items():
        for div in divisions:
            for md in by_div[div].split():
                out.add(dt.date(year, int(md[:2]), int(md[3:])))
    return out


# FOIA s.10(6) and EIR reg 2(1): a bank holiday in any part of the UK; FOISA s.73: in Scotland.
# Christmas Day and Good Friday are in every division's list above, so they need no rule here.
NOT_WORKING = {
    "foia": holidays(["ew", "sc", "ni"]),
    "eir": holidays(["ew", "sc", "ni"]),
    "foisa": holidays(["sc"]),
}
FIRST, LAST = dt.date(min(HOLIDAYS), 1, 1), dt.date(max(HOLIDAYS), 12, 31)


def twentieth_working_day_after(regime, day0):
    d, n = day0, 0
    while n < 20:
        d += dt.timedelta(days=1)
        assert FIRST <= d <= LAST, f"{d} is outside the hand-typed holidays"
        if d.weekday() < 5 and d not in NOT_WORKING[regime]:
            n += 1
    return d


def expected_due(case):
    day0 = dt.date.fromisoformat(case["received"])
    for sent, answered in case.get("stops") or []:
        day0 = dt.date.fromisoformat(answered)
    return twentieth_working_day_after(case["regime"], day0)


def check_cases(path):
    bad, n = 0, 0
    for line_no, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        case = json.loads(line)
        n += 1
        got = expected_due(case).isoformat()
        if got != case["due"]:
            bad += 1
            print(f"{path}:{line_no}: id {case['id']}: expected {case['due']}, counted {got} ({case['why']})")
    print(f"{n} cases, {bad} disagree")
    return bad == 0 and n >= 100


def check_holiday_file(path):
    listed = {div: set() for div in DIVISION_NAMES.values()}
    for line in path.read_text().splitlines():
        parts = line.split(maxsplit=2)
        if len(parts) >= 2 and parts[0][:1].isdigit():
            d = dt.date.fromisoformat(parts[0])
            if d.year in HOLIDAYS:
                listed[parts[1]].add(d)
    ok = True
    for div, name in DIVISION_NAMES.items():
        mine = holidays([div])
        if mine != listed[name]:
            ok = False
            print(f"{name}: only in the hand-typed list {sorted(mine - listed[name])}, "
                  f"only in {path.name} {sorted(listed[name] - mine)}")
    print(f"holiday file {'agrees' if ok else 'DISAGREES'} for {min(HOLIDAYS)}-{max(HOLIDAYS)}")
    return ok


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    cases = Path(sys.argv[1]) if len(sys.argv) > 1 else here / "data" / "cases.jsonl"
    data = Path(sys.argv[2]) if len(sys.argv) > 2 else here.parent / "data" / "uk-bank-holidays.txt"
    ok_cases = check_cases(cases)
    ok_data = check_holiday_file(data)
    sys.exit(0 if ok_cases and ok_data else 1)
