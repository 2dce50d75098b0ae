"""The engine keeps pre-existing objects out of the collector's passes during a run, and only then."""

from __future__ import annotations

import gc

from airpicture.engine import gc_frozen, release_memory


def test_gc_frozen_freezes_for_the_block_and_hands_everything_back() -> None:
    assert gc.get_freeze_count() == 0
    with gc_frozen():
        assert gc.get_freeze_count() > 0
        made = [[i] for i in range(1000)]  # new objects: visible to the collector during the block
        assert all(gc.is_tracked(x) for x in made[:3])
        release_memory()  # collects, then freezes what survived (so later passes skip it)
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_gc_frozen_leaves_a_callers_freeze_alone() -> None:
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with gc_frozen():
            release_memory()
            assert gc.get_freeze_count() == before  # not ours to change
        assert gc.get_freeze_count() == before
    finally:
        gc.unfreeze()


def test_cyclic_garbage_made_before_a_run_is_collected_after_it() -> None:
    import weakref

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a
    ref = weakref.ref(a)
    with gc_frozen():
        del a, b
        gc.collect()
        assert ref() is not None  # frozen: the collector does not look at it during the run
    gc.collect()
    assert ref() is None
