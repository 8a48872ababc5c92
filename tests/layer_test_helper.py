"""The one test every Keras layer of the project passes (after KerasHub's
``TestCase.run_layer_test``):

1. an eager call on the given inputs gives the expected output shape, and
   float32 out for float32 in;
2. ``get_config`` round trips: ``from_config(get_config())`` has the same
   config, and with the same weights gives the same outputs; so does
   ``keras.saving.serialize_keras_object`` / ``deserialize_keras_object``
   (the class is registered);
3. a symbolic call on ``keras.Input``s with an unknown batch gives the eager
   output shape with that batch unknown;
4. under ``mixed_bfloat16`` every variable stays float32 and the output comes
   in the compute dtype, bfloat16;
5. the number of trainable scalars is the expected one, when given;
6. so is the number of non-trainable scalars (the batch norms' moving and
   standing statistics and their accumulators, spectral norm's u vectors):
   the state a checkpoint and an export must carry.
"""
import keras
import numpy as np
import tensorflow as tf

from tfbiggan.models import count_parameters


def _call(layer, inputs, call_kwargs):
    return layer(*inputs, **call_kwargs)


def _scalars(variables):
    return int(sum(np.prod(v.shape) for v in variables))


def run_layer_test(layer_cls, init_kwargs, input_shapes, expected_output_shape,
                   call_kwargs=None, expected_trainable=None, expected_non_trainable=None,
                   seed=0, atol=1e-5):
    """Runs the checks above.

    Args:
      layer_cls: the layer class.
      init_kwargs: constructor arguments.
      input_shapes: shapes (batch first) of the positional call inputs.
      expected_output_shape: the eager output shape.
      call_kwargs: keyword call arguments (``training``, ``upsample``, ...).
    """
    call_kwargs = dict(call_kwargs or {})
    rng = np.random.default_rng(seed)
    inputs = [tf.constant(rng.standard_normal(s).astype(np.float32)) for s in input_shapes]

    layer = layer_cls(**init_kwargs)
    out = _call(layer, inputs, call_kwargs)
    assert tuple(out.shape) == tuple(expected_output_shape), out.shape
    assert out.dtype == tf.float32, out.dtype
    assert all(v.dtype == "float32" for v in layer.weights)

    config = layer.get_config()
    for copy in (layer_cls.from_config(config),
                 keras.saving.deserialize_keras_object(
                     keras.saving.serialize_keras_object(layer))):
        assert type(copy) is layer_cls
        assert copy.get_config() == config
        _call(copy, inputs, call_kwargs)  # builds every variable
        copy.set_weights(layer.get_weights())
        again = _call(layer, inputs, call_kwargs)
        np.testing.assert_allclose(_call(copy, inputs, call_kwargs), again, atol=atol)

    symbolic = [keras.Input(shape=tuple(s[1:]), batch_size=None) for s in input_shapes]
    sym_out = _call(layer_cls(**init_kwargs), symbolic, call_kwargs)
    assert tuple(sym_out.shape) == (None,) + tuple(expected_output_shape[1:]), sym_out.shape

    mixed = layer_cls(**init_kwargs, dtype="mixed_bfloat16")
    mixed_out = _call(mixed, inputs, call_kwargs)
    assert mixed_out.dtype == tf.bfloat16, mixed_out.dtype
    assert tuple(mixed_out.shape) == tuple(expected_output_shape)
    assert all(v.dtype == "float32" for v in mixed.weights), [
        (v.path, v.dtype) for v in mixed.weights if v.dtype != "float32"]

    if expected_trainable is not None:
        assert count_parameters(layer) == expected_trainable, count_parameters(layer)
    if expected_non_trainable is not None:
        found = _scalars(layer.non_trainable_variables)
        assert found == expected_non_trainable, [
            (v.path, tuple(v.shape)) for v in layer.non_trainable_variables]
    return layer
