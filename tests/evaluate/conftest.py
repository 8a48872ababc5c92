"""Fixtures for the evaluation tests: a tiny run on disk and a digits classifier."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.checkpoint import make_checkpoint, write_model_config
from tfbiggan.models import Discriminator, Generator, get_preset


def make_tiny_run(model_dir, preset="tiny", dataset="digits", step_value=1):
    """A run directory like the training loop writes: model_config.json and one
    checkpoint (ckpt-<step>) with G, D, EMA G, both Adam optimizers after one
    update (so they have slots), and the step. Returns the objects."""
    config = get_preset(preset)
    gen, ema, disc = Generator(config), Generator(config), Discriminator(config)
    for model in (gen, ema, disc):
        model.build()
    g_opt, d_opt = keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3)
    rng = np.random.default_rng(0)
    z = tf.constant(rng.standard_normal((4, config.z_dim)), tf.float32)
    y = tf.one_hot(np.arange(4) % config.num_classes, config.num_classes)
    with tf.GradientTape(persistent=True) as tape:
        out = disc(gen(z, y, training=True), y, training=True)
        g_loss = -tf.reduce_mean(out)
        d_loss = tf.reduce_mean(tf.nn.relu(1.0 + out))
    g_opt.apply_gradients(zip(tape.gradient(g_loss, gen.trainable_variables),
                              gen.trainable_variables))
    d_opt.apply_gradients(zip(tape.gradient(d_loss, disc.trainable_variables),
                              disc.trainable_variables))
    for dst, src in zip(ema.weights, gen.weights):
        dst.assign(src)
    step = tf.Variable(step_value, dtype=tf.int64)
    write_model_config(model_dir, config, {"data": {"name": dataset}})
    ckpt = make_checkpoint(gen, disc, ema_generator=ema, g_optimizer=g_opt,
                           d_optimizer=d_opt, step=step)
    manager = tf.train.CheckpointManager(ckpt, model_dir, max_to_keep=3,
                                         step_counter=step)
    path = manager.save(checkpoint_number=step_value)
    return dict(config=config, generator=gen, ema=ema, discriminator=disc,
                g_optimizer=g_opt, d_optimizer=d_opt, step=step, path=path)


@pytest.fixture(scope="session")
def digits_classifier_path(tmp_path_factory):
    """A small digits classifier (32x32, 10 classes) trained briefly, saved."""
    from tfbiggan.data import load_arrays
    from tfbiggan.metrics.extractors import ClassifierExtractor, train_classifier
    images, labels = load_arrays("digits", 32, "train")
    model = train_classifier(images, labels, epochs=2, name="digits_classifier")
    path = str(tmp_path_factory.mktemp("classifier") / "digits_32.keras")
    ClassifierExtractor(model).save(path)
    return path


@pytest.fixture(scope="session")
def eval_cache_dir(tmp_path_factory):
    """A cache dir shared by the tests (reference stats are computed once)."""
    return str(tmp_path_factory.mktemp("eval_cache"))


@pytest.fixture(scope="module")
def tiny_run_with_standing(tmp_path_factory):
    """A tiny run whose latest checkpoint carries standing statistics."""
    from tfbiggan.evaluation import store_standing_stats
    model_dir = str(tmp_path_factory.mktemp("tiny_run"))
    make_tiny_run(model_dir)
    store_standing_stats(model_dir, num_batches=1, batch_size=8, progress=False)
    return model_dir


def run_cli(command, *args):
    """Runs `python -m tfbiggan.evaluate command args` in this process, on a
    private FlagValues (the global FLAGS are left alone)."""
    from absl import flags
    from tfbiggan import evaluate
    fv = flags.FlagValues()
    evaluate.define_flags(fv)
    fv(["evaluate", *args])
    evaluate.main(["evaluate", command], fv)
