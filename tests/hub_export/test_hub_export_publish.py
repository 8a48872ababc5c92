"""Atomic publication, --overwrite, the model card, training-run sources, the CLI."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from cli_helpers import REPO as REPO_ROOT
import tensorflow as tf

from hub_export import export, model_card
from hub_export.biggan import INTERFACE
from hub_export.publish import publish, remove_stale_staging
from hub_export.source import run_source
from tfbiggan.train import TrainConfig
from tfbiggan.run import make_checkpoint, write_model_config
from tfbiggan.models import Discriminator, Generator, get_preset

QUIET = dict(log=lambda line: None)


def _leftovers(parent):
    return [n for n in os.listdir(parent) if ".tmp-" in n or ".old-" in n]


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [REPO_ROOT, os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "hub_export.export", *args], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=600, check=False)


def test_non_empty_output_is_refused_without_overwrite(tiny_source, tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    with pytest.raises(FileExistsError, match="--overwrite"):
        export.export(tiny_source, str(out), **QUIET)
    assert os.listdir(out) == ["keep.txt"]


def test_crash_leaves_no_partial_export(tiny_source, tmp_path, monkeypatch):
    def boom(*args):
        raise RuntimeError("disk full")
    monkeypatch.setattr(model_card, "write", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        export.export(tiny_source, str(tmp_path / "model"), check=False, **QUIET)
    assert not (tmp_path / "model").exists()
    assert not _leftovers(tmp_path)


def test_overwrite_replaces_old_export(tiny_source, tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    export.export(tiny_source, str(out), overwrite=True, check=False, **QUIET)
    assert "stale.txt" not in os.listdir(out)
    assert (out / "saved_model.pb").is_file() and (out / "model_card.json").is_file()
    assert not _leftovers(tmp_path)


def test_publish_into_empty_folder(tmp_path):
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "saved_model.pb").write_bytes(b"x")
    (tmp_path / "out").mkdir()
    publish(str(staged), str(tmp_path / "out"), overwrite=False)
    assert os.listdir(tmp_path / "out") == ["saved_model.pb"] and not staged.exists()


def test_model_card_of_random_export(tiny_export):
    card = model_card.read(tiny_export[0])
    assert card["preset"] == "tiny" and card["architecture"] == "biggan"
    assert (card["resolution"], card["z_dim"], card["num_classes"]) == (32, 16, 4)
    assert card["training_step"] == 0 and card["init"] == "random"
    assert card["metrics"] is None
    assert card["truncation"]["range"] == [0.0, 1.0]
    assert card["truncation"]["grid_points"] == 51
    assert card["truncation"]["out_of_range"] == "clamp"
    gen = card["signatures"]["default"]
    assert [(t["name"], t["shape"]) for t in gen["inputs"]] == [
        ("z", [None, 16]), ("y", [None, 4]), ("truncation", [])]
    assert gen["outputs"]["default"]["shape"] == [None, 32, 32, 3]
    assert card["signatures"]["discriminator"]["outputs"]["logits"]["shape"] == [None]
    assert card["tfbiggan_version"]
    text = open(os.path.join(tiny_export[0], "model_card.md"), encoding="utf-8").read()
    assert "| z_dim | 16 |" in text and "clamped to [0, 1]" in text


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A training directory at step 7 whose EMA generator lacks standing stats."""
    model_dir = str(tmp_path_factory.mktemp("run"))
    config = get_preset("tiny")
    settings = TrainConfig(model=config, preset="tiny", batch_size=8).to_dict()
    write_model_config(model_dir, config, settings)
    models = [Generator(config), Generator(config), Discriminator(config)]
    for model in models:
        model.build()
    ckpt = make_checkpoint(models[0], models[2], ema_generator=models[1],
                           step=tf.Variable(7, dtype=tf.int64))
    tf.train.CheckpointManager(ckpt, model_dir, max_to_keep=1).save()
    os.makedirs(os.path.join(model_dir, "best"))
    with open(os.path.join(model_dir, "best", "best.json"), "w") as f:
        json.dump({"step": 7, "fid": 123.4}, f)
    with open(os.path.join(model_dir, "eval_log.jsonl"), "w") as f:
        f.write(json.dumps({"step": 5, "fid": 150.0}) + "\n")
        f.write(json.dumps({"step": 7, "fid": 123.4, "is": 2.5}) + "\n")
    return model_dir


def test_the_card_names_the_recorded_preset_only_if_the_model_is_it(tmp_path):
    """A run's record names its preset; a model with overridden fields is
    not that preset, and a record before 0.2 (no preset) is matched by value."""
    from hub_export.source import recorded_preset
    from tfbiggan.run.checkpoints import LoadedRun as Run
    tiny = get_preset("tiny")

    def run(config, settings):
        return Run(config=config, settings=settings, generator=None, ema_generator=None,
                   discriminator=None, step=0, path="")
    assert recorded_preset(run(tiny, {"preset": "tiny"})) == "tiny"
    assert recorded_preset(run(tiny.replace(num_classes=10), {"preset": "tiny"})) is None
    assert recorded_preset(run(tiny, {})) == "tiny"
    assert recorded_preset(run(tiny.replace(num_classes=10), {})) is None


def test_run_without_standing_stats_is_refused(run_dir):
    with pytest.raises(ValueError, match="no standing statistics.*--compute_standing"):
        run_source(run_dir, **QUIET)


def test_run_source_card_has_step_and_metrics(run_dir):
    source = run_source(run_dir, compute_missing_standing=True, standing_batches=1,
                               standing_batch_size=2, **QUIET)
    card = model_card.build(source, INTERFACE)
    assert card["training_step"] == 7 and card["preset"] == "tiny"
    assert card["weights"] == "EMA generator" and card["checkpoint"].endswith("ckpt-1")
    assert card["metrics"] == {"best": {"step": 7, "fid": 123.4},
                               "latest": {"step": 7, "fid": 123.4, "is": 2.5},
                               "exported_step": {"step": 7, "fid": 123.4, "is": 2.5}}
    assert card["standing_statistics"]["batch_size"] == 2
    assert "fid = 123.4" in model_card.to_markdown(card, INTERFACE)
    # The standing statistics really were filled in the EMA generator.
    z = np.zeros((1, 16), np.float32)
    y = np.eye(4, dtype=np.float32)[:1]
    low = source.generator(z, y, truncation=0.0).numpy()
    assert np.abs(low - source.generator(z, y, truncation=1.0).numpy()).max() > 0


def test_cli_refuses_existing_output_and_bad_flags(tmp_path):
    (tmp_path / "x.txt").write_text("x")
    proc = _cli("--init=random", "--preset=tiny", f"--output={tmp_path}")
    assert proc.returncode != 0 and "exists and is not empty" in proc.stderr
    proc = _cli("--init=random", f"--output={tmp_path / 'new'}")
    assert proc.returncode != 0 and "needs --preset" in proc.stderr


@pytest.mark.slow
def test_cli_random_export_end_to_end(tmp_path):
    out = tmp_path / "deep"
    proc = _cli("--init=random", "--preset=tiny-deep", "--standing_batches=1",
                "--standing_batch_size=2", f"--output={out}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "self-check" in proc.stdout
    assert model_card.read(str(out))["architecture"] == "biggan-deep"


def test_killed_export_leftovers_are_cleaned_by_the_next_export(tiny_source, tmp_path):
    """A real `python -m hub_export.export` is SIGKILLed while it stages; the
    next export removes its hidden folder. Leftovers of a live export stay."""
    import signal
    import time
    out = tmp_path / "model"
    proc = subprocess.Popen([sys.executable, "-m", "hub_export.export", "--init=random",
                             "--preset=tiny", f"--output={out}", "--standing_batches=1",
                             "--standing_batch_size=2"], cwd=REPO_ROOT,
                            env=dict(os.environ, PYTHONPATH=REPO_ROOT),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not _leftovers(tmp_path):
        assert proc.poll() is None and time.time() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = _leftovers(tmp_path)
    assert killed and not out.exists()
    live = tmp_path / f".model.tmp-{os.getpid()}-inuse"   # this test process is alive
    live.mkdir()
    lines = []
    export.export(tiny_source, str(out), check=False, log=lines.append)
    assert _leftovers(tmp_path) == [live.name]
    assert any(f"removed {tmp_path / killed[0]}, left by a killed export" in line
               for line in lines), lines
    assert (out / "saved_model.pb").is_file()


def test_export_killed_between_publish_renames_keeps_the_old_one(tiny_source, tmp_path):
    """``output`` renamed aside, new folder not yet in place, process gone: the
    next export puts the old export back before anything else."""
    out = tmp_path / "model"
    export.export(tiny_source, str(out), check=False, **QUIET)
    aside = tmp_path / ".model.old-99999999-x"   # no such process
    os.rename(out, aside)
    remove_stale_staging(str(out), **QUIET)
    assert (out / "saved_model.pb").is_file() and not _leftovers(tmp_path)
