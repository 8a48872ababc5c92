"""What every family's models and configs share.

- ``FrozenConfig``: ``replace``, ``to_dict`` and ``from_dict`` (unknown fields
  refused by name) for a frozen dataclass config;
- ``ConfiguredModel``: a Keras model built from such a config. ``build()``
  creates every variable by one inference call on ``example_inputs()``
  (zeros of the config's shapes), and ``track(...)`` works around
  ``tf.train.Checkpoint`` not seeing layers that Keras holds in a
  ``TrackedList``: each layer is also set as an attribute under its name, so
  checkpoints see it (and layer names are checkpoint keys).
"""
import dataclasses

import keras
import tensorflow as tf


class FrozenConfig:
    """Mixin of a ``@dataclasses.dataclass(frozen=True)`` model config."""

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values):
        unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"Unknown {cls.__name__} fields: {sorted(unknown)}.")
        return cls(**values)


class ConfiguredModel(keras.Model):
    """A model built from a frozen config (``self.config``).

    Subclasses give ``example_inputs()`` -> (args, kwargs) of one inference
    call; ``build()`` runs it once, outside any graph being traced.
    """

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config

    def example_inputs(self):
        raise NotImplementedError

    def build(self, *shapes):
        """Creates every variable by running one inference call on zeros."""
        del shapes
        if self.built:
            return
        args, kwargs = self.example_inputs()
        with tf.init_scope():
            self.call(*args, **kwargs)
        self.built = True

    def track(self, *layer_lists):
        """Sets every layer of the lists as an attribute under its own name."""
        for layers in layer_lists:
            for layer in layers:
                setattr(self, layer.name, layer)
