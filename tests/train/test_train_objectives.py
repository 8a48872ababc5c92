"""The objective terms of the lineage, on tiny models, against numpy."""
import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.losses import get_loss
from tfbiggan.models import Discriminator, Generator, get_preset
from tfbiggan.train import TrainConfig
from tfbiggan.train.objectives import HistoricalAverage, Objectives
from tfbiggan.train.monitor import weight_singular_values

CFG = get_preset("tiny")


@pytest.fixture(scope="module")
def models():
    g, d = Generator(CFG), Discriminator(CFG)
    g.build()
    d.build()
    return g, d


def _objectives(models, **options):
    config = TrainConfig(model=CFG, batch_size=8, **options)
    g, d = models
    weights = [v for v in g.trainable_variables if len(v.shape) >= 2]
    return Objectives(config, g, d, get_loss(config.loss, config.real_target), weights)


def _batch(n=8, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (n, 32, 32, 3)).astype("f")
    y = np.eye(4, dtype="f")[rng.integers(0, 4, n)]
    return tf.constant(images), tf.constant(y)


def test_penalties_are_per_example_so_micro_batches_average_to_the_batch(models):
    objectives = _objectives(models, loss="wasserstein", gp_weight=10.0, r1_gamma=1.0)
    images, y = _batch()
    fake, y_fake = _batch(seed=1)
    eps = tf.constant(np.linspace(0, 1, 8), tf.float32)
    _, whole = objectives.d_terms(images, y, fake, y_fake, eps, r1_due=True)
    halves = [objectives.d_terms(images[s], y[s], fake[s], y_fake[s], eps[s], True)[1]
              for s in (slice(0, 4), slice(4, 8))]
    for key in ("gradient_penalty", "r1", "d_loss"):
        np.testing.assert_allclose(float(whole[key]),
                                   np.mean([float(h[key]) for h in halves]), rtol=1e-4)


def test_feature_matching_is_the_squared_distance_of_mean_features(models):
    g, d = models
    objectives = _objectives(models, feature_matching=1.0, g_loss_weight=0.0)
    images, y = _batch()
    fake, y_fake = _batch(seed=2)
    objective, _, report = objectives.g_terms(fake, y_fake, (images, y), True)
    _, f_real = d(images, y, return_features=True)
    _, f_fake = d(fake, y_fake, return_features=True)
    want = np.sum((f_real.numpy().mean(0) - f_fake.numpy().mean(0)) ** 2)
    np.testing.assert_allclose(float(report["feature_matching"]), want, rtol=1e-4)
    np.testing.assert_allclose(float(objective), want, rtol=1e-4)   # g_loss_weight=0


def test_weight_clipping_bounds_every_critic_weight(models):
    _, d = models
    saved = [v.numpy().copy() for v in d.trainable_variables]
    try:
        for v in d.trainable_variables:
            v.assign(v * 100.0)
        _objectives(models, loss="wasserstein", d_weight_clip=0.01).after_d_update()
        assert all(np.abs(v.numpy()).max() <= 0.01 for v in d.trainable_variables)
        assert any(np.abs(v.numpy()).max() == 0.01 for v in d.trainable_variables)
    finally:
        for v, value in zip(d.trainable_variables, saved):
            v.assign(value)


def test_historical_average_is_the_mean_of_past_values():
    w = tf.Variable([1.0, 2.0])
    history = HistoricalAverage([w], "h")
    seen = [w.numpy().copy()]
    for value in ([3.0, 0.0], [5.0, -2.0]):
        w.assign(value)
        history.update()
        seen.append(np.array(value))
    mean = np.mean(seen, axis=0)
    np.testing.assert_allclose(history.state.means[0].numpy(), mean)
    np.testing.assert_allclose(float(history.penalty()), np.sum((w.numpy() - mean) ** 2))


def test_monitor_logs_top_three_singular_values_of_every_weight(models):
    g, _ = models
    values = weight_singular_values([g])
    kernels = [w for w in g.trainable_weights if len(w.shape) >= 2]
    assert len(values) == sum(min(3, *w.shape[-1:], int(np.prod(w.shape[:-1])))
                              for w in kernels)
    w = kernels[0]
    want = np.linalg.svd(w.numpy().reshape(-1, w.shape[-1]), compute_uv=False)[:3]
    got = [values[f"singular_values/{w.path}/sigma{i}"] for i in range(len(want))]
    np.testing.assert_allclose(got, want, rtol=5e-2)


def test_minibatch_stddev_in_d_sees_the_batch_and_keeps_real_apart_from_fake():
    cfg = CFG.replace(d_minibatch_stddev=4)
    d = Discriminator(cfg)
    d.build()
    assert [b.name for b in d.blocks][-2:] == ["minibatch_stddev", d.blocks[-1].name]
    images, y = _batch()
    logits = d(images, y).numpy()
    # Changing one example moves the logits of its whole group (examples i and
    # i + 2 of a batch of 8 in groups of 4), unlike a per-example D.
    changed = images.numpy().copy()
    changed[0] = 0.0
    moved = d(tf.constant(changed), y).numpy()
    assert abs(moved[2] - logits[2]) > 1e-6
    plain = Discriminator(CFG)
    plain.build()
    np.testing.assert_allclose(plain(tf.constant(changed), y).numpy()[2],
                               plain(images, y).numpy()[2], rtol=1e-5)
    # The objective scores the real batch alone: its logits ignore the fake one.
    config = TrainConfig(model=cfg, batch_size=8)
    g = Generator(cfg)
    g.build()
    objectives = Objectives(config, g, d, get_loss("hinge"), [])
    fake, y_fake = _batch(seed=1)
    real_a, _ = objectives._d_logits(images, y, fake, y_fake)
    real_b, _ = objectives._d_logits(images, y, fake * 0.5, y_fake)
    # (Training calls advance spectral norm's u, hence a float32-level drift.)
    np.testing.assert_allclose(real_a.numpy(), real_b.numpy(), rtol=1e-4)
    np.testing.assert_allclose(real_a.numpy(), logits, rtol=1e-4)
    # Scored together, the fakes would share the real examples' groups.
    mixed = d(tf.concat([images, fake * 0.5], 0), tf.concat([y, y_fake], 0))[:8].numpy()
    assert np.abs(mixed - logits).max() > 1e-2
    with pytest.raises(ValueError, match="BigGAN's D only"):
        get_preset("biggan-deep-128", d_minibatch_stddev=4)
