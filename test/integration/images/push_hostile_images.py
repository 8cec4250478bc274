# Builds hostile single-layer images and pushes them to a test registry, for
# the tests that check berthd refuses them (python3 stdlib only):
#   berth-test/evil-dotdot        an entry "../../…/<escape>/dotdot"
#   berth-test/evil-absolute      an entry "/<escape>/absolute"
#   berth-test/evil-symlink       "root" -> "/", then "root/<escape>/symlink"
#   berth-test/evil-symlink-rel   "up" -> "../../…", then "up/<escape>/symlink-rel"
#   berth-test/evil-hardlink      a hard link "passwd" to "/etc/passwd"
#   berth-test/tampered           a small layer, then a layer of random bytes (both
#                                 unique per run), for tests that corrupt the second
#                                 blob in the registry's storage
# Every layer starts with a harmless file, so the unpacker has written something
# before it meets the bad entry. <escape> is a directory that exists (the test
# creates it) so that a naive unpacker would succeed in writing there.
#
# Usage: push_hostile_images.py <registry host:port> <escape-dir> <out env file>
# Writes IMAGE_<NAME>=<ref>, ESCAPE_<NAME>=<path that must never appear>, and
# TAMPERED_LAYER=<digest> to the env file.
import gzip, hashlib, io, json, os, sys, tarfile, urllib.request

registry, escape, env_path = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3]
assert escape.startswith("/"), "escape dir must be absolute"
UP = "../" * 32  # more than enough to climb from any layer root to /


def entry(name, type_=tarfile.REGTYPE, data=b"", linkname=""):
    info = tarfile.TarInfo(name)  # written as given: no stripping of "/" or ".."
    info.type = type_
    info.linkname = linkname
    info.size = len(data)
    info.mode = 0o777 if type_ == tarfile.SYMTYPE else 0o644
    info.mtime = 1700000000
    return info, data


def layer(entries):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in [entry("harmless.txt", data=b"ok\n")] + entries:
            tar.addfile(info, io.BytesIO(data) if data else None)
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), "sha256:" + hashlib.sha256(tar_bytes).hexdigest()


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.headers


def push_blob(repo, blob):
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    loc = request("POST", f"http://{registry}/v2/{repo}/blobs/uploads/")["Location"]
    if loc.startswith("/"):
        loc = f"http://{registry}{loc}"
    loc += ("&" if "?" in loc else "?") + "digest=" + digest
    request("PUT", loc, blob, {"Content-Type": "application/octet-stream"})
    return {"digest": digest, "size": len(blob)}


def push_image(repo, *layers_entries):
    diff_ids, layer_descs = [], []
    for entries in layers_entries:
        blob, diff_id = layer(entries)
        diff_ids.append(diff_id)
        layer_descs.append(dict(mediaType="application/vnd.oci.image.layer.v1.tar+gzip",
                                **push_blob(repo, blob)))
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Cmd": ["/bin/sh"]},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    config_desc = push_blob(repo, config)
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **config_desc),
                "layers": layer_descs}
    request("PUT", f"http://{registry}/v2/{repo}/manifests/latest", json.dumps(manifest).encode(),
            {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    return f"{registry}/{repo}:latest", layer_descs[-1]["digest"]


rel = escape.lstrip("/")
env = {}
for name, entries, target in [
    ("DOTDOT", [entry(f"{UP}{rel}/dotdot", data=b"escaped\n")], f"{escape}/dotdot"),
    ("ABSOLUTE", [entry(f"{escape}/absolute", data=b"escaped\n")], f"{escape}/absolute"),
    ("SYMLINK", [entry("root", tarfile.SYMTYPE, linkname="/"),
                 entry(f"root/{rel}/symlink", data=b"escaped\n")], f"{escape}/symlink"),
    ("SYMLINK_REL", [entry("up", tarfile.SYMTYPE, linkname=UP.rstrip("/")),
                     entry(f"up/{rel}/symlink-rel", data=b"escaped\n")], f"{escape}/symlink-rel"),
    ("HARDLINK", [entry("passwd", tarfile.LNKTYPE, linkname="/etc/passwd")], None),
]:
    ref, _ = push_image("berth-test/evil-" + name.lower().replace("_", "-"), entries)
    env["IMAGE_EVIL_" + name] = ref
    if target:
        env["ESCAPE_" + name] = target

ref, digest = push_image("berth-test/tampered", [entry("small.bin", data=os.urandom(1024))],
                         [entry("random.bin", data=os.urandom(1024 * 1024))])
env["IMAGE_TAMPERED"] = ref
env["TAMPERED_LAYER"] = digest

with open(env_path + ".tmp", "w") as f:
    f.writelines(f"{k}={v}\n" for k, v in env.items())
os.rename(env_path + ".tmp", env_path)
