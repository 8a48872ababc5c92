"""The signature contract of an exported generator: names, shapes, and the
promises the model card states. Everything that exports, converts or checks
an export takes these names from here.

``default(z, y, truncation) -> {"default": images}`` is the tfhub.dev BigGAN
interface; ``discriminator(images, y) -> {"logits": logits}`` is this
project's addition (the official modules ship no discriminator).
"""
SIGNATURE = "default"
OUTPUT_KEY = "default"
DISCRIMINATOR_SIGNATURE = "discriminator"
LOGITS_KEY = "logits"
MODEL_CARD_JSON = "model_card.json"   # beside saved_model.pb; converters copy it
MODEL_CARD_MARKDOWN = "model_card.md"
NON_FINITE_HINT = ("sample z as truncation * truncnorm(-2, 2) and pass a finite "
                   "truncation in [0, 1].")

TRUNCATION_NOTE = (
    "truncation is clamped to [0, 1] inside the graph (values below 0 act as 0, above 1 "
    "as 1). It selects the batch norms' standing statistics stored at 0.00, 0.02, ..., "
    "1.00, linearly interpolated. Sample z as truncation * truncnorm(-2, 2) with the "
    "same truncation.")
NON_FINITE_NOTE = (
    "Non-finite inputs: TensorFlow (hub.load, TFSMLayer, hub.KerasLayer) raises "
    "InvalidArgumentError naming the input ('input 'z' holds NaN or Inf ...') when z, y, "
    "truncation or images hold a NaN or Inf. The TFLite and TF.js conversions cannot "
    "raise; there an image (or logit) is NaN wherever its own z / y row is not finite, "
    "and all of them are NaN when truncation is not finite. Finite rows are unaffected.")
SHAPE_NOTE = ("Inputs have static trailing dimensions: a z of the wrong width or a y with "
              "the wrong number of classes is rejected by TensorFlow with an error naming "
              "the expected TensorSpec, and so is a truncation that is not a scalar. The "
              "batched inputs must have the same number of rows, at least 1 (an error "
              "names them and their row counts). y may be one-hot or any soft mix of "
              "classes (no check that rows sum to 1).")


def generator_specs(config):
    """Input signature of ``default``: z [batch, z_dim], y [batch, classes],
    truncation [] (float32)."""
    import tensorflow as tf
    return [tf.TensorSpec([None, config.z_dim], tf.float32, name="z"),
            tf.TensorSpec([None, config.num_classes], tf.float32, name="y"),
            tf.TensorSpec([], tf.float32, name="truncation")]


def discriminator_specs(config):
    """Input signature of ``discriminator``: images [batch, R, R, 3], y."""
    import tensorflow as tf
    r = config.resolution
    return [tf.TensorSpec([None, r, r, 3], tf.float32, name="images"),
            tf.TensorSpec([None, config.num_classes], tf.float32, name="y")]
