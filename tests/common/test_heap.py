"""The allocator setting for bulk jobs: large freed buffers are reused, not faulted in again."""

import resource

import pytest

from common.heap import _glibc, large_buffers_kept

pytestmark = pytest.mark.skipif(_glibc() is None, reason="the setting is glibc's (mallopt)")

MB = 1024 * 1024
PAGE = 4096


def _faults_making_buffers(sizes: list[int]) -> int:
    """Page faults taken to make and drop one buffer of each size, written whole as a page of
    iMIS text is (sizes vary from page to page, and grow with a record's fields)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for i, size in enumerate(sizes):
        buffer = bytes([i % 251]) * size
        del buffer
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_freed_megabyte_buffers_are_reused_inside_the_block_and_not_after():
    sizes = [n * MB for n in range(1, 17)]
    every_page = sum(sizes) // PAGE
    # Outside: each buffer larger than the last is a fresh mapping, faulted in page by page.
    assert _faults_making_buffers(sizes) >= every_page * 0.9
    with large_buffers_kept():
        inside = _faults_making_buffers(sizes)
    # Inside: the heap keeps what was freed, so only the largest buffer's pages are new.
    assert inside <= (max(sizes) // PAGE) * 1.5
    assert _faults_making_buffers(sizes) >= every_page * 0.9
