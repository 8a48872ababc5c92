"""Reference models for the official-weights importer, built with hf's own code.

``hf_model_from_tfhub`` runs huggingface's converter
(``pytorch_pretrained_biggan.convert_tf_to_pytorch.load_tf_weights_in_biggan``)
on a TF1 Hub module directory. hf reads the statistics by applying the module
with TF1's ``hub.Module``, which TF 2.21 no longer has; ``hf_statistics``
reads the same tensors by hf's names instead (the module's graph imported
under ``module_apply_default``, then ``stack_{10i+1, 10i+3, 10i+6, 10i+8}``
until one is missing), and the converter is handed that list.

Needs torch and pytorch-pretrained-biggan (the ``test`` extra); tests skip
with the install command when they are missing.
"""
import contextlib

import numpy as np
import pytest

HF_INSTALL = "pip install torch==2.13.0 pytorch-pretrained-biggan==0.1.1"


def require_hf():
    """The ``pytorch_pretrained_biggan`` package, or a skip naming the install."""
    pytest.importorskip("torch", reason=f"torch is not installed: {HF_INSTALL}")
    return pytest.importorskip("pytorch_pretrained_biggan",
                               reason=f"pytorch-pretrained-biggan is not installed: {HF_INSTALL}")


def hf_statistics(module_dir):
    """hf's list of statistics arrays of a TF1 module, read by hf's tensor names."""
    import tensorflow as tf

    from hub_export.checks import read_saved_model
    metas = list(read_saved_model(str(module_dir)).meta_graphs)
    graph_def = next(m for m in metas if not m.meta_info_def.tags).graph_def
    stats = []
    with tf.Graph().as_default() as graph:
        tf.graph_util.import_graph_def(graph_def, name="module_apply_default")
        with tf.compat.v1.Session(graph=graph) as session:
            for i in range(50):
                for offset in (1, 3, 6, 8):
                    try:
                        tensor = graph.get_tensor_by_name(
                            f"module_apply_default/stack_{10 * i + offset}:0")
                    except KeyError:
                        return stats
                    stats.append(session.run(tensor))
    return stats


@contextlib.contextmanager
def _statistics_handed_to(converter, stats):
    original = converter.extract_batch_norm_stats
    converter.extract_batch_norm_stats = lambda *args, **kwargs: stats
    try:
        yield
    finally:
        converter.extract_batch_norm_stats = original


def hf_model_from_tfhub(module_dir, hf_config):
    """hf's BigGAN holding a TF1 module's weights, converted by hf's converter.

    ``hf_config``: dict of hf's ``BigGANConfig`` fields.
    """
    hf = require_hf()
    from pytorch_pretrained_biggan import convert_tf_to_pytorch as converter
    config = hf.BigGANConfig.from_dict(hf_config)
    model = hf.BigGAN(config)
    with _statistics_handed_to(converter, hf_statistics(module_dir)):
        converter.load_tf_weights_in_biggan(model, config, str(module_dir))
    return model.eval()


def hf_images(model, z, y, truncation):
    """hf's images for numpy z [b, z_dim], y [b, classes] as NHWC float32."""
    import torch
    with torch.no_grad():
        images = model(torch.from_numpy(z), torch.from_numpy(y), truncation)
    return np.transpose(images.numpy(), (0, 2, 3, 1))
