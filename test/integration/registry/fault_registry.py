# A misbehaving OCI registry for fault-injection tests (python3 stdlib only).
#   /v2/tampered/...    a layer whose bytes do not match the manifest's digest (same size)
#   /v2/flaky/...       manifest: one 503 first; layer: two 503s first, then the real bytes
#   /v2/broken/...      layer: the first answer closes the connection halfway through
#   /v2/redirect/...    layer: a 307 redirect to /storage/<digest>
#   /v2/schema1/...     a Docker schema1 manifest
#   /counts             request counts per path (JSON)
# Hostile ones (issue 15; every stall or endless answer gives up after
# GIVE_UP seconds, so a client that does not cancel is slow, not stuck forever):
#   /v2/stall/...       manifest: the connection is accepted and never answered
#   /v2/slowloris/...   manifest: the status line and headers, one byte at a time
#   /v2/tokenstall/...  manifest: 401 with a Bearer realm whose token request stalls
#   /v2/loop/...        layer: a 307 redirect to itself, forever
#   /v2/chunked/...     manifest and layer: an endless chunked body
#   /v2/long/...        layer: the right bytes followed by more than the descriptor says
#   /v2/bigmanifest/... a manifest over the client's 4 MiB cap
#   /v2/bigindex/...    an index over the cap
#   /v2/bigconfig/...   a manifest whose config descriptor is over the 8 MiB cap
#   /v2/endlessconfig/... a config blob that never ends (its descriptor is small)
# Usage: fault_registry.py <port-file> [stall-all]; binds 127.0.0.1:0 and writes
# the port there. With stall-all every request (the /v2/ ping too) stalls.
import hashlib, json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONFIG = json.dumps({"architecture": "amd64", "os": "linux",
                     "config": {"Cmd": ["/bin/sh"]},
                     "rootfs": {"type": "layers", "diff_ids": []}}).encode()
LAYER = b"berth fault registry layer bytes\n" * 4096
EVIL = b"X" * len(LAYER)

def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()

MANIFEST = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": digest(CONFIG), "size": len(CONFIG)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": digest(LAYER), "size": len(LAYER)}]}).encode()
SCHEMA1 = json.dumps({"schemaVersion": 1, "name": "schema1", "tag": "latest",
                      "fsLayers": [], "history": []}).encode()

GIVE_UP = 30
STALL_ALL = len(sys.argv) > 2 and sys.argv[2] == "stall-all"
BIG = b" " * (5 << 20)
BIG_INDEX_MT = "application/vnd.oci.image.index.v1+json"
BIGCONFIG_MANIFEST = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": digest(CONFIG), "size": 9 << 20},
    "layers": []}).encode()

counts = {}
lock = threading.Lock()

def bump(path):
    with lock:
        counts[path] = counts.get(path, 0) + 1
        return counts[path]

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, code, body=b"", ctype="application/json", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def stall(self):
        time.sleep(GIVE_UP)
        self.close_connection = True

    def trickle(self, data):
        deadline = time.time() + GIVE_UP
        try:
            for i in range(len(data)):
                if time.time() > deadline:
                    break
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(0.5)
        except OSError:
            pass
        self.close_connection = True

    def endless_chunks(self, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        deadline = time.time() + GIVE_UP
        chunk = b"x" * 65536
        try:
            while time.time() < deadline:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass
        self.close_connection = True

    def do_GET(self):
        path = self.path.split("?")[0]
        n = bump(path)
        if STALL_ALL or path == "/stall-token":
            return self.stall()
        if path == "/counts":
            return self.send(200, json.dumps(counts).encode())
        if path == "/v2/":
            return self.send(200, b"{}")
        if path.startswith("/storage/"):
            return self.send(200, LAYER, "application/octet-stream")
        parts = path.split("/")  # ['', 'v2', repo, kind, ref]
        if len(parts) != 5:
            return self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN"}]}')
        repo, kind, ref = parts[2], parts[3], parts[4]
        if kind == "manifests":
            if repo == "stall":
                return self.stall()
            if repo == "slowloris":
                return self.trickle(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                    b"Content-Length: 2\r\n\r\n{}")
            if repo == "tokenstall":
                realm = "http://127.0.0.1:%d/stall-token" % self.server.server_address[1]
                return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', extra={
                    "WWW-Authenticate": 'Bearer realm="%s",service="fault"' % realm})
            if repo == "chunked":
                return self.endless_chunks("application/vnd.oci.image.manifest.v1+json")
            if repo == "bigmanifest":
                return self.send(200, BIG, "application/vnd.oci.image.manifest.v1+json")
            if repo == "bigindex":
                return self.send(200, BIG, BIG_INDEX_MT)
            if repo == "bigconfig":
                return self.send(200, BIGCONFIG_MANIFEST,
                                 "application/vnd.oci.image.manifest.v1+json")
            if repo == "schema1":
                return self.send(200, SCHEMA1,
                                 "application/vnd.docker.distribution.manifest.v1+prettyjws")
            if repo == "flaky" and n == 1:
                return self.send(503, b'{"errors":[{"code":"UNAVAILABLE"}]}')
            return self.send(200, MANIFEST, "application/vnd.oci.image.manifest.v1+json")
        if kind != "blobs":
            return self.send(404, b"")
        if ref == digest(CONFIG):
            if repo == "endlessconfig":
                return self.endless_chunks("application/octet-stream")
            return self.send(200, CONFIG, "application/octet-stream")
        if ref != digest(LAYER):
            return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}')
        if repo == "tampered":
            return self.send(200, EVIL, "application/octet-stream")
        if repo == "flaky" and n <= 2:
            return self.send(503, b'{"errors":[{"code":"UNAVAILABLE"}]}')
        if repo == "loop":
            return self.send(307, b"", extra={"Location": path})
        if repo == "chunked":
            return self.endless_chunks("application/octet-stream")
        if repo == "long":
            return self.send(200, LAYER + b"and more", "application/octet-stream")
        if repo == "redirect":
            return self.send(307, b"", extra={"Location": "/storage/" + ref})
        if repo == "broken" and n == 1:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(LAYER)))
            self.end_headers()
            self.wfile.write(LAYER[: len(LAYER) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        return self.send(200, LAYER, "application/octet-stream")

    def log_message(self, *args):
        pass

class Server(ThreadingHTTPServer):
    # The faults make clients hang up mid-response (that is the point):
    # a reset or broken pipe is expected, not a traceback for the test log.
    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

server = Server(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
