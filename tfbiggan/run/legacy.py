"""Upgrading checkpoints written before the layer renames of tfbiggan 0.2.

tfbiggan 0.1 named some layers in ways that did not explain themselves:

- blocks were numbered by their position in a list that also held the
  attention layer, so a BigGAN-deep generator went ``block7, attention,
  block9`` (0.2: ``block7, attention, block8``); discriminators likewise;
- the conditional batch norm's projections were ``gain`` and ``bias``
  (0.2: ``scale`` and ``offset``, the official checkpoints' names);
- the unconditional batch norm's weights were ``gamma`` and ``beta``
  (0.2: ``scale`` and ``offset``).

Checkpoint keys and the object graph stored inside a checkpoint follow these
names, so an old checkpoint would not restore. ``upgrade_if_legacy(prefix)``
rewrites such a checkpoint in place under the new names: the same tensors,
bit for bit, and an object graph with the children renamed. The run loaders
call it before restoring, so old runs keep working.
"""
import re

import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2

from tfbiggan.run.tensor_io import read_all_tensors, write_tensors

OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
MODELS = ("generator", "ema_generator", "discriminator")
_BLOCK = re.compile(r"block(\d+)$")
_BATCH_NORM = re.compile(r"bn\d+$")
_CONDITIONAL = {"gain": "scale", "bias": "offset"}
_PLAIN = {"gamma": "scale", "beta": "offset"}


def _block_renames(names):
    """{old: new} for block names numbered around one attention layer."""
    numbers = sorted(int(m.group(1)) for m in map(_BLOCK.match, names) if m)
    gaps = sorted(set(range(numbers[-1] + 1)) - set(numbers)) if numbers else []
    if not gaps:
        return {}
    gap = gaps[0]
    return {f"block{n}": f"block{n - 1}" for n in numbers if n > gap}


def _rename_path(parts, renames):
    """New names for one path of child names from the root object."""
    parts = list(parts)
    if len(parts) > 1 and parts[0] in MODELS:
        model = parts[0]
        if parts[1] == "out_bn" and len(parts) > 2:
            parts[2] = _PLAIN.get(parts[2], parts[2])
        parts[1] = renames.get(model, {}).get(parts[1], parts[1])
        if len(parts) > 3 and _BLOCK.match(parts[1]) and _BATCH_NORM.match(parts[2]):
            parts[3] = _CONDITIONAL.get(parts[3], parts[3])
    return parts


def _children(graph, node_id):
    return {child.local_name: child.node_id for child in graph.nodes[node_id].children}


def is_legacy(keys):
    """True for the keys of a checkpoint written with the 0.1 layer names."""
    return any(re.search(r"/bn\d+/(gain|bias)/|/out_bn/(gamma|beta)/", key)
               for key in keys)


def upgrade_if_legacy(prefix):
    """Rewrites checkpoint ``prefix`` under the 0.2 names if it has the old
    ones; returns True when it did."""
    if not is_legacy(tf.train.load_checkpoint(prefix).get_variable_to_dtype_map()):
        return False
    tensors, _ = read_all_tensors(prefix)
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(tensors[OBJECT_GRAPH_KEY].numpy())
    root = _children(graph, 0)
    renames = {model: _block_renames(_children(graph, root[model]))
               for model in MODELS if model in root}
    # Rename each child edge from its old path (breadth first from the root).
    seen, queue = {0}, [(0, [])]
    while queue:
        node_id, old_path = queue.pop(0)
        for child in graph.nodes[node_id].children:
            path = old_path + [child.local_name]
            child.local_name = _rename_path(path, renames)[-1]
            if child.node_id not in seen:
                seen.add(child.node_id)
                queue.append((child.node_id, path))
    renamed = {}
    for key, value in tensors.items():
        if key == OBJECT_GRAPH_KEY:
            continue
        head, _, tail = key.partition("/.ATTRIBUTES/")
        new = "/".join(_rename_path(head.split("/"), renames))
        renamed[new + ("/.ATTRIBUTES/" + tail if tail else "")] = value
    for node in graph.nodes:
        for attribute in node.attributes:
            head, _, tail = attribute.checkpoint_key.partition("/.ATTRIBUTES/")
            new = "/".join(_rename_path(head.split("/"), renames))
            attribute.checkpoint_key = new + ("/.ATTRIBUTES/" + tail if tail else "")
    renamed[OBJECT_GRAPH_KEY] = tf.constant(graph.SerializeToString())
    write_tensors(renamed, prefix)
    return True
