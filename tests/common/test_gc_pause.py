import gc

import pytest

from common.gc_pause import cyclic_gc_paused


def test_the_collector_is_held_back_in_the_block_and_runs_again_after_even_on_error():
    assert gc.isenabled()
    with pytest.raises(ValueError), cyclic_gc_paused():
        assert not gc.isenabled()
        raise ValueError("a build that fails")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_is_alive_is_left_out_of_collection_in_the_block_and_rejoins_after():
    from common.gc_pause import kept_out_of_collection

    index = [{"party": str(n)} for n in range(1000)]
    before = gc.get_freeze_count()
    with kept_out_of_collection():
        assert gc.get_freeze_count() >= before + len(index)
    assert gc.get_freeze_count() == 0
