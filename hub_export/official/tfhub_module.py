"""Reading a BigGAN-deep module in the TF1 Hub format (``deepmind/biggan-deep-N/1``).

A module directory holds ``saved_model.pb`` (the graph), ``tfhub_module.pb``
(the TF1 Hub marker) and ``variables/variables.{index,data-*}`` (a TF1
checkpoint of the EMA weights and the spectral-norm vectors ``u0``). The 51
standing statistics of each batch norm are not variables: they are tensors
``stack_N`` of the graph (see ``names``), which are evaluated here without
running the generator. Nothing is unpickled; the checkpoint is read tensor by
tensor, so memory stays near one copy of the weights.

What could differ on the real files (they cannot be downloaded here): the
exact shapes of ``u0`` ([1, out] in Sonnet's spectral norm, [out] would also
be accepted), of ``gamma`` ([1]) and of the head's batch-norm vectors, all of
which are compared up to size-1 dimensions as hf's converter does; and what
the ``stack_N`` tensors are computed from. They must be constants of the
graph; a statistics tensor that reads a variable or an input is refused with
an error naming the op. Tensors of the checkpoint that no weight uses are
refused too (``--ignore_unused`` skips them knowingly).
"""
import os
import re

from hub_export.checks import read_saved_model
from hub_export.official import configs, names
from hub_export.official.assign import SourceTensorError

FORMAT = "tfhub-module"
MARKER = "tfhub_module.pb"
CHECKPOINT = os.path.join("variables", "variables")
SCOPE = "module_apply_default/"   # where hub.Module applies the graph (hf's names)
# Ops that read an input or a variable: statistics must not depend on them.
_INPUT_OPS = frozenset({"Placeholder", "PlaceholderWithDefault", "VariableV2", "Variable",
                        "VarHandleOp", "ReadVariableOp", "ResourceGather"})
_GBLOCK = re.compile(r"^Generator/(GBlock(?:_(\d+))?)/")


def is_tfhub_module(path):
    """True when ``path`` has the three parts of a TF1 Hub module."""
    return all(os.path.isfile(os.path.join(path, name)) for name in (
        "saved_model.pb", MARKER, CHECKPOINT + ".index"))


def _meta_graph(path):
    """The module's default graph variant: hub.load uses the one without tags."""
    metas = list(read_saved_model(path).meta_graphs)
    if not metas:
        raise SourceTensorError(f"{path}/saved_model.pb holds no graph.")
    return next((m for m in metas if not m.meta_info_def.tags), metas[0])


def _evaluate_constants(graph_def, node_names, path):
    """Values of graph nodes that depend on constants only, as numpy arrays."""
    import tensorflow as tf
    sub = tf.compat.v1.graph_util.extract_sub_graph(graph_def, list(node_names))
    for node in sub.node:
        if node.op in _INPUT_OPS:
            raise SourceTensorError(
                f"{path}/saved_model.pb: the statistics tensors depend on {node.op} "
                f"{node.name!r}; tfbiggan reads them only when they are constants of "
                "the graph. Please report this module.")
    with tf.Graph().as_default() as graph:
        tf.graph_util.import_graph_def(sub, name="")
        with tf.compat.v1.Session(graph=graph) as session:
            return session.run([f"{name}:0" for name in node_names])


class TfhubModule:
    """The tensors of a TF1 Hub module: checkpoint variables by name, plus the
    statistics ``stack_N`` once ``load_statistics`` has read them."""

    format = FORMAT

    def __init__(self, path):
        import tensorflow as tf
        if not is_tfhub_module(path):
            raise FileNotFoundError(
                f"{path!r} is not a TF1 Hub module: it needs saved_model.pb, {MARKER} "
                f"and {CHECKPOINT}.index.")
        self.path = os.path.abspath(path)
        try:
            self._reader = tf.train.load_checkpoint(os.path.join(self.path, CHECKPOINT))
        except Exception as err:  # tf raises several types for damaged files
            raise SourceTensorError(f"{self.path}/{CHECKPOINT}: unreadable checkpoint "
                                    f"({err}).") from err
        self.shapes = {name: tuple(shape) for name, shape in
                       self._reader.get_variable_to_shape_map().items()}
        self._statistics = {}

    def read(self, name):
        if name in self._statistics:
            return self._statistics[name]
        return self._reader.get_tensor(name)

    def infer_config(self):
        """``(preset or None, BigGANConfig)`` from the weight shapes."""
        shapes = self.shapes
        if any("/HyperBN" in n or n.startswith("Generator/G_Z/") for n in shapes):
            raise SourceTensorError(
                f"{self.path}: this is a non-deep BigGAN module (deepmind/biggan-N/2); "
                "only the BigGAN-deep modules (deepmind/biggan-deep-N/1) are supported, "
                "because no reference documents where the non-deep modules keep their "
                "51 standing statistics.")
        linear = f"{names.TFHUB_LINEAR}/w/{names.TFHUB_EMA}"
        for name in (names.TFHUB_EMBEDDING, linear):
            if name not in shapes:
                raise SourceTensorError(f"{self.path}: tensor {name!r} is missing; this is "
                                        "not a BigGAN-deep module (deepmind/biggan-deep-N/1).")
        num_classes, embed_dim = shapes[names.TFHUB_EMBEDDING]
        cond_dim, linear_out = shapes[linear]
        indices = sorted({int(m.group(2) or 0) for n in shapes for m in [_GBLOCK.match(n)] if m})
        resolution = 4 * 2 ** (len(indices) // 2)
        if indices != list(range(len(indices))) or len(indices) % 2 or \
                resolution not in configs.G_STAGES:
            raise SourceTensorError(f"{self.path}: blocks GBlock_{indices} do not form a "
                                    "BigGAN-deep generator (2 per stage, numbered from 0).")
        first_mult = configs.G_STAGES[resolution][0][0]
        g_ch, rest = divmod(linear_out, 16 * first_mult)
        if rest:
            raise SourceTensorError(f"{self.path}: {linear!r} has {linear_out} outputs, not "
                                    f"4 * 4 * {first_mult} * ch.")
        theta = f"{names.TFHUB_ATTENTION}/theta/w/{names.TFHUB_EMA}"
        try:
            attention = (configs.attention_resolution(resolution, shapes[theta][2], g_ch)
                         if theta in shapes else 0)
        except ValueError as err:
            raise SourceTensorError(f"{self.path}: {err}") from err
        return configs.deep_config(resolution, num_classes, cond_dim - embed_dim, g_ch,
                                   embed_dim, attention)

    def load_statistics(self, stat_names):
        """Evaluates the ``stack_N`` tensors ``stat_names`` from the graph.

        Also refuses a graph that holds statistics for one more batch norm
        than ``stat_names`` covers (the layout would leave them unused).
        """
        graph_def = _meta_graph(self.path).graph_def
        nodes = {node.name for node in graph_def.node}
        prefix = SCOPE if not any(n in nodes for n in stat_names) and any(
            SCOPE + n in nodes for n in stat_names) else ""
        absent = [n for n in stat_names if prefix + n not in nodes]
        if absent:
            raise SourceTensorError(
                f"{self.path}/saved_model.pb: statistics tensor {absent[0]!r} is missing "
                f"({len(absent)} of {len(stat_names)} are); the official modules hold the "
                "51 standing statistics of each batch norm as graph tensors stack_N.")
        numbers = sorted(int(n.rsplit("_", 1)[1]) for n in stat_names)
        step = names.STATS_PER_BATCH_NORM
        extra = [f"stack_{numbers[-2] + step}", f"stack_{numbers[-1] + step}"]
        wanted = [prefix + n for n in stat_names]
        if all(prefix + n in nodes for n in extra):
            wanted += [prefix + n for n in extra]
        values = _evaluate_constants(graph_def, wanted, self.path)
        self._statistics = dict(zip(stat_names, values[:len(stat_names)]))
        leftover = values[len(stat_names):]
        if leftover and all(v.ndim == 2 and v.shape[0] == 51 for v in leftover):
            raise SourceTensorError(
                f"{self.path}/saved_model.pb: {extra[0]!r} and {extra[1]!r} look like the "
                "statistics of one more batch norm than the layout has; the module does "
                "not match the generator its weights describe.")
        self.shapes.update({n: tuple(v.shape) for n, v in self._statistics.items()})


def statistics_names(plan):
    """The ``stack_N`` names a plan uses."""
    return [s for entry in plan for s in entry.sources if s.startswith("stack_")]
