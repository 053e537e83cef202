"""Building a large structure of plain objects without the cyclic garbage collector.

CPython's collector runs every few hundred allocations, and each pass over the oldest generation
walks every object alive. Building an index of a hundred thousand parties (millions of tuples,
lists and dicts) therefore spends as much time in the collector as in the building. Such
structures hold no reference cycles, so reference counting frees them all the same; the collector
is only held back while they are built.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Hold the cyclic collector back for the block (as it was after, if it was already off)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def kept_out_of_collection() -> Iterator[None]:
    """For the block, what is alive now (a large index just built, and whatever else) is left out
    of the collector's passes: each would otherwise walk every object of the index again, for
    nothing, while the block makes and drops its own. It rejoins the oldest generation after."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
