#!/usr/bin/env python3
"""Verdict on a critest junit report against the known-failing list.

  check_junit.py JUNIT_XML KNOWN_FAILING_TXT

Prints passed/failed counts and every failed spec; exits 1 when a spec fails that the
list does not name. Listed specs that pass are reported so that the list shrinks.
The list holds one spec name per line, exactly as the report spells it (without
ginkgo's "[It] " prefix); blank lines and lines starting with '#' are ignored.
"""
import sys
import xml.etree.ElementTree as ET


def spec_name(case):
    name = case.get("name", "")
    return name[len("[It] "):] if name.startswith("[It] ") else name


def read_known(path):
    with open(path, encoding="utf-8") as f:
        return {l.strip() for l in f if l.strip() and not l.lstrip().startswith("#")}


def main(junit, known_path):
    known = read_known(known_path)
    passed, failed = [], []
    for case in ET.parse(junit).getroot().iter("testcase"):
        status = case.get("status", "")
        if status == "skipped" or status == "pending" or case.find("skipped") is not None:
            continue
        bad = case.find("failure") is not None or case.find("error") is not None
        bad = bad or status not in ("", "passed")
        # Suite nodes ([BeforeSuite], [AfterSuite], ...) are no specs, but their failure
        # is one: it stays in the failed list, and no list can excuse it.
        if not case.get("name", "").startswith("[It] ") and not bad:
            continue
        (failed if bad else passed).append(spec_name(case))

    print(f"passed {len(passed)}")
    print(f"failed {len(failed)}")
    for name in failed:
        print(f"  FAIL {'(known) ' if name in known else ''}{name}")

    unexpected = [n for n in failed if n not in known]
    now_passing = [n for n in passed if n in known]
    missing = sorted(known - set(passed) - set(failed))
    for name in now_passing:
        print(f"  now passes, remove it from {known_path}: {name}")
    for name in missing:
        print(f"  listed as known-failing but not in the report (renamed?): {name}")
    for name in unexpected:
        print(f"  unexpected failure: {name}")

    print(f"critest: {len(passed)} passed, {len(failed)} failed "
          f"({len(failed) - len(unexpected)} known)")
    return 1 if unexpected else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
