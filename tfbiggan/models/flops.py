"""Forward FLOPs of a model, counted on its traced TensorFlow graph.

Only the ops that dominate a convolutional GAN are counted, each as
2 x multiply-accumulates (the convention of PyTorch's FlopCounter): Conv2D,
DepthwiseConv2dNative, MatMul, BatchMatMul{,V2,V3} and Einsum. Element-wise
ops, normalisation and softmax are ignored. Nested functions (function-call
ops, control flow bodies) are walked recursively.

Per-image FLOPs are FLOPs(batch 2) - FLOPs(batch 1), so batch-independent work
such as the spectral-norm power iteration on the kernels drops out.

``nominal=True`` counts the architecture as published (upsample, then a 3x3
conv; all ``ch`` head channels), the convention of the reference numbers.
``nominal=False`` counts what the library actually executes, which is less:
The convolutions (``Conv2D``, and ``SNConv2D`` on it) fuse nearest upsampling
into the conv, and BigGAN-deep's head only computes the 3 channels it keeps
(see ``Conv2D.fused_ops``).
"""
import contextlib

import numpy as np
import tensorflow as tf

from tfbiggan.layers import Conv2D

_BATCH_MATMULS = ("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3")


def _dims(tensor):
    shape = tensor.shape
    if shape.rank is None or any(d is None for d in shape.as_list()):
        raise ValueError(
            f"FLOP counting needs static shapes; {tensor.name} has shape {shape}.")
    return shape.as_list()


def _einsum_macs(op):
    equation = op.get_attr("equation").decode()
    inputs, output = equation.split("->")
    sizes = {}
    for spec, tensor in zip(inputs.split(","), op.inputs):
        if "." in spec:
            raise ValueError(f"Einsum with ellipsis is not supported: {equation}.")
        for letter, size in zip(spec, _dims(tensor)):
            sizes[letter] = size
    del output  # every distinct index is iterated over once per MAC
    return int(np.prod([sizes[k] for k in sizes], dtype=np.int64))


def op_macs(op):
    """Multiply-accumulates of one graph op (0 for ops that are not counted)."""
    kind = op.type
    if kind == "Conv2D":
        kh, kw, cin, _ = _dims(op.inputs[1])
        return int(np.prod(_dims(op.outputs[0]), dtype=np.int64)) * kh * kw * cin
    if kind == "DepthwiseConv2dNative":
        kh, kw, _, _ = _dims(op.inputs[1])
        return int(np.prod(_dims(op.outputs[0]), dtype=np.int64)) * kh * kw
    if kind == "MatMul":
        a = _dims(op.inputs[0])
        k = a[0] if op.get_attr("transpose_a") else a[1]
        return int(np.prod(_dims(op.outputs[0]), dtype=np.int64)) * k
    if kind in _BATCH_MATMULS:
        a = _dims(op.inputs[0])
        adjoint = op.get_attr("adj_x")
        k = a[-2] if adjoint else a[-1]
        return int(np.prod(_dims(op.outputs[0]), dtype=np.int64)) * k
    if kind == "Einsum":
        return _einsum_macs(op)
    return 0


def _function_graphs(op, graph):
    """Graphs of the functions an op calls (function-valued attributes)."""
    graphs = []
    for name, attr in op.node_def.attr.items():
        names = []
        if attr.HasField("func"):
            names.append(attr.func.name)
        names.extend(f.name for f in attr.list.func)
        for fname in names:
            fn = graph._get_function(fname)  # pylint: disable=protected-access
            if fn is None:
                raise ValueError(f"Function {fname!r} called by {op.name} ({name}) "
                                 "is not in the graph's library.")
            graphs.append(fn.graph)
    return graphs


def graph_macs(graph):
    """Total multiply-accumulates in ``graph`` and the functions it calls."""
    total = 0
    for op in graph.get_operations():
        total += op_macs(op)
        for inner in _function_graphs(op, graph):
            total += graph_macs(inner)
    return total


def function_flops(fn, *specs):
    """2 x MACs of ``fn`` traced with ``tf.TensorSpec``s of static shape."""
    concrete = tf.function(fn, autograph=False).get_concrete_function(*specs)
    return 2 * graph_macs(concrete.graph)


@contextlib.contextmanager
def reference_ops(model):
    """Within this context every convolution of ``model`` runs unfused."""
    convs = [layer for layer in model._flatten_layers(include_self=False)  # pylint: disable=protected-access
             if isinstance(layer, Conv2D)]
    saved = [conv.fused_ops for conv in convs]
    for conv in convs:
        conv.fused_ops = False
    try:
        yield
    finally:
        for conv, value in zip(convs, saved):
            conv.fused_ops = value


def generator_flops_per_image(generator, nominal=True):
    """Forward FLOPs per image of a built generator in inference mode.

    nominal: count the published architecture (True) or what runs (False).
    """
    cfg = generator.config

    def forward(z, y):
        return generator(z, y, training=False)

    def flops(batch):
        return function_flops(
            forward, tf.TensorSpec([batch, cfg.z_dim], tf.float32),
            tf.TensorSpec([batch, cfg.num_classes], tf.float32))

    with reference_ops(generator) if nominal else contextlib.nullcontext():
        return flops(2) - flops(1)
