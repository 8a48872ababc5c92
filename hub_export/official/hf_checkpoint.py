"""Reading huggingface's PyTorch port of BigGAN-deep (``pytorch-pretrained-biggan``).

A directory with ``pytorch_model.bin`` (the state dict of hf's ``BigGAN``
class) and ``config.json`` (its ``BigGANConfig``: output_dim, z_dim,
channel_width, num_classes, layers, attention_layer_position, eps, n_stats).
hf's published files were converted from the tfhub.dev modules by hf's
``convert_tf_to_pytorch.py``; hf's model uses z_dim as the class-embedding
width (``class_embed_dim`` is not read by it, nor here).

The state dict is loaded with ``torch.load(weights_only=True)``: tensors
only, nothing is unpickled. Needs torch (``pip install 'tfbiggan[hf]'``).
"""
import json
import os
import zipfile

from hub_export.official import configs
from hub_export.official.assign import SourceTensorError

FORMAT = "hf-checkpoint"
WEIGHTS = "pytorch_model.bin"
CONFIG = "config.json"
TORCH_INSTALL = "pip install 'tfbiggan[hf]'  (or: pip install torch)"
NUM_STATS = 51


def is_hf_checkpoint(path):
    """True when ``path`` holds ``pytorch_model.bin`` and ``config.json``."""
    return all(os.path.isfile(os.path.join(path, name)) for name in (WEIGHTS, CONFIG))


def _field(config, key, path, kind):
    if key not in config:
        raise SourceTensorError(f"{path}: key {key!r} is missing.")
    value = config[key]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise SourceTensorError(f"{path}: {key!r} must be an integer, got {value!r}.")
    if kind is float and not isinstance(value, (int, float)):
        raise SourceTensorError(f"{path}: {key!r} must be a number, got {value!r}.")
    return value


def config_from_hf(config, path):
    """``(preset or None, BigGANConfig)`` of an hf ``config.json`` dict.

    Raises SourceTensorError naming the key when the file describes a model
    tfbiggan's BigGAN-deep cannot represent.
    """
    if not isinstance(config, dict):
        raise SourceTensorError(f"{path}: expected a JSON object.")
    resolution = _field(config, "output_dim", path, int)
    if resolution not in configs.G_STAGES:
        raise SourceTensorError(f"{path}: output_dim {resolution} is not one of "
                                f"{sorted(configs.G_STAGES)}.")
    layers = _field(config, "layers", path, list)
    want = configs.deep_stage_layers(resolution)
    got = [tuple(layer) if isinstance(layer, list) else layer for layer in layers] \
        if isinstance(layers, list) else layers
    if got != want:
        index = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                     min(len(got), len(want)))
        raise SourceTensorError(
            f"{path}: 'layers' differs from tfbiggan's BigGAN-deep {resolution} at "
            f"index {index}: {got[index] if index < len(got) else 'missing'} vs "
            f"{want[index] if index < len(want) else 'none'} (upsample, in, out).")
    n_stats = _field(config, "n_stats", path, int)
    if n_stats != NUM_STATS:
        raise SourceTensorError(f"{path}: n_stats is {n_stats}; tfbiggan stores "
                                f"{NUM_STATS} truncations.")
    position = _field(config, "attention_layer_position", path, int)
    if 0 < position < len(layers):
        if not layers[position - 1][0]:
            raise SourceTensorError(
                f"{path}: attention_layer_position {position} follows a block that does "
                "not upsample; tfbiggan puts attention after an upsampling block.")
        attention = 4 * 2 ** sum(1 for layer in layers[:position] if layer[0])
    elif position == 0:
        raise SourceTensorError(f"{path}: attention_layer_position 0 (before the first "
                                "block) is not supported.")
    else:
        attention = 0
    z_dim = _field(config, "z_dim", path, int)
    return configs.deep_config(resolution, _field(config, "num_classes", path, int), z_dim,
                               _field(config, "channel_width", path, int), z_dim, attention,
                               float(_field(config, "eps", path, float)))


def _import_torch():
    try:
        import torch
    except ImportError as err:
        raise ImportError(f"Reading {WEIGHTS} needs torch, which is not installed ({err}). "
                          f"Install it with: {TORCH_INSTALL}") from err
    return torch


class HfCheckpoint:
    """The tensors of an hf directory, by state-dict key."""

    format = FORMAT

    def __init__(self, path):
        if not is_hf_checkpoint(path):
            raise FileNotFoundError(f"{path!r} is not an hf BigGAN directory: it needs "
                                    f"{WEIGHTS} and {CONFIG}.")
        self.path = os.path.abspath(path)
        config_path = os.path.join(self.path, CONFIG)
        with open(config_path, encoding="utf-8") as f:
            try:
                self.hf_config = json.load(f)
            except json.JSONDecodeError as err:
                raise SourceTensorError(f"{config_path}: not valid JSON ({err}).") from err
        torch = _import_torch()
        weights = os.path.join(self.path, WEIGHTS)
        try:
            # mmap keeps the zip format's tensors on disk until read; hf's 2019
            # files use torch's legacy format, which loads whole.
            state = torch.load(weights, map_location="cpu", weights_only=True,
                               mmap=zipfile.is_zipfile(weights))
        except Exception as err:  # torch raises several types for bad files
            raise SourceTensorError(
                f"{weights}: not a tensor-only torch state dict ({type(err).__name__}: "
                f"{str(err).splitlines()[0] if str(err) else ''}).") from err
        if not isinstance(state, dict) or not all(
                isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
            raise SourceTensorError(f"{weights}: expected a state dict of named tensors.")
        self._state = state
        self.shapes = {name: tuple(tensor.shape) for name, tensor in state.items()}

    def read(self, name):
        tensor = self._state[name]
        return tensor.detach().float().numpy() if tensor.is_floating_point() \
            else tensor.numpy()

    def infer_config(self):
        return config_from_hf(self.hf_config, os.path.join(self.path, CONFIG))
