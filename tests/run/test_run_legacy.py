"""Checkpoints written before the 0.2 layer renames still load: upgraded in
place to the new names, every value bit for bit, outputs as 0.1 computed them."""
import os
import shutil

import keras
import numpy as np
import tensorflow as tf

from tfbiggan.models import has_standing_stats
from tfbiggan.run import load_run, make_checkpoint
from tfbiggan.run.legacy import is_legacy
from tfbiggan.run.tensor_io import read_all_tensors

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                       "legacy_0.1_tiny_deep")


def _copy(tmp_path):
    model_dir = str(tmp_path / "legacy")
    shutil.copytree(FIXTURE, model_dir)
    return model_dir


def test_legacy_run_loads_with_its_outputs(tmp_path):
    model_dir = _copy(tmp_path)
    prefix = os.path.join(model_dir, "ckpt-3")
    old, _ = read_all_tensors(prefix)
    assert is_legacy(old)
    assert "ema_generator/block5/bn0/gain/kernel/.ATTRIBUTES/VARIABLE_VALUE" in old

    run = load_run(model_dir)
    assert run.step == 3 and has_standing_stats(run.ema_generator)
    expected = np.load(os.path.join(FIXTURE, "expected_outputs.npz"))
    z, y = expected["z"], expected["y"]
    # The expected outputs were computed on another CPU, whose kernels sum in
    # another order: float32 rounding (~3e-5 seen) separates them, while a
    # misnamed or misplaced tensor moves images by orders of magnitude more.
    np.testing.assert_allclose(run.ema_generator(z, y, truncation=0.5).numpy(),
                               expected["ema_t05_and_moving"][0], rtol=0, atol=2e-4)
    np.testing.assert_allclose(run.ema_generator(z, y).numpy(),
                               expected["ema_t05_and_moving"][1], rtol=0, atol=2e-4)
    np.testing.assert_allclose(run.discriminator(expected["ema_t05_and_moving"][0], y).numpy(),
                               expected["d_logits"], rtol=1e-4, atol=1e-5)

    # The files now use the 0.2 names; the values are the same tensors.
    new, _ = read_all_tensors(prefix)
    assert not is_legacy(new) and len(new) == len(old)
    renamed = {"ema_generator/block5/bn0/gain/kernel": "ema_generator/block4/bn0/scale/kernel",
               "ema_generator/block5/bn0/bias/sn_u": "ema_generator/block4/bn0/offset/sn_u",
               "ema_generator/out_bn/gamma": "ema_generator/out_bn/scale",
               "discriminator/block3/conv1/sn_u": "discriminator/block2/conv1/sn_u"}
    for before, after in renamed.items():
        suffix = "/.ATTRIBUTES/VARIABLE_VALUE"
        np.testing.assert_array_equal(new[after + suffix].numpy(), old[before + suffix].numpy())
    # Loading again is a no-op (nothing left to upgrade).
    assert load_run(model_dir).step == 3


def test_upgraded_checkpoint_restores_every_object_including_optimizers(tmp_path):
    model_dir = _copy(tmp_path)
    run = load_run(model_dir)   # upgrades ckpt-3 in place
    g_opt, d_opt = keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3)
    g_opt.build(run.generator.trainable_variables)
    d_opt.build(run.discriminator.trainable_variables)
    step = tf.Variable(0, dtype=tf.int64)
    checkpoint = make_checkpoint(run.generator, run.discriminator,
                                 ema_generator=run.ema_generator, g_optimizer=g_opt,
                                 d_optimizer=d_opt, step=step)
    checkpoint.restore(run.path).assert_consumed()
    assert int(step.numpy()) == 3 and int(g_opt.iterations.numpy()) == 1
