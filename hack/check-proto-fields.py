#!/usr/bin/env python3
"""Compare the wire-relevant shape of two .proto files.

Usage:
    hack/check-proto-fields.py OURS.proto UPSTREAM.proto
    hack/check-proto-fields.py --dump FILE.proto

Both files are parsed (comments and whitespace ignored) into a canonical
model:
  * package and syntax
  * every message (fully qualified path, nested ones included)
  * every field: message path, name, number, resolved type and shape
    (singular / optional / repeated / map<K,V> / oneof NAME), plus the
    `packed` option when given explicitly
  * every enum and enum value (name, number)
  * every service and rpc (request, response, client/server stream flags)

Options that do not change the encoding (deprecated, debug_redact, json_name,
go/gogoproto options, ...) and comments are ignored. Field *names* are
compared too, since they matter for JSON and for generated code.

Exit status: 0 when both models are identical, 1 when they differ (a diff is
printed), 2 on usage or parse errors. Python 3 standard library only.
"""

import re
import sys

SCALARS = {
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32",
    "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64", "bool",
    "string", "bytes",
}


class ParseError(Exception):
    pass


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<lcomment>//[^\n]*)
  | (?P<bcomment>/\*.*?\*/)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<number>[-+]?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))
  | (?P<ident>\.?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<sym>[{}()\[\]<>;=,:.\-+])
    """,
    re.VERBOSE | re.DOTALL,
)


def tokenize(text):
    tokens = []
    pos = 0
    line = 1
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:
            raise ParseError("line %d: unexpected character %r" % (line, text[pos]))
        kind = m.lastgroup
        value = m.group(kind)
        if kind not in ("ws", "lcomment", "bcomment"):
            tokens.append((kind, value, line))
        line += value.count("\n")
        pos = m.end()
    return tokens


class Parser:
    def __init__(self, text):
        self.toks = tokenize(text)
        self.i = 0
        self.package = ""
        self.syntax = "proto2"
        # path (without package) -> "message" | "enum"
        self.types = {}
        # raw field records, types resolved after the whole file is read
        self.fields = []      # (msg_path, name, number, raw_type, shape, packed)
        self.enum_values = [] # (enum_path, name, number)
        self.rpcs = []        # (service, name, req_raw, resp_raw, cstream, sstream)
        self.services = []

    # -- token helpers -------------------------------------------------
    def peek(self, off=0):
        j = self.i + off
        return self.toks[j] if j < len(self.toks) else (None, None, -1)

    def at(self, value):
        return self.peek()[1] == value

    def next(self):
        tok = self.peek()
        if tok[0] is None:
            raise ParseError("unexpected end of file")
        self.i += 1
        return tok

    def expect(self, value):
        kind, val, line = self.next()
        if val != value:
            raise ParseError("line %d: expected %r, got %r" % (line, value, val))
        return val

    def ident(self):
        kind, val, line = self.next()
        if kind != "ident":
            raise ParseError("line %d: expected identifier, got %r" % (line, val))
        return val

    def skip_statement(self):
        """Skip to the end of the current statement (';' or a balanced block)."""
        depth = 0
        while True:
            _, val, _ = self.next()
            if val == "{":
                depth += 1
            elif val == "}":
                depth -= 1
                if depth == 0:
                    return
            elif val == ";" and depth == 0:
                return

    def number(self):
        kind, val, line = self.next()
        if kind != "number":
            raise ParseError("line %d: expected number, got %r" % (line, val))
        return int(val, 0)

    def options_list(self):
        """Parse `[a = b, (c).d = e]` and return {name: raw value}."""
        opts = {}
        if not self.at("["):
            return opts
        self.expect("[")
        while True:
            name_parts = []
            while not self.at("="):
                name_parts.append(self.next()[1])
            self.expect("=")
            depth = 0
            value_parts = []
            while True:
                val = self.peek()[1]
                if depth == 0 and val in (",", "]"):
                    break
                if val == "{":
                    depth += 1
                elif val == "}":
                    depth -= 1
                value_parts.append(self.next()[1])
            opts["".join(name_parts)] = " ".join(value_parts)
            if self.at(","):
                self.next()
                continue
            self.expect("]")
            return opts

    # -- grammar -------------------------------------------------------
    def parse(self):
        while self.peek()[0] is not None:
            val = self.peek()[1]
            if val == "syntax" or val == "edition":
                self.next()
                self.expect("=")
                self.syntax = self.next()[1].strip("\"'")
                self.expect(";")
            elif val == "package":
                self.next()
                self.package = self.ident().lstrip(".")
                self.expect(";")
            elif val in ("import", "option"):
                self.skip_statement()
            elif val == "message":
                self.message(())
            elif val == "enum":
                self.enum(())
            elif val == "service":
                self.service()
            elif val == "extend":
                self.skip_statement()
            elif val == ";":
                self.next()
            else:
                kind, v, line = self.peek()
                raise ParseError("line %d: unexpected top-level token %r" % (line, v))
        return self

    def message(self, scope):
        self.expect("message")
        name = self.ident()
        path = scope + (name,)
        self.types[".".join(path)] = "message"
        self.expect("{")
        self.message_body(path)

    def message_body(self, path, oneof=None):
        while not self.at("}"):
            val = self.peek()[1]
            if val == "message" and oneof is None:
                self.message(path)
            elif val == "enum" and oneof is None:
                self.enum(path)
            elif val in ("option", "reserved", "extensions"):
                self.skip_statement()
            elif val == "extend":
                self.skip_statement()
            elif val == "oneof" and oneof is None:
                self.next()
                oname = self.ident()
                self.expect("{")
                self.message_body(path, oneof=oname)
            elif val == ";":
                self.next()
            elif val == "map":
                self.map_field(path, oneof)
            else:
                self.field(path, oneof)
        self.expect("}")

    def field(self, path, oneof):
        label = "singular"
        if self.peek()[1] in ("repeated", "optional", "required"):
            label = self.next()[1]
            if label == "optional" and self.syntax == "proto2":
                label = "singular"
        ftype = self.ident()
        if ftype == "group":
            raise ParseError("groups are not supported")
        fname = self.ident()
        self.expect("=")
        num = self.number()
        opts = self.options_list()
        self.expect(";")
        shape = label
        if oneof is not None:
            shape = "oneof " + oneof
        packed = opts.get("packed")
        self.fields.append((".".join(path), fname, num, ftype, shape, packed, path))

    def map_field(self, path, oneof):
        self.expect("map")
        self.expect("<")
        ktype = self.ident()
        self.expect(",")
        vtype = self.ident()
        self.expect(">")
        fname = self.ident()
        self.expect("=")
        num = self.number()
        self.options_list()
        self.expect(";")
        self.fields.append((".".join(path), fname, num, (ktype, vtype), "map", None, path))

    def enum(self, scope):
        self.expect("enum")
        name = self.ident()
        path = scope + (name,)
        full = ".".join(path)
        self.types[full] = "enum"
        self.expect("{")
        while not self.at("}"):
            val = self.peek()[1]
            if val in ("option", "reserved"):
                self.skip_statement()
            elif val == ";":
                self.next()
            else:
                vname = self.ident()
                self.expect("=")
                num = self.number()
                self.options_list()
                self.expect(";")
                self.enum_values.append((full, vname, num))
        self.expect("}")

    def service(self):
        self.expect("service")
        sname = self.ident()
        self.services.append(sname)
        self.expect("{")
        while not self.at("}"):
            val = self.peek()[1]
            if val == "rpc":
                self.next()
                rname = self.ident()
                self.expect("(")
                cstream = False
                if self.at("stream") and self.peek(1)[0] == "ident":
                    self.next()
                    cstream = True
                req = self.ident()
                self.expect(")")
                self.expect("returns")
                self.expect("(")
                sstream = False
                if self.at("stream") and self.peek(1)[0] == "ident":
                    self.next()
                    sstream = True
                resp = self.ident()
                self.expect(")")
                if self.at("{"):
                    self.skip_statement()
                else:
                    self.expect(";")
                self.rpcs.append((sname, rname, req, resp, cstream, sstream))
            elif val == ";":
                self.next()
            else:
                self.skip_statement()
        self.expect("}")

    # -- type resolution -----------------------------------------------
    def resolve(self, raw, scope):
        """Resolve a type reference the way protoc does (innermost scope first)."""
        if raw in SCALARS:
            return raw
        pkg_prefix = self.package + "." if self.package else ""
        if raw.startswith("."):
            name = raw[1:]
            if pkg_prefix and name.startswith(pkg_prefix):
                name = name[len(pkg_prefix):]
            return name if name in self.types else "?" + raw
        first = raw.split(".")[0]
        rest = raw[len(first):]
        scope = list(scope)
        while True:
            cand = ".".join(scope + [first])
            if cand in self.types:
                full = cand + rest
                return full if full in self.types else "?" + raw
            if not scope:
                break
            scope.pop()
        # maybe qualified with this file's package
        if pkg_prefix and raw.startswith(pkg_prefix):
            name = raw[len(pkg_prefix):]
            if name in self.types:
                return name
        return "?" + raw  # external or unknown type: keep as written

    def model(self):
        """Return {key: value} describing everything that matters on the wire."""
        out = {}
        out[("package",)] = self.package
        out[("syntax",)] = self.syntax
        for path, kind in self.types.items():
            out[(kind, path)] = kind
        for msg, fname, num, ftype, shape, packed, path in self.fields:
            if shape == "map":
                k, v = ftype
                tdesc = "map<%s, %s>" % (self.resolve(k, path), self.resolve(v, path))
            else:
                tdesc = self.resolve(ftype, path)
            val = "%d %s %s" % (num, shape, tdesc)
            if packed is not None:
                val += " [packed=%s]" % packed
            key = ("field", msg, fname)
            if key in out:
                raise ParseError("duplicate field %s.%s" % (msg, fname))
            out[key] = val
        for enum, vname, num in self.enum_values:
            out[("enumvalue", enum, vname)] = str(num)
        for svc in self.services:
            out[("service", svc)] = "service"
        for svc, rname, req, resp, cs, ss in self.rpcs:
            val = "(%s%s) returns (%s%s)" % (
                "stream " if cs else "", self.resolve(req, ()),
                "stream " if ss else "", self.resolve(resp, ()))
            out[("rpc", svc, rname)] = val
        return out


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        return Parser(text).parse()
    except ParseError as e:
        sys.stderr.write("%s: parse error: %s\n" % (path, e))
        sys.exit(2)


def describe(key):
    kind = key[0]
    if kind == "field":
        return "field %s.%s" % (key[1], key[2])
    if kind == "enumvalue":
        return "enum value %s.%s" % (key[1], key[2])
    if kind == "rpc":
        return "rpc %s.%s" % (key[1], key[2])
    if len(key) == 1:
        return kind
    return "%s %s" % (kind, key[1])


def sort_key(key):
    order = {"syntax": 0, "package": 1, "service": 2, "rpc": 3, "message": 4,
             "field": 5, "enum": 6, "enumvalue": 7}
    return (order.get(key[0], 9),) + tuple(str(k) for k in key[1:])


def summary(p, m):
    per_svc = {}
    for svc, *_ in p.rpcs:
        per_svc[svc] = per_svc.get(svc, 0) + 1
    svc_txt = ", ".join("%s=%d" % (s, per_svc.get(s, 0)) for s in p.services)
    return ("%d messages, %d fields, %d enums, %d enum values, rpcs: %s" % (
        sum(1 for k in m if k[0] == "message"),
        sum(1 for k in m if k[0] == "field"),
        sum(1 for k in m if k[0] == "enum"),
        sum(1 for k in m if k[0] == "enumvalue"),
        svc_txt or "none"))


def dump(path):
    p = load(path)
    m = p.model()
    for key in sorted(m, key=sort_key):
        print("%s: %s" % (describe(key), m[key]))
    print("# " + summary(p, m))
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--dump":
        return dump(argv[2])
    if len(argv) != 3 or argv[1].startswith("-"):
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    a_path, b_path = argv[1], argv[2]
    pa, pb = load(a_path), load(b_path)
    a, b = pa.model(), pb.model()

    only_a = sorted((k for k in a if k not in b), key=sort_key)
    only_b = sorted((k for k in b if k not in a), key=sort_key)
    changed = sorted((k for k in a if k in b and a[k] != b[k]), key=sort_key)

    print("A: %s: %s" % (a_path, summary(pa, a)))
    print("B: %s: %s" % (b_path, summary(pb, b)))
    if not (only_a or only_b or changed):
        print("identical: %d wire-relevant entries match" % len(a))
        return 0
    for k in changed:
        print("~ %s\n    A: %s\n    B: %s" % (describe(k), a[k], b[k]))
    for k in only_a:
        print("- only in A: %s: %s" % (describe(k), a[k]))
    for k in only_b:
        print("+ only in B: %s: %s" % (describe(k), b[k]))
    print("DIFFERENT: %d changed, %d only in A, %d only in B" % (
        len(changed), len(only_a), len(only_b)))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
