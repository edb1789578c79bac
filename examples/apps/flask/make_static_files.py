"""Writes the static files the benchmark serves: 10k.bin (10,240 bytes) and 1m.bin (1,048,576 bytes).

Usage: python3 make_static_files.py [DIR]    (default: $STATIC_ROOT, else ./staticfiles)

The bytes come from SHA-256 in counter mode, so every run on every machine writes the same
files (no binaries in git), and the content does not compress, so gzip cannot flatter any
server in a comparison. Files that already have the right content are left untouched.
"""

import hashlib
import os
import sys

FILES = {"10k.bin": 10 * 1024, "1m.bin": 1024 * 1024}


def deterministic_bytes(name: str, size: int) -> bytes:
    blocks = []
    for counter in range(-(-size // 32)):
        blocks.append(hashlib.sha256(f"{name}:{counter}".encode()).digest())
    return b"".join(blocks)[:size]


def write_if_changed(path: str, content: bytes) -> None:
    try:
        with open(path, "rb") as existing:
            if existing.read() == content:
                return
    except FileNotFoundError:
        pass
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as out:
        out.write(content)
    os.replace(tmp, path)  # readers never see a half-written file


def main(argv: list) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    target = argv[1] if len(argv) > 1 else os.environ.get("STATIC_ROOT") or os.path.join(here, "staticfiles")
    os.makedirs(target, exist_ok=True)
    for name, size in FILES.items():
        write_if_changed(os.path.join(target, name), deterministic_bytes(name, size))
        print(os.path.join(target, name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
