"""The training loop in-process: outputs, resume, EMA, eval hook, NaN guard."""
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from tfbiggan.run import load_run, read_model_config
from tfbiggan.models import get_preset
from tfbiggan.models import has_standing_stats
from tfbiggan.train import ConfigError, NonFiniteLossError, TrainConfig, TrainingRun


def _config(**changes):
    values = dict(model=get_preset("tiny"), batch_size=4, num_steps=3, d_steps=1,
                  save_every=2, sample_every=2, log_every=1,
                  ema_start=2,
                  ema_decay=0.9, grid_rows=4, grid_columns=2, standing_batches=1,
                  standing_batch_size=4, eval_every=2)
    values.update(changes)
    return TrainConfig(**values)


def _dataset_fn(config, value=None):
    def fn(input_context):
        r, c = config.model.resolution, config.model.num_classes
        batch = input_context.get_per_replica_batch_size(config.micro_batch())
        images = tf.random.stateless_uniform([64, r, r, 3], [1, 2], -1.0, 1.0)
        if value is not None:
            images = tf.fill([64, r, r, 3], value)
        labels = tf.one_hot(tf.range(64) % c, c)
        return tf.data.Dataset.from_tensor_slices((images, labels)).repeat().batch(
            batch, drop_remainder=True)
    return fn


class FakeEval:
    def __init__(self):
        self.calls = []

    def __call__(self, step, generator):
        images = generator(tf.zeros([2, generator.config.z_dim]),
                           tf.one_hot([0, 1], generator.config.num_classes))
        assert images.shape[1:] == (32, 32, 3)
        self.calls.append(step)
        return {"fid": 100.0 / (step + 1), "is": float(step)}


@pytest.mark.slow  # about 2 min alone on 2 cores, 8 min when they are shared
def test_train_loop_outputs_eval_and_resume(tmp_path):
    model_dir = str(tmp_path / "run")
    config, hook, lines = _config(), FakeEval(), []
    result = TrainingRun(config, tf.distribute.get_strategy(), model_dir,
                         eval_hook=hook, dataset_fn=_dataset_fn(config),
                         log=lines.append).train()
    assert result.step == 3 and result.stopped_by is None
    assert any(line.startswith("step 3/3") and "img/s" in line and "ETA" in line
               for line in lines)
    # Checkpoints, config, samples.
    assert tf.train.latest_checkpoint(model_dir).endswith("ckpt-3")
    assert os.path.exists(os.path.join(model_dir, "ckpt-2.index"))
    model_config, settings = read_model_config(model_dir)
    assert model_config == config.model and settings["batch_size"] == 4
    for name in ("samples.png", "samples/step_00000002.png", "samples/final.png"):
        assert os.path.getsize(os.path.join(model_dir, name)) > 100
    assert tf.io.gfile.glob(os.path.join(model_dir, "train", "events.*"))
    # Eval hook: at step 0 (the baseline), every 2 steps and at the end; log,
    # best checkpoint.
    assert hook.calls == [0, 2, 3]
    log = [json.loads(l) for l in open(os.path.join(model_dir, "eval_log.jsonl"))]
    assert [entry["step"] for entry in log] == [0, 2, 3]
    best = json.load(open(os.path.join(model_dir, "best", "best.json")))
    assert best["step"] == 3 and best["fid"] == pytest.approx(100 / 4)
    assert tf.train.latest_checkpoint(os.path.join(model_dir, "best")).endswith("ckpt-3")
    # The run loads for evaluation/export, with standing statistics.
    run = load_run(model_dir)
    assert run.step == 3 and has_standing_stats(run.ema_generator)
    # EMA: averaging started at step 2, so EMA != G, but close.
    g = run.generator.trainable_variables[1].numpy()
    e = run.ema_generator.trainable_variables[1].numpy()
    assert not np.array_equal(g, e)

    # Resume: same model continues counting; a different model is refused.
    lines.clear()
    more = _config(num_steps=4)
    result = TrainingRun(more, tf.distribute.get_strategy(), model_dir,
                         dataset_fn=_dataset_fn(more), log=lines.append).train()
    assert result.step == 4
    assert any("Resumed from" in line and "at step 3" in line for line in lines)
    other = _config(model=get_preset("tiny", g_ch=8))
    with pytest.raises(ConfigError, match="g_ch: saved 4 vs requested 8"):
        TrainingRun(other, tf.distribute.get_strategy(), model_dir,
                    dataset_fn=_dataset_fn(other))


@pytest.mark.slow  # 25-55 s each on 2 cores
def test_train_loop_ema_tracks_generator_before_start(tmp_path):
    config = _config(num_steps=2, ema_start=100, eval_every=0, save_every=0,
                     sample_every=0)
    run = TrainingRun(config, tf.distribute.get_strategy(), str(tmp_path),
                      dataset_fn=_dataset_fn(config), log=lambda m: None)
    for _ in range(2):
        run.trainer.iteration(run.iterator)
    t = run.trainer
    for e, g in zip(t.ema_generator.variables, t.generator.variables):
        np.testing.assert_array_equal(e.numpy(), g.numpy())


@pytest.mark.slow  # 25-55 s each on 2 cores
def test_train_loop_ema_averages_weights_and_moving_stats(tmp_path):
    config = _config(num_steps=3, ema_start=1, ema_decay=0.75, eval_every=0,
                     save_every=0, sample_every=0)
    run = TrainingRun(config, tf.distribute.get_strategy(), str(tmp_path),
                      dataset_fn=_dataset_fn(config), log=lambda m: None)
    t = run.trainer
    t.iteration(run.iterator)  # step 0: EMA copies G
    before = [v.numpy() for v in t.ema_generator.variables]
    t.iteration(run.iterator)  # step 1: EMA averages
    kinds = set()
    for old, e, g in zip(before, t.ema_generator.variables, t.generator.variables):
        name = g.path.rsplit("/", 1)[-1]
        if g.trainable or name in ("moving_mean", "moving_variance"):
            expected = 0.75 * old + 0.25 * g.numpy()
            kinds.add("averaged")
        else:
            expected = g.numpy()
            kinds.add("copied")
        np.testing.assert_allclose(e.numpy(), expected, rtol=1e-5, atol=1e-6,
                                   err_msg=g.path)
    assert kinds == {"averaged", "copied"}
    # The EMA really lags: its moving mean differs from G's.
    mean = [(e, g) for e, g in zip(t.ema_generator.variables, t.generator.variables)
            if g.path.endswith("moving_mean")][0]
    assert not np.allclose(mean[0].numpy(), mean[1].numpy())


@pytest.mark.slow  # 25-55 s each on 2 cores
def test_train_loop_nan_guard_keeps_last_checkpoint(tmp_path):
    model_dir = str(tmp_path)
    good = _config(num_steps=2, eval_every=0, sample_every=0)
    TrainingRun(good, tf.distribute.get_strategy(), model_dir,
                dataset_fn=_dataset_fn(good), log=lambda m: None).train()
    files = {p: os.path.getmtime(p) for p in tf.io.gfile.glob(f"{model_dir}/ckpt-*")}
    bad = _config(num_steps=5, eval_every=0, sample_every=0)
    run = TrainingRun(bad, tf.distribute.get_strategy(), model_dir,
                      dataset_fn=_dataset_fn(bad, value=float("nan")), log=lambda m: None)
    with pytest.raises(NonFiniteLossError, match=r"non-finite loss at step [34] \("):
        run.train()
    assert tf.train.latest_checkpoint(model_dir).endswith("ckpt-2")
    assert {p: os.path.getmtime(p)
            for p in tf.io.gfile.glob(f"{model_dir}/ckpt-*")} == files
