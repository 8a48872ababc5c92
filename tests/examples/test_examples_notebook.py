"""examples/biggan_from_hub.ipynb runs from a clean kernel, with nbclient,
against exports this test makes: a short digits run (with its TFLite file,
digit names in the card) and an imported synthetic official BigGAN-deep (no
discriminator, ImageNet class IDs). Any cell that raises fails the test."""
import os

import nbformat
import pytest
from nbclient import NotebookClient

from cli_helpers import REPO, repo_config
from hub_export import tflite
from hub_export import export as export_command
from tfbiggan.cli import run_command
from hub_export.import_weights import import_weights
from hub_export.official import synthetic
from tfbiggan.models import BigGANConfig
from tfbiggan.train.strategy import make_strategy
from tfbiggan.train.training_run import TrainingRun

NOTEBOOK = os.path.join(REPO, "examples", "biggan_from_hub.ipynb")


def _execute(export_dir, monkeypatch, **env):
    monkeypatch.setenv("TFBIGGAN_EXPORT", export_dir)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells), \
        "commit the notebook without outputs"
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": REPO}}).execute()
    return notebook


def _text(notebook):
    return "\n".join(out.get("text", "") for cell in notebook.cells
                     for out in cell.get("outputs", []))


def _images(notebook):
    return sum("image/png" in out.get("data", {}) for cell in notebook.cells
               for out in cell.get("outputs", []))


@pytest.mark.slow  # a 60-step digits run, two exports and two kernels: ~3 min
def test_notebook_runs_on_a_digits_export_and_an_official_import(
        tmp_path, digits_data_dir, monkeypatch):
    run = str(tmp_path / "digits")
    config = repo_config("--flagfile=configs/digits.flags",
                         f"--data_dir={digits_data_dir}", "--num_steps=60",
                         "--standing_batches=1", "--standing_batch_size=16",
                         "--log_every=0", "--sample_every=0", "--save_every=0")
    TrainingRun(config, make_strategy("default"), run, log=lambda _: None).train()
    export = str(tmp_path / "exports" / "digits")
    assert run_command(export_command.COMMAND,
                       ["export", f"--model_dir={run}", f"--output={export}"]) == 0
    tflite.convert_and_verify(export, export + "_tflite", ("float32",), log=lambda _: None)
    notebook = _execute(export, monkeypatch, TFBIGGAN_CLASSES="3,7")
    text = _text(notebook)
    assert "{'3': 3, '7': 7}" in text and "labels from the digits dataset" in text
    assert "max |TFLite - SavedModel|" in text
    assert _images(notebook) >= 6  # two grids, trade-off, interpolation, D, TFLite

    official = BigGANConfig(architecture="biggan-deep", resolution=128, num_classes=1000,
                            z_dim=16, g_ch=8, d_ch=8, embed_dim=16, g_attention=64,
                            d_attention=64)
    module = synthetic.write_tfhub_module(
        tmp_path / "tfhub_module",
        synthetic.tfhub_tensors(synthetic.random_generator(official, seed=3)), official)
    imported, _ = import_weights(str(module), str(tmp_path / "exports" / "deep128"),
                                 log=lambda _: None)
    text = _text(_execute(imported, monkeypatch, TFBIGGAN_CLASSES="n01440764,n01443537"))
    assert "no discriminator signature" in text and "No TFLite file" in text
