"""BigGAN's export interface: the tfhub.dev BigGAN modules' ``default(z, y,
truncation) -> {'default': images}``, plus this project's
``discriminator(images, y) -> {'logits': logits}`` (names and specs in
``hub_export.contract``).

The generator is frozen with spectral norm folded into its kernels (W /
sigma computed once), and its batch norms pick the standing statistics of
the given truncation by hat-function weights times the [51, C] tables, so
the graph holds no variables and no control flow.
"""
import numpy as np

from hub_export.contract import (NON_FINITE_HINT, NON_FINITE_NOTE, SHAPE_NOTE,
                                 TRUNCATION_NOTE, discriminator_specs, generator_specs)
from hub_export.interface import ExportInterface
from tfbiggan.sampling import TFHUB_TRUNCNORM_BOUND, one_hot, truncated_normal
from tfbiggan.truncation import NUM_TRUNCATION_POINTS, TRUNCATION_RANGE

# The self-check's truncations: the grid's first point after 0, one between
# two grid points, and the end point.
CHECK_TRUNCATIONS = (0.02, 0.55, 1.0)


class BigGANExport(ExportInterface):
    title = ("tfhub.dev's BigGAN modules: default(z, y, truncation) -> "
             "{'default': images in [-1, 1]}")
    family_title = "BigGAN"
    generator_hint = discriminator_hint = NON_FINITE_HINT
    graph_note = "frozen: no variables, no control flow; spectral norm folded into kernels"
    z_sampling = "truncation * truncnorm(-2, 2)"
    image_to_uint8 = "clip(((images + 1) / 2) * 256, 0, 255)"

    def generator_specs(self, config):
        return generator_specs(config)

    def discriminator_specs(self, config):
        return discriminator_specs(config)

    def input_descriptions(self, config):
        return {"z": "latent", "y": "one-hot class, or a soft mix of classes",
                "truncation": "scalar in [0, 1] (clamped)",
                "images": "images in [-1, 1], NHWC"}

    def generator_output(self, config):
        r = config.resolution
        return [None, r, r, 3], "images in [-1, 1], NHWC"

    def discriminator_output(self, config):
        return [None], "projection-discriminator logits"

    def generator_call(self, generator):
        return lambda z, y, truncation: generator(z, y, truncation=truncation,
                                                  training=False)

    def discriminator_call(self, discriminator):
        return lambda images, y: discriminator(images, y, training=False)

    def folding(self, model):
        from tfbiggan.layers import folded_spectral_norm
        return folded_spectral_norm(model)

    def generator_cases(self, config, rng):
        z = truncated_normal((2, config.z_dim), TFHUB_TRUNCNORM_BOUND, rng)
        y = one_hot(rng.integers(0, config.num_classes, 2), config.num_classes)
        return [{"z": z, "y": y, "truncation": np.float32(t)} for t in CHECK_TRUNCATIONS]

    def discriminator_feed(self, images, feed):
        return {"images": images, "y": feed["y"]}

    def check_summary(self, outputs):
        """How far the lowest and highest truncation's images lie apart."""
        return {"truncation_effect": float(np.max(np.abs(outputs[0] - outputs[-1])))}

    def card_fields(self, source):
        return {
            "truncation": {
                "range": list(TRUNCATION_RANGE),
                "grid_points": NUM_TRUNCATION_POINTS,
                "interpolation": "linear between grid points",
                "out_of_range": "clamp",
                "note": TRUNCATION_NOTE,
            },
            "standing_statistics": source.standing or "from the checkpoint",
            "input_validation": SHAPE_NOTE,
            "non_finite_inputs": NON_FINITE_NOTE,
        }

    def card_sections(self, card):
        return ["## Truncation", "", card["truncation"]["note"], "",
                "## Input checks", "", card["input_validation"], "",
                card["non_finite_inputs"], ""]

    def usage(self, card):
        has_d = card["discriminator_parameters"] is not None
        return ["import tensorflow as tf, tensorflow_hub as hub",
                "module = hub.load(PATH)",
                "images = module.signatures['default'](",
                "    z=z, y=y, truncation=tf.constant(t))['default']",
                *(["logits = module.signatures['discriminator'](images=images, y=y)"
                   "['logits']"] if has_d else []),
                "# tf_keras: hub.KerasLayer(PATH, signature='default', output_key='default')",
                "#   called on dict(z=z, y=y, truncation=tf.constant(t))",
                "# Keras 3: keras.layers.TFSMLayer(PATH, call_endpoint='default')",
                "#   called as layer(z, y=y, truncation=tf.constant(t))['default']"]


INTERFACE = BigGANExport()
