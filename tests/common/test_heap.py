"""The allocator setting for bulk jobs: large freed buffers are reused, not faulted in again."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from common.heap import _glibc

pytestmark = pytest.mark.skipif(_glibc() is None, reason="the setting is glibc's (mallopt)")

# Run in a fresh interpreter: what the allocator holds depends on everything the process did
# before, and a test process has done a great deal.
PROBE = """
import json, resource
from common.heap import large_buffers_kept

MB = 1024 * 1024

def faults(sizes):
    # make and drop one buffer of each size, written whole as a page of iMIS text is
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for i, size in enumerate(sizes):
        buffer = bytes([i % 251]) * size
        del buffer
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

sizes = [n * MB for n in range(1, 17)]  # pages differ in size, and grow with their records
outside = faults(sizes)
with large_buffers_kept():
    inside = faults(sizes)
after = faults(sizes)
print(json.dumps({"outside": outside, "inside": inside, "after": after}))
"""


def test_freed_megabyte_buffers_are_reused_inside_the_block_and_not_after():
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=root, capture_output=True, text=True, check=True
    )
    faults = json.loads(out.stdout)
    every_page = sum(range(1, 17)) * 256  # 4 KB pages in all the buffers
    largest = 16 * 256
    # Outside: each buffer larger than the last is a fresh mapping, faulted in page by page.
    assert faults["outside"] >= every_page * 0.9
    # Inside: the heap keeps what was freed, so only the largest buffer's pages are new.
    assert faults["inside"] <= largest * 1.5
    # After: glibc's own way again (and the kept memory returned).
    assert faults["after"] >= every_page * 0.9
