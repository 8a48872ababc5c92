"""Checkpoint round trip through tfbiggan.run restores every variable."""
import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.run import load_run, make_checkpoint, write_model_config
from tfbiggan.models import Discriminator, Generator, get_preset


def _by_path(model):
    """Variable values keyed by path without the model's own (auto-numbered) name."""
    values = {}
    for v in model.variables:
        key = v.path.split("/", 1)[1]
        assert key not in values, f"duplicate variable path {v.path}"
        values[key] = v.numpy()
    return values


@pytest.mark.parametrize("preset", ["tiny-deep"])
def test_make_checkpoint_and_load_run_restore_everything(tmp_path, preset):
    cfg = get_preset(preset)
    g, ema, d = Generator(cfg), Generator(cfg), Discriminator(cfg)
    for model in (g, ema, d):
        model.build()
    rng = np.random.default_rng(0)
    for model in (g, ema, d):  # make every variable, u and statistics included, distinctive
        for v in model.variables:
            v.assign(rng.standard_normal(v.shape).astype(v.dtype) if v.shape else 0.5)
    step = tf.Variable(1234, dtype=tf.int64)
    write_model_config(str(tmp_path), cfg, {"note": "test"})
    path = make_checkpoint(g, d, ema_generator=ema, step=step).save(str(tmp_path / "ckpt"))

    # Every model variable is in the checkpoint (blocks are held in lists).
    saved = [name for name, _ in tf.train.list_variables(path)]
    for prefix, model in (("generator/", g), ("ema_generator/", ema), ("discriminator/", d)):
        count = sum(name.startswith(prefix) and name.endswith("VARIABLE_VALUE")
                    and "OPTIMIZER_SLOT" not in name for name in saved)
        assert count == len(model.variables), prefix

    run = load_run(str(tmp_path))
    assert run.step == 1234 and run.config == cfg and run.settings == {"note": "test"}
    for original, restored in ((g, run.generator), (ema, run.ema_generator),
                               (d, run.discriminator)):
        want, got = _by_path(original), _by_path(restored)
        assert want.keys() == got.keys()
        for key in want:
            np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def test_load_run_without_checkpoint(tmp_path):
    cfg = get_preset("tiny")
    with pytest.raises(FileNotFoundError, match="model_config.json"):
        load_run(str(tmp_path))
    write_model_config(str(tmp_path), cfg)
    with pytest.raises(FileNotFoundError, match="No checkpoint"):
        load_run(str(tmp_path))
    assert load_run(str(tmp_path), allow_untrained=True).step == 0
