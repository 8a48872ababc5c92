"""One training step on 2 mirrored replicas equals the same step on 1 device."""
import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.models import get_preset
from tfbiggan.train import TrainConfig, Trainer


# BigGAN's own step, and the lineage terms whose maths spans the batch:
# WGAN-GP's per-example interpolates, R1, and feature matching's batch means,
# under gradient accumulation.
OPTIONS = {
    "biggan": dict(num_accumulations=1),
    "lineage": dict(num_accumulations=2, loss="wasserstein", gp_weight=10.0,
                    r1_gamma=1.0, r1_interval=1, feature_matching=1.0),
}


def _config(options):
    # Tracing under MirroredStrategy is slow on 2 cores, so one D step.
    return TrainConfig(model=get_preset("tiny"), batch_size=8, d_steps=1, g_lr=1e-3,
                       d_lr=1e-3, ema_start=0, ema_decay=0.5, ortho_reg=1e-2,
                       # Biases before a batch norm get ~0 gradients (pure
                       # round-off); Adam with a tiny epsilon turns those into
                       # lr-sized steps of random sign. A large epsilon keeps
                       # the update linear in the gradient, so tolerances hold.
                       adam_epsilon=1.0, **options)


def _data(config, num_batches):
    rng = np.random.default_rng(0)
    r, n = config.model.resolution, config.micro_batch() * num_batches
    images = rng.uniform(-1, 1, (n, r, r, 3)).astype(np.float32)
    y = np.eye(config.model.num_classes, dtype=np.float32)[
        rng.integers(0, config.model.num_classes, n)]
    return tf.data.Dataset.from_tensor_slices((images, y)).batch(config.micro_batch())


def _all_weights(trainer):
    out = {}
    for model in (trainer.generator, trainer.discriminator, trainer.ema_generator):
        for v in model.variables:
            out[f"{model.name}/{v.path.split('/', 1)[-1]}"] = np.array(v.numpy())
    return out


@pytest.mark.slow
@pytest.mark.parametrize("options", list(OPTIONS))
def test_train_mirrored_step_equals_single_device(options, two_cpu_strategy):
    config = _config(OPTIONS[options])
    single = Trainer(config, tf.distribute.get_strategy(), log=lambda m: None)
    mirrored = Trainer(config, two_cpu_strategy, log=lambda m: None)
    assert mirrored.num_replicas == 2
    assert mirrored.local_batch == config.batch_size // (config.num_accumulations * 2)
    with two_cpu_strategy.scope():
        for a, b in ((single.generator, mirrored.generator),
                     (single.discriminator, mirrored.discriminator),
                     (single.ema_generator, mirrored.ema_generator)):
            b.set_weights(a.get_weights())
    before = _all_weights(single)
    # Feature matching's G step reads real batches too.
    batches = (config.d_steps + bool(config.feature_matching)) * config.num_accumulations
    data = _data(config, batches)
    m_single = single.iteration(iter(
        tf.distribute.get_strategy().experimental_distribute_dataset(data)))
    m_mirrored = mirrored.iteration(iter(
        two_cpu_strategy.experimental_distribute_dataset(data)))

    if config.gp_weight:
        assert {"gradient_penalty", "r1", "feature_matching"} <= set(m_single)
    for key in m_single:
        np.testing.assert_allclose(m_mirrored[key], m_single[key], rtol=1e-4,
                                   atol=1e-5, err_msg=key)
    after_single, after_mirrored = _all_weights(single), _all_weights(mirrored)
    changed = 0
    for key, value in after_single.items():
        np.testing.assert_allclose(after_mirrored[key], value, rtol=1e-4, atol=2e-5,
                                   err_msg=key)
        changed += not np.array_equal(value, before[key])
    assert changed > 0.5 * len(after_single)  # the step really trained
    # Every variable has a copy on each replica, and the copies agree
    # (weights, moving and standing statistics, spectral-norm vectors).
    for model in (mirrored.generator, mirrored.discriminator, mirrored.ema_generator):
        for v in model.variables:
            copies = [c.numpy() for c in two_cpu_strategy.experimental_local_results(v.value)]
            assert len(copies) == 2, v.path
            np.testing.assert_array_equal(copies[1], copies[0], err_msg=v.path)
