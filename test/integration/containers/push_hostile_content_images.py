# Builds images whose content, not their layout, is hostile, and pushes them to
# a test registry (python3 stdlib only):
#   berth-test/passwd-fifo      /etc/passwd is a FIFO
#   berth-test/passwd-device    /etc/passwd is a character device (1:3, the null device)
#   berth-test/passwd-shadow    /etc/passwd is a symlink to /etc/shadow (none in the image)
#   berth-test/passwd-latin1    /etc/passwd gives user "j" a Latin-1 (not UTF-8) home
#   berth-test/zero-bomb        one layer: a 96 MiB file of zeros (~100 KiB gzipped)
# Usage: push_hostile_content_images.py <registry host:port> <out env file>
# Writes IMAGE_<NAME>=<ref> (NAME upper-cased, '-' as '_') and BOMB_LAYER=<digest>.
import os, sys, tarfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "images"))
from oci_push import push_image

registry, env_path = sys.argv[1], sys.argv[2]


def member(name, type_, data=b"", linkname="", devmajor=0, devminor=0):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = type_, linkname, len(data)
    info.devmajor, info.devminor = devmajor, devminor
    info.mode = 0o755 if type_ == tarfile.DIRTYPE else 0o644
    info.mtime = 1700000000
    return info, data


def push(repo, members):
    return push_image(registry, repo, members)


etc = member("etc", tarfile.DIRTYPE)
group = member("etc/group", tarfile.REGTYPE, b"root:x:0:\n")
env = {}
for name, passwd in [
        ("passwd-fifo", member("etc/passwd", tarfile.FIFOTYPE)),
        ("passwd-device", member("etc/passwd", tarfile.CHRTYPE, devmajor=1, devminor=3)),
        ("passwd-shadow", member("etc/passwd", tarfile.SYMTYPE, linkname="/etc/shadow")),
        ("passwd-latin1", member("etc/passwd", tarfile.REGTYPE,
                                 b"root:x:0:0:root:/root:/bin/sh\nj:x:1000:1000::/home/j\xfcrgen:/bin/sh\n")),
]:
    env["IMAGE_" + name.upper().replace("-", "_")], _ = push("berth-test/" + name, [etc, passwd, group])
env["IMAGE_ZERO_BOMB"], env["BOMB_LAYER"] = push(
    "berth-test/zero-bomb", [member("zeros", tarfile.REGTYPE, bytes(96 << 20))])

with open(env_path, "w") as f:
    for k, v in env.items():
        f.write(f"{k}={v}\n")
