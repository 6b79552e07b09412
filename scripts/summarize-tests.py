#!/usr/bin/env python3
"""Prints per-suite counts from JUnit XML files and a final
'tests: N passed, N failed' line; exits 1 if anything failed or nothing ran."""
import sys
import xml.etree.ElementTree as ET

total_pass = total_fail = total_skip = 0
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"error: cannot read test results {path}: {e}")
        total_fail += 1
        continue
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    p = f = s = 0
    for suite in suites:
        for case in suite.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                f += 1
            elif case.find("skipped") is not None:
                s += 1
            else:
                p += 1
    print(f"{path}: {p} passed, {f} failed, {s} skipped")
    total_pass += p
    total_fail += f
    total_skip += s

print(f"tests: {total_pass} passed, {total_fail} failed, {total_skip} skipped")
sys.exit(1 if total_fail or total_pass == 0 else 0)
