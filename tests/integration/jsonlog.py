#!/usr/bin/env python3
"""Reads ferryd's JSON access log for tests/integration/accesslog_test.c.

usage: jsonlog.py FILE TARGET KEY...

Every line of FILE must parse as one JSON object (python's json module,
strict: no NaN, no bare control bytes).  Of the lines whose "target" is
TARGET, the last is printed, one KEY a line:
  KEY      "KEY=" and the value as JSON, or "KEY absent"
  KEY#     "KEY#=" and "positive" (an integer > 0), "zero", "null", or
           the value's type name: for values a test cannot know exactly.
  KEY+     "KEY+=uint" for an integer >= 0, else as KEY#.
Exits 3 when no line has TARGET.
"""
import json
import sys


def strict_constant(name):
    raise ValueError("not JSON: " + name)


def main():
    path, target, keys = sys.argv[1], sys.argv[2], sys.argv[3:]
    found = None
    with open(path, "rb") as f:
        for raw in f:
            obj = json.loads(raw.decode("utf-8"),
                             parse_constant=strict_constant)
            if not isinstance(obj, dict):
                raise ValueError("not an object: %r" % raw)
            if obj.get("target") == target:
                found = obj
    if found is None:
        sys.exit(3)
    for k in keys:
        shape = k.endswith("#") or k.endswith("+")
        name = k[:-1] if shape else k
        if name not in found:
            print(k + " absent")
        elif not shape:
            print(k + "=" + json.dumps(found[name], ensure_ascii=True))
        else:
            v = found[name]
            if k.endswith("+") and type(v) is int and v >= 0:
                s = "uint"
            elif v is None:
                s = "null"
            elif type(v) is int and v > 0:
                s = "positive"
            elif type(v) is int and v == 0:
                s = "zero"
            else:
                s = type(v).__name__
            print(k + "=" + s)


main()
