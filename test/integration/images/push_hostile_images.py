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
import os, sys, tarfile

from oci_push import push_image

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


def harmless_first(entries):
    return [entry("harmless.txt", data=b"ok\n")] + entries


def push_evil(repo, *layers_entries):
    return push_image(registry, repo, *(harmless_first(e) for e in layers_entries))


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
    ref, _ = push_evil("berth-test/evil-" + name.lower().replace("_", "-"), entries)
    env["IMAGE_EVIL_" + name] = ref
    if target:
        env["ESCAPE_" + name] = target

ref, digest = push_evil("berth-test/tampered", [entry("small.bin", data=os.urandom(1024))],
                         [entry("random.bin", data=os.urandom(1024 * 1024))])
env["IMAGE_TAMPERED"] = ref
env["TAMPERED_LAYER"] = digest

with open(env_path + ".tmp", "w") as f:
    f.writelines(f"{k}={v}\n" for k, v in env.items())
os.rename(env_path + ".tmp", env_path)
