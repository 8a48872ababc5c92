"""Features and logits from a Keras classifier trained on the dataset itself,
for data where Inception features mean little (e.g. 8x8 digits). Training
such a classifier is evaluation's job (``tfbiggan.evaluate.classifier``).
"""
import os

import keras
import tensorflow as tf

from tfbiggan.metrics.extractors.base import FeatureExtractor, weights_digest


class ClassifierExtractor(FeatureExtractor):
    """Features and logits from a Keras classifier.

    `features` are the input of the model's last layer (the penultimate
    activations, flattened), `logits` its output, which must be pre-softmax.
    Images of another size than the model's input are resized bilinearly; the
    channel count must match. `name` is "<model.name>:<weights sha12>", so two
    differently trained classifiers never share a name.
    """
    classifies_dataset = True  # its logits index the dataset's classes

    def __init__(self, model, batch_size=256):
        if len(model.layers) < 2:
            raise ValueError("`model` needs at least two layers (features, logits).")
        last = model.layers[-1]
        activation = getattr(last, "activation", None)
        if activation not in (None, keras.activations.linear):
            raise ValueError(
                f"The last layer '{last.name}' applies "
                f"{getattr(activation, '__name__', activation)}; it must output "
                "logits (activation=None) so IS and the loss see raw scores.")
        super().__init__(f"{model.name}:{weights_digest(model)}", batch_size)
        self.model = model
        if len(model.inputs) != 1 or len(model.outputs) != 1:
            raise ValueError("`model` must have one image input and one logits output.")
        self._heads = keras.Model(model.inputs[0], [last.input, model.outputs[0]])
        self._input_hw = tuple(model.input_shape[1:3])
        self._channels = model.input_shape[-1]

    def _extract(self, images):
        if images.shape[-1] != self._channels:
            raise ValueError(
                f"The classifier takes {self._channels}-channel images, got "
                f"{images.shape[-1]} channels.")
        x = tf.convert_to_tensor(images)
        if None not in self._input_hw and tuple(images.shape[1:3]) != self._input_hw:
            x = tf.image.resize(x, self._input_hw, method="bilinear")
        features, logits = self._heads(x, training=False)
        return keras.ops.convert_to_numpy(features), keras.ops.convert_to_numpy(logits)

    def save(self, path):
        """Saves the wrapped model as a `.keras` file."""
        path = os.fspath(path)
        if not path.endswith(".keras"):
            raise ValueError(f"Classifier files must end in .keras, got '{path}'.")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.model.save(path)

    @classmethod
    def from_path(cls, path, batch_size=256):
        """Loads a classifier saved with `save` (or `model.save`)."""
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"No classifier at '{path}'. Train one with `python -m "
                "tfbiggan.evaluate train-classifier --output=PATH` (or "
                "tfbiggan.evaluate.classifier.train_classifier, then "
                "ClassifierExtractor(model).save(path)); it is a .keras file.")
        return cls(keras.saving.load_model(path, compile=False), batch_size)
