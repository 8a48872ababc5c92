"""Progressive GAN's export interface: tfhub.dev's ``google/progan-128/1``.
The shared stages (freeze, graph check, self-check, card, publish) take it,
and the export converts with ``hub_export.tflite`` and ``hub_export.tfjs``.

The tfhub.dev module is a TF1 Hub module whose ``default`` signature takes
one input, also named ``default``: latent vectors float32 [batch, 512] drawn
from N(0, 1), and returns ``{'default': images}`` float32 [batch, 128, 128, 3]
with pixels in [0, 1] (its documented use is
``hub.load(...).signatures['default'](z)['default']``, and its examples turn
images into uint8 by ``* 255``). The export matches that:

* ``default``: ``default`` float32 [batch, z_dim] ~ N(0, 1) (and, for a
  conditional model only, ``y`` float32 [batch, num_classes], one-hot or a
  soft mix) -> ``{'default': images}`` float32 [batch, R, R, 3] in [0, 1]:
  G's [-1, 1] output mapped by (x + 1) / 2 and clipped.
* ``discriminator``: ``images`` float32 [batch, R, R, 3] in [0, 1] (what
  ``default`` returns) -> ``{'logits': logits}`` float32 [batch, 1 +
  label_size]: column 0 the critic score, then the class logits.

A TF2 SavedModel's signatures take keyword arguments, so the call is
``m.signatures['default'](default=z)['default']``; the TF1 module also took
the latent positionally. ProGAN has no truncation trick and no batch norm.
"""
import numpy as np

from hub_export.interface import ExportInterface

LATENT_INPUT = "default"  # the tfhub.dev module's input name


def to_unit_range(images):
    """G's [-1, 1] images -> [0, 1], clipped (the module's range)."""
    import tensorflow as tf
    return tf.clip_by_value((images + 1.0) / 2.0, 0.0, 1.0)


class ProGANExport(ExportInterface):
    title = ("tfhub.dev google/progan-128/1: default(default=latent) -> "
             "{'default': images in [0, 1]}")
    family_title = "Progressive GAN"
    generator_hint = "sample the latent from N(0, 1)."
    discriminator_hint = "pass images in [0, 1]."
    z_sampling = "N(0, 1)"
    image_to_uint8 = "clip(images * 256, 0, 255)"

    def generator_specs(self, config):
        """The latent [batch, z_dim] (+ y when conditional)."""
        import tensorflow as tf
        specs = [tf.TensorSpec([None, config.z_dim], tf.float32, name=LATENT_INPUT)]
        if config.label_size:
            specs.append(tf.TensorSpec([None, config.num_classes], tf.float32, name="y"))
        return specs

    def discriminator_specs(self, config):
        """Images [batch, R, R, 3] in [0, 1]."""
        import tensorflow as tf
        r = config.resolution
        return [tf.TensorSpec([None, r, r, 3], tf.float32, name="images")]

    def input_descriptions(self, config):
        return {LATENT_INPUT: "latent, sampled from N(0, 1)",
                "y": "one-hot class, or a soft mix", "images": "images in [0, 1], NHWC"}

    def generator_output(self, config):
        r = config.resolution
        return [None, r, r, 3], "images in [0, 1], NHWC"

    def discriminator_output(self, config):
        return [None, 1 + config.label_size], "critic score, then class logits"

    def generator_call(self, generator):
        def call(latent, y=None):
            return to_unit_range(generator(latent, y, training=False))
        return call

    def discriminator_call(self, discriminator):
        return lambda images: discriminator(images * 2.0 - 1.0, training=False)

    def generator_cases(self, config, rng):
        feed = {LATENT_INPUT: rng.standard_normal((3, config.z_dim)).astype(np.float32)}
        if config.label_size:
            feed["y"] = np.eye(config.num_classes, dtype=np.float32)[
                rng.integers(0, config.num_classes, 3)]
        return [feed]

    def discriminator_feed(self, images, feed):
        return {"images": images}

    def interface_text(self, config):
        return self.title + ("; conditional models add y" if config.label_size else "")

    def usage(self, card):
        call = "default=z" + (", y=y" if card["num_classes"] > 1 else "")
        return ["import tensorflow as tf, tensorflow_hub as hub",
                "m = hub.load(EXPORT_DIR)",
                f"z = tf.random.normal([4, {card['z_dim']}])",
                f"images = m.signatures['default']({call})['default']  # [4, R, R, 3] in [0, 1]"]


INTERFACE = ProGANExport()
