"""minikeras.config's fast-path switch: `set_fast_paths`, `fast_paths_enabled` and the `fast_paths` block.

What the two paths compute is compared in tests/fast/; here, only the switch itself.
"""

import numpy as np
import pytest

import minikeras
from minikeras import config


@pytest.fixture(autouse=True)
def restore_the_switch():
    before = config.fast_paths_enabled()
    yield
    config.set_fast_paths(before)


def test_fast_paths_are_on_by_default_and_set_fast_paths_turns_them_off_and_on():
    assert config.fast_paths_enabled() is True
    config.set_fast_paths(False)
    assert config.fast_paths_enabled() is False
    config.set_fast_paths(True)
    assert config.fast_paths_enabled() is True
    config.set_fast_paths(np.bool_(False))  # numpy's booleans too, stored as Python's
    assert config.fast_paths_enabled() is False
    assert minikeras.config.set_fast_paths is config.set_fast_paths


@pytest.mark.parametrize("initial", [True, False])
@pytest.mark.parametrize("inside", [True, False])
def test_the_block_sets_the_switch_and_restores_it_on_exit(initial, inside):
    config.set_fast_paths(initial)
    with config.fast_paths(inside):
        assert config.fast_paths_enabled() is inside
    assert config.fast_paths_enabled() is initial


def test_the_block_restores_the_switch_on_an_error_and_after_a_change_inside():
    config.set_fast_paths(True)
    with pytest.raises(KeyError, match="inside the block"):
        with config.fast_paths(False):
            assert not config.fast_paths_enabled()
            raise KeyError("inside the block")
    assert config.fast_paths_enabled() is True
    with config.fast_paths(False):
        config.set_fast_paths(True)  # the previous setting comes back whatever happened inside
    assert config.fast_paths_enabled() is True


def test_blocks_nest():
    with config.fast_paths(False):
        with config.fast_paths(True):
            assert config.fast_paths_enabled()
            with config.fast_paths(False):
                assert not config.fast_paths_enabled()
            assert config.fast_paths_enabled()
        assert not config.fast_paths_enabled()
    assert config.fast_paths_enabled()


@pytest.mark.parametrize("value", [1, 0, "False", None, 1.0, np.array([True])])
def test_anything_but_a_bool_is_refused_naming_the_argument(value):
    for initial in (True, False):
        config.set_fast_paths(initial)
        with pytest.raises(TypeError, match=r"set_fast_paths expects True or False\. Received: enabled="):
            config.set_fast_paths(value)
        with pytest.raises(TypeError, match="enabled="):
            with config.fast_paths(value):
                pytest.fail("the block must not run")
        assert config.fast_paths_enabled() is initial
