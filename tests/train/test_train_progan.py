"""Progressive GAN training: the growth through the loop, per-level batches and
learning rates, the optimizer reset at every phase change, the grids per
resolution, and a resume in the middle of a fade."""
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from cli_helpers import repo_config
from tfbiggan.models import get_preset
from tfbiggan.models.progan import ProGANConfig
from tfbiggan.run import load_run, read_model_config
from tfbiggan.train import ConfigError, TrainConfig, TrainingRun
from tfbiggan.train.progan_step import LEVEL, phase_index
from tfbiggan.train.schedules import GrowthSettings
from tfbiggan.train.progressive import FADE, STABILISE, Phase

MODEL = ProGANConfig(resolution=8, z_dim=8, num_classes=3, fmap_base=16, fmap_max=8)


def _config(**changes):
    # 4x4: 16 images in 4 steps of 4; 8x8: fade 16..32 and stabilise 32..48 in
    # steps of 8 (two data units each), at half the learning rate.
    growth = dict(level_batch_sizes=(4, 8), level_learning_rates=(1e-3, 5e-4),
                  fade_images=16, stable_images=16, drift=0.001)
    growth.update({k: changes.pop(k) for k in list(changes) if k in growth})
    values = dict(model=MODEL, batch_size=4, schedule=GrowthSettings(**growth),
                  num_steps=0, loss="wasserstein", gp_weight=10.0,
                  ortho_reg=0.0, d_steps=1, standing_batches=0,
                  beta2=0.99, adam_epsilon=1e-8,
                  ema_decay=0.9, ema_start=0, save_every=0, sample_every=0, log_every=1,
                  grid_rows=3, grid_columns=2, deterministic=True)
    values.update(changes)
    return TrainConfig(**values)


def _dataset_fn(config):
    def fn(input_context):
        batch = input_context.get_per_replica_batch_size(config.micro_batch())
        images = tf.random.stateless_uniform([40, 8, 8, 3], [3, 4], -1.0, 1.0)
        labels = tf.one_hot(tf.range(40) % 3, 3)
        return tf.data.Dataset.from_tensor_slices((images, labels)).repeat().batch(
            batch, drop_remainder=True)
    return fn


def _run(config, model_dir, lines=None):
    keras.utils.set_random_seed(0)
    return TrainingRun(config, tf.distribute.get_strategy(), model_dir,
                       dataset_fn=_dataset_fn(config),
                       log=(lines.append if lines is not None else lambda _: None))


def _weights(trainer):
    return {f"{m.name}/{v.path}": v.numpy() for m in (
        trainer.generator, trainer.discriminator, trainer.ema_generator) for v in m.variables}


def test_config_counts_steps_and_checks_progressive_settings():
    config = _config()
    assert config.num_steps == 4 + 2 + 2 and config.micro_batch() == 4
    assert config.level_batches() == (4, 8)
    with pytest.raises(ConfigError, match="--ortho_reg=0.0001 does not apply"):
        _config(ortho_reg=1e-4)
    with pytest.raises(ConfigError, match="this schedule takes 8 steps"):
        _config(num_steps=5)
    with pytest.raises(ConfigError, match="one value per level, 2 for 4x4 .. 8x8"):
        _config(level_batch_sizes=(4,))
    with pytest.raises(ConfigError, match="do not split over 3 replicas"):
        _config().check_replicas(3)
    with pytest.raises(ConfigError, match="GrowthSettings settings do not apply to BigGAN"):
        TrainConfig(model=get_preset("tiny"), schedule=GrowthSettings(drift=0.001))


def test_phase_index_changes_at_every_fade_start_and_end():
    phases = [Phase(0, 1.0, STABILISE, 0), Phase(1, 0.0, FADE, 0), Phase(1, 0.9, FADE, 9),
              Phase(1, 1.0, STABILISE, 0), Phase(2, 0.1, FADE, 1), Phase(2, 1.0, STABILISE, 5)]
    assert [phase_index(p) for p in phases] == [0, 1, 1, 2, 3, 4]


def test_progan_run_grows_resets_optimizers_and_resumes_mid_fade(tmp_path):
    config = _config()
    lines = []
    whole = _run(config, str(tmp_path / "whole"), lines)
    result = whole.train()
    assert result.step == 8 and int(whole.trainer.images_shown.numpy()) == 48
    assert any(line.startswith("step 6/8  8x8 alpha 0.500") for line in lines), lines
    metrics = result.metrics
    assert {"gradient_penalty", "drift", "d_class_loss", "g_class_loss"} <= set(metrics)
    assert metrics[LEVEL] == 1.0 and all(np.isfinite(list(metrics.values())))
    # Adam restarted when the stabilisation began (2 updates since), at the
    # 8x8 level's learning rate.
    trainer = whole.trainer
    assert int(trainer.g_optimizer.iterations.numpy()) == 2
    assert int(trainer.d_optimizer.iterations.numpy()) == 2
    assert float(trainer.g_optimizer.learning_rate.numpy()) == pytest.approx(5e-4)
    for name in ("resolution_4x4.png", "resolution_8x8.png", "final.png"):
        assert os.path.getsize(tmp_path / "whole" / "samples" / name) > 100
    assert any("Resolution 4x4 done at step 4" in line for line in lines)

    # Interrupted after step 5: 24 images shown, halfway through the fade.
    first = _run(config, str(tmp_path / "resumed"))
    first.restore()
    for _ in range(5):
        first.trainer.iteration(first.iterator)
    assert first.trainer.phase() == Phase(1, 0.5, FADE, 8)
    first.save()
    second = _run(config, str(tmp_path / "resumed"))
    second.restore()
    assert second.trainer.phase() == Phase(1, 0.5, FADE, 8)
    assert int(second.trainer.optimizer_phase.numpy()) == 1
    assert int(second.trainer.g_optimizer.iterations.numpy()) == 1  # one fade update
    assert second.train().step == 8
    expected, got = _weights(trainer), _weights(second.trainer)
    assert expected.keys() == got.keys()
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)

    # The run loads for evaluation like a BigGAN run.
    model_config, settings = read_model_config(str(tmp_path / "whole"))
    assert model_config == MODEL and settings["schedule"]["level_batch_sizes"] == [4, 8]
    run = load_run(str(tmp_path / "whole"))
    assert run.step == 8
    np.testing.assert_array_equal(run.ema_generator.trainable_variables[0].numpy(),
                                  trainer.ema_generator.trainable_variables[0].numpy())


@pytest.mark.slow  # ~1 min: four levels traced on the digits data
def test_progan_digits_flagfile_grows_to_32(tmp_path, digits_data_dir):
    config = repo_config("--flagfile=configs/progan_digits.flags",
                         f"--data_dir={digits_data_dir}", "--fade_images=32",
                         "--stable_images=32", "--log_every=1")
    assert (config.loss, config.gp_weight, config.schedule.drift) == ("wasserstein", 10.0, 0.001)
    assert (config.beta1, config.beta2, config.adam_epsilon) == (0.0, 0.99, 1e-8)
    model_dir = str(tmp_path / "run")
    result = TrainingRun(config, tf.distribute.get_strategy(), model_dir,
                         log=lambda _: None).train()
    assert result.step == config.num_steps == 14
    for side in (4, 8, 16, 32):
        assert os.path.exists(os.path.join(model_dir, "samples",
                                           f"resolution_{side}x{side}.png"))


@pytest.mark.slow  # tracing under MirroredStrategy is slow on 2 cores
def test_progan_step_on_two_replicas_equals_one_device(two_cpu_strategy):
    # Minibatch stddev groups examples within a replica (as the paper's code
    # does per GPU), so 1 and 2 replicas group differently; with groups of
    # one the layer is a constant map and the rest must match exactly.
    from tfbiggan.train.progan_step import ProGANTrainer
    config = _config(model=MODEL.replace(mbstd_group_size=1), adam_epsilon=1.0)
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (16, 8, 8, 3)).astype(np.float32)
    labels = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 16)]
    weights = []
    for strategy in (tf.distribute.get_strategy(), two_cpu_strategy):
        keras.utils.set_random_seed(0)
        trainer = ProGANTrainer(config, strategy, log=lambda _: None)
        data = tf.data.Dataset.from_tensor_slices((images, labels)).batch(4)
        iterator = iter(strategy.experimental_distribute_dataset(data))
        for _ in range(3):  # 4x4 steps
            trainer.iteration(iterator)
        weights.append(_weights(trainer))
    for key in weights[0]:
        np.testing.assert_allclose(weights[1][key], weights[0][key], rtol=1e-4, atol=1e-5,
                                   err_msg=key)
