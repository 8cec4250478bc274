# A pass-through proxy in front of a test registry, used as a registry mirror:
# counts GET requests per path (so tests can assert a blob was fetched once)
# and can be told to stall blob bodies (for the pull progress timeout) or to
# send them slowly (so a test can act while a pull is in flight).
#   GET  /__counts        {"/v2/...": n, ...} (GET requests answered 200)
#   POST /__stall         blob responses from now on send a few bytes, then hang
#   POST /__rate?bps=N    blob responses from now on send at most N bytes/s per
#                         connection (0: no limit; applies to bodies already flowing)
# Usage: counting_proxy.py <upstream host:port> <port-file>   (python3 stdlib only)
import http.client, json, sys, threading, time
from urllib.parse import parse_qs, urlparse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

upstream, port_file = sys.argv[1], sys.argv[2]
counts = {}
lock = threading.Lock()
stall = threading.Event()
never = threading.Event()  # stalled handlers wait on this forever
rate = [0]  # bytes/s per blob body, 0 = unlimited (a list: rebound by POST /__rate)
PASS_HEADERS = ("content-type", "content-length", "docker-content-digest",
                "www-authenticate", "location", "docker-distribution-api-version")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def local(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def forward(self, method):
        conn = http.client.HTTPConnection(upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("accept", "authorization")}
        conn.request(method, self.path, headers=headers)
        resp = conn.getresponse()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() in PASS_HEADERS:
                self.send_header(k, v)
        self.end_headers()
        if method == "GET" and resp.status == 200:
            with lock:
                counts[self.path] = counts.get(self.path, 0) + 1
        if method == "HEAD":
            conn.close()
            return
        first = True
        started, sent = time.monotonic(), 0
        while True:
            chunk = resp.read(64 * 1024)
            if not chunk:
                break
            if first and stall.is_set() and "/blobs/" in self.path:
                self.wfile.write(chunk[:16])
                self.wfile.flush()
                never.wait()
            first = False
            self.wfile.write(chunk)
            sent += len(chunk)
            limit = rate[0]
            if limit > 0 and "/blobs/" in self.path:
                ahead = sent / limit - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)  # pacing the body: this is the throttle itself
        conn.close()

    def do_GET(self):
        if self.path == "/__counts":
            with lock:
                return self.local(200, json.dumps(counts).encode())
        self.forward("GET")

    def do_HEAD(self):
        self.forward("HEAD")

    def do_POST(self):
        if self.path == "/__stall":
            stall.set()
            return self.local(200, b"{}")
        url = urlparse(self.path)
        if url.path == "/__rate":
            rate[0] = int(parse_qs(url.query).get("bps", ["0"])[0])
            return self.local(200, b"{}")
        self.local(404, b"{}")

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
