"""The manifest's file hashes: the SHA-256 of every file's bytes, however large, hashed two at a time."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from cdisc.manifest import sha256_file, sha256_files


def test_files_of_every_size_hash_to_the_sha256_of_their_bytes_in_the_order_given(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    sizes = {"empty": 0, "one.txt": 1, "buffer": 1 << 18, "over-buffer": (1 << 18) + 1, "large.xpt": 5_000_003, "small.csv": 80}
    contents = {name: rng.integers(0, 256, size, dtype=np.uint8).tobytes() for name, size in sizes.items()}
    for name, data in contents.items():
        (tmp_path / name).write_bytes(data)
    paths = [tmp_path / name for name in ["small.csv", "large.xpt", "empty", "over-buffer", "one.txt", "buffer"]]
    digests = sha256_files(paths)
    assert list(digests) == paths
    assert digests == {path: hashlib.sha256(contents[path.name]).hexdigest() for path in paths}
    assert [sha256_file(path) for path in paths] == list(digests.values())
    assert digests[tmp_path / "empty"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_no_files_no_hashes() -> None:
    assert sha256_files([]) == {}
