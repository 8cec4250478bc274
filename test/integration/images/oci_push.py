# Builds single-manifest OCI images from tar members in memory and pushes them
# to a registry over the distribution API (python3 stdlib only). Shared by the
# scripts that push hostile images for the tests.
import gzip, hashlib, io, json, tarfile, urllib.request


def gzip_layer(members):
    """(gzipped tar of `members`, its diff ID); members are (TarInfo, bytes)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data else None)
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), "sha256:" + hashlib.sha256(tar_bytes).hexdigest()


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return resp.headers


def push_blob(registry, repo, blob):
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    loc = request("POST", f"http://{registry}/v2/{repo}/blobs/uploads/")["Location"]
    if loc.startswith("/"):
        loc = f"http://{registry}{loc}"
    request("PUT", loc + ("&" if "?" in loc else "?") + "digest=" + digest, blob,
            {"Content-Type": "application/octet-stream"})
    return {"digest": digest, "size": len(blob)}


def push_image(registry, repo, *layers_members):
    """Pushes <registry>/<repo>:latest with one layer per member list; returns
    the reference and the last layer's digest."""
    diff_ids, layer_descs = [], []
    for members in layers_members:
        blob, diff_id = gzip_layer(members)
        diff_ids.append(diff_id)
        layer_descs.append(dict(mediaType="application/vnd.oci.image.layer.v1.tar+gzip",
                                **push_blob(registry, repo, blob)))
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Cmd": ["/bin/sh"]},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": dict(mediaType="application/vnd.oci.image.config.v1+json",
                               **push_blob(registry, repo, config)),
                "layers": layer_descs}
    request("PUT", f"http://{registry}/v2/{repo}/manifests/latest", json.dumps(manifest).encode(),
            {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    return f"{registry}/{repo}:latest", layer_descs[-1]["digest"]
