"""`evaluate standing`: statistics written into a checkpoint that still resumes."""
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from run_helpers import make_tiny_run, run_cli
from tfbiggan.run import load_run, make_checkpoint
from tfbiggan.models import Discriminator, Generator
from tfbiggan.models import has_standing_stats


def _fresh_training_objects(config, like):
    gen, ema, disc = Generator(config), Generator(config), Discriminator(config)
    for model in (gen, ema, disc):
        model.build()
    g_opt, d_opt = keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3)
    g_opt.build(gen.trainable_variables)
    d_opt.build(disc.trainable_variables)
    step = tf.Variable(0, dtype=tf.int64)
    ckpt = make_checkpoint(gen, disc, ema_generator=ema, g_optimizer=g_opt,
                           d_optimizer=d_opt, step=step)
    return ckpt, dict(generator=gen, ema=ema, g_optimizer=g_opt, d_optimizer=d_opt,
                      step=step)


@pytest.mark.slow  # ~35 s: the real command in a subprocess
def test_standing_cli_stores_stats_and_keeps_optimizers(tmp_path):
    model_dir = str(tmp_path / "run")
    original = make_tiny_run(model_dir, step_value=5)
    run_cli("standing", f"--model_dir={model_dir}", "--num_batches=1", "--batch_size=8")

    latest = tf.train.latest_checkpoint(model_dir)
    assert os.path.basename(latest) == "ckpt-5-standing"
    run = load_run(model_dir)
    assert run.step == 5 and has_standing_stats(run.ema_generator)
    bn = run.ema_generator.batch_norm_layers()[0]
    standing = bn.standing_variance.numpy()
    assert not np.allclose(standing, 1.0)          # filled, not the initial ones
    assert np.all(np.isfinite(standing)) and np.all(standing >= 0)
    # Different truncations give different statistics (z scales with t).
    assert not np.allclose(bn.standing_variance.numpy()[10], standing[50])
    # The source checkpoint is untouched (standing_ready still 0 there).
    ready = "ema_generator/standing_ready/.ATTRIBUTES/VARIABLE_VALUE"
    assert tf.train.load_checkpoint(original["path"]).get_tensor(ready) == 0

    # Everything but the EMA generator is copied bit for bit.
    old, new = tf.train.load_checkpoint(original["path"]), tf.train.load_checkpoint(latest)
    old_keys = set(old.get_variable_to_shape_map())
    assert old_keys == set(new.get_variable_to_shape_map())
    for key in old_keys - {"_CHECKPOINTABLE_OBJECT_GRAPH"}:
        if not key.startswith("ema_generator/"):
            np.testing.assert_array_equal(old.get_tensor(key), new.get_tensor(key), key)

    # A resumed training restores optimizers (iterations and slots) and the step.
    ckpt, objs = _fresh_training_objects(run.config, original)
    ckpt.restore(latest).assert_existing_objects_matched()
    assert int(objs["step"].numpy()) == 5
    for name in ("g_optimizer", "d_optimizer"):
        restored, saved = objs[name], original[name]
        assert int(restored.iterations.numpy()) == 1
        for a, b in zip(restored.variables, saved.variables):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert has_standing_stats(objs["ema"])
    # ...and keeps numbering checkpoints by step without touching this one.
    manager = tf.train.CheckpointManager(ckpt, model_dir, max_to_keep=3,
                                         step_counter=objs["step"])
    objs["step"].assign(6)
    assert os.path.basename(manager.save(checkpoint_number=6)) == "ckpt-6"
    assert tf.io.gfile.exists(latest + ".index")

    # Running it again on the standing checkpoint rewrites that one in place.
    run_cli("standing", f"--model_dir={model_dir}",
            f"--checkpoint={latest}", "--num_batches=1", "--batch_size=4")
    state = tf.train.get_checkpoint_state(model_dir)
    names = [os.path.basename(p) for p in state.all_model_checkpoint_paths]
    assert names == ["ckpt-5", "ckpt-5-standing", "ckpt-6"]
    assert os.path.basename(tf.train.latest_checkpoint(model_dir)) == "ckpt-6"
    assert tf.train.load_checkpoint(latest).get_tensor(ready) == 1
