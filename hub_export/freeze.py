"""Freezing models into the variable-free, control-flow-free graphs that the
hub SavedModel holds, and writing that SavedModel, for any family's export
interface (``hub_export.interface``).

Unlike the official modules, the graph holds no variables and no control flow:
the EMA generator is traced at inference (inside the interface's ``folding``:
for BigGAN, spectral norm folded into its kernels), and every remaining
variable (biases, gains, embeddings, standing statistics) becomes a constant.
That is what lets ``hub_export.tflite`` and ``hub_export.tfjs`` convert it
with builtin ops.
"""
import dataclasses
import gc
import time

from hub_export.contract import DISCRIMINATOR_SIGNATURE, LOGITS_KEY, OUTPUT_KEY, SIGNATURE
from hub_export.interface import named


@dataclasses.dataclass
class FrozenGraph:
    """A variable-free GraphDef of one model call and its tensor names."""
    graph_def: object
    inputs: list
    output: str


def freeze(fn, specs):
    """Traces ``fn(*specs)`` and turns every variable it reads into a constant."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2)
    concrete = tf.function(fn, input_signature=specs, autograph=False).get_concrete_function()
    frozen = convert_variables_to_constants_v2(concrete)
    if len(frozen.outputs) != 1:
        raise RuntimeError(f"expected one output, got {frozen.outputs}")
    result = FrozenGraph(frozen.graph.as_graph_def(), [t.name for t in frozen.inputs],
                         frozen.outputs[0].name)
    # The traced graphs hold copies of every constant in reference cycles;
    # collect them now, before the next stage (WORKSPACE.md has the peak).
    del concrete, frozen
    gc.collect()
    return result


def freeze_model(call, specs, folding):
    """``call(*inputs)`` frozen with inputs named after ``specs``, inside the
    ``folding`` context."""
    with folding:
        return freeze(named(call, [s.name for s in specs], "call"), specs)


def import_frozen(frozen, args, scope):
    """Inlines a FrozenGraph into the current graph with ``args`` as inputs;
    returns its output."""
    import tensorflow as tf
    output, = tf.graph_util.import_graph_def(
        frozen.graph_def, input_map=dict(zip(frozen.inputs, args)),
        return_elements=[frozen.output], name=scope)
    return output


def nan_where_non_finite(output, inputs):
    """``output`` with NaN in every row whose inputs hold a NaN or Inf.

    ``0 * x`` is 0 for finite x and NaN otherwise, so adding the per-row sum of
    ``0 * input`` leaves finite rows bit-identical, makes a row NaN when its z
    or y (or image) is not finite, and every row NaN when a scalar input such
    as ``truncation`` is not. Plain arithmetic: it converts to TFLite and TF.js,
    whose runtimes have no CheckNumerics, so a bad input never yields a
    plausible-looking image there either.

    Args:
      output: [batch, ...] float32.
      inputs: tensors that are [batch, ...] or scalars [].
    """
    import tensorflow as tf
    poison = 0.0
    for tensor in inputs:
        zero = tensor * 0.0
        if tensor.shape.rank:
            zero = tf.reduce_sum(zero, axis=list(range(1, tensor.shape.rank)))
            zero = tf.reshape(zero, [-1] + [1] * (output.shape.rank - 1))
        poison = poison + zero
    return output + poison


def checked_inputs(tensors, specs, hint):
    """Each signature input behind EnsureShape, one batch check and
    CheckNumerics (by name).

    A restored signature checks the shapes of numpy inputs but lets
    mis-shaped tf.Tensors through; EnsureShape rejects them by name (it
    converts to TFLite and TF.js). The batched inputs must then have the same
    number of rows, at least one: an Assert names them and their row counts
    (the converters drop it; there the graph's own ops fail on a mismatch).
    CheckNumerics makes the TF runtime reject NaN / Inf by name, with ``hint``
    appended; both converters strip it as a debug op, and
    `nan_where_non_finite` covers those runtimes.
    """
    import tensorflow as tf
    shaped = [tf.ensure_shape(t, s.shape, name=f"check_{s.name}")
              for t, s in zip(tensors, specs)]
    shaped = same_batch(shaped, specs)
    return [tf.debugging.check_numerics(t, f"input '{s.name}' holds NaN or Inf; {hint}")
            for t, s in zip(shaped, specs)]


def same_batch(tensors, specs):
    """``tensors`` behind an Assert that every batched one (rank >= 1) has the
    same number of rows, at least 1; the message names them and the rows."""
    import tensorflow as tf
    batched = [(t, s.name) for t, s in zip(tensors, specs) if s.shape.rank]
    if not batched:
        return tensors
    rows = [tf.shape(t)[0] for t, _ in batched]
    names = [name for _, name in batched]
    ok = tf.reduce_all(tf.stack([r > 0 for r in rows] + [tf.equal(r, rows[0])
                                                         for r in rows[1:]]))
    what = (f"inputs {' and '.join(names)} must have the same number of rows (one per "
            "sample), at least 1" if len(names) > 1 else
            f"input {names[0]} must have at least 1 row (one per sample)")
    check = tf.debugging.Assert(ok, [f"{what}; got rows of {', '.join(names)}:", *rows],
                                name="check_batch")
    with tf.control_dependencies([check]):
        return [tf.identity(t) for t in tensors]


def hub_module(interface, config, g_frozen, d_frozen):
    """A ``tf.Module`` whose ``default`` / ``discriminator`` functions inline the
    frozen graphs behind the input checks, with the inputs of ``interface``;
    returns ``(module, signatures)`` for ``tf.saved_model.save``. With
    ``d_frozen=None`` there is no ``discriminator`` signature."""
    import tensorflow as tf
    g_specs = interface.generator_specs(config)
    d_specs = interface.discriminator_specs(config)

    def default(*inputs):
        args = checked_inputs(list(inputs), g_specs, interface.generator_hint)
        images = nan_where_non_finite(import_frozen(g_frozen, args, "generator"), args)
        return {OUTPUT_KEY: tf.identity(images, name="images")}

    def discriminator(*inputs):
        args = checked_inputs(list(inputs), d_specs, interface.discriminator_hint)
        logits = nan_where_non_finite(import_frozen(d_frozen, args, "discriminator"), args)
        return {LOGITS_KEY: tf.identity(logits, name="logits")}

    # Signature inputs (and the keywords of the saved functions) are named
    # after the Python parameters.
    module = tf.Module()
    module.default = tf.function(named(default, [s.name for s in g_specs], SIGNATURE),
                                 input_signature=g_specs, autograph=False)
    signatures = {SIGNATURE: module.default}
    if d_frozen is not None:
        module.discriminator = tf.function(
            named(discriminator, [s.name for s in d_specs], DISCRIMINATOR_SIGNATURE),
            input_signature=d_specs, autograph=False)
        signatures[DISCRIMINATOR_SIGNATURE] = module.discriminator
    return module, signatures


def write_saved_model(source, interface, folder, report, log):
    """Freezes the models and saves the hub module into ``folder``.

    The generator always; the discriminator when the source has one.
    Everything traced here is dropped (and collected) on return, before the
    self-check loads the result: each holds copies of every constant.
    """
    import tensorflow as tf
    cfg = source.config
    start = time.perf_counter()
    g_frozen = freeze_model(interface.generator_call(source.generator),
                            interface.generator_specs(cfg), interface.folding(source.generator))
    d_frozen = (None if source.discriminator is None else freeze_model(
        interface.discriminator_call(source.discriminator),
        interface.discriminator_specs(cfg), interface.folding(source.discriminator)))
    report["freeze_seconds"] = round(time.perf_counter() - start, 2)
    log(f"froze the {interface.family_title} generator"
        f"{'' if d_frozen is None else ' and discriminator'} in {report['freeze_seconds']} s")
    module, signatures = hub_module(interface, cfg, g_frozen, d_frozen)
    start = time.perf_counter()
    tf.saved_model.save(module, folder, signatures=signatures)
    report["save_seconds"] = round(time.perf_counter() - start, 2)
    del module, signatures, g_frozen, d_frozen
    gc.collect()
