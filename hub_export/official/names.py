"""Where each tensor of the official BigGAN-deep files goes in tfbiggan's generator.

One ``Entry`` per generator variable that the files set: the source tensor
names, the shape each must have, and how the values are converted. The
project side is a variable path below the generator, as Keras names it
(``block3/bn1/scale/kernel``); the generator itself gives the target shapes,
so the plans follow ``tfbiggan.models`` and are never restated here.

Sources of the names (facts only; no code is taken from them):

* TF1 Hub modules ``deepmind/biggan-deep-{128,256,512}/1``: huggingface's
  ``pytorch_pretrained_biggan/convert_tf_to_pytorch.py``
  (``build_tf_to_pytorch_map`` and ``extract_batch_norm_stats``), written
  against the real modules. EMA weights are ``.../w/ema_0.9999`` and
  ``.../b/ema_0.9999``; every spectrally normalised weight has its power-
  iteration vector ``.../u0``; the first block is ``GBlock`` and the first
  batch norm of a block ``BatchNorm`` (then ``GBlock_1``, ``BatchNorm_1``...).
  The 51 standing statistics per batch norm are graph tensors: the mean of
  the k-th batch norm in call order (blocks, bn0..bn3 each, then the head) is
  ``stack_{5k+1}``, its variance ``stack_{5k+3}`` (hf reads
  ``module_apply_default/stack_{10i+1, 10i+3, 10i+6, 10i+8}``).
* huggingface's PyTorch port (``pytorch_model.bin``): the state-dict keys of
  its ``BigGAN`` class (``pytorch_pretrained_biggan/model.py``). Spectral norm
  is ``torch.nn.utils.spectral_norm`` (``weight_orig``, ``weight_u``,
  ``weight_v``); ``generator.layers`` holds the blocks with the attention
  layer at its own index, as ``Generator.blocks`` does.

Not supported: the non-deep ``deepmind/biggan-{128,256,512}/2`` modules. Their
weight names (``GBlock/HyperBN``, ``G_Z/G_linear``, ``conv_2d``,
``ema_b999900``, ``u0``/``u1``) are known from BigGAN-PyTorch's
``TFHub/converter.py`` and do not come from compare_gan (whose
``resnet_biggan.py`` names them ``fc_noise``, ``B1/bn1``, ``final_conv``...),
and no reference documents where those modules keep their 51 standing
statistics (BigGAN-PyTorch ports them without truncation).
"""
import dataclasses

TFHUB_EMA = "ema_0.9999"
TFHUB_EMBEDDING = f"linear/w/{TFHUB_EMA}"
TFHUB_LINEAR = "Generator/GenZ/G_linear"
TFHUB_ATTENTION = "Generator/attention"
TFHUB_ATTENTION_CONVS = {"theta": "theta", "phi": "phi", "g": "g", "o": "o_conv"}
HF_ATTENTION_CONVS = {"theta": "snconv1x1_theta", "phi": "snconv1x1_phi",
                      "g": "snconv1x1_g", "o": "snconv1x1_o_conv"}
STATS_PER_BATCH_NORM = 5     # stack_{5k} .. stack_{5k+4} per batch norm
STATS_MEAN_OFFSET, STATS_VARIANCE_OFFSET = 1, 3

# Conversions (``Entry.kind``); each is implemented by the format's reader.
COPY = "copy"                 # same layout
SQUEEZE = "squeeze"           # same values; size-1 dimensions may differ
LINEAR_T = "linear_t"         # torch [out, in] -> [in, out]
CONV_OIHW = "conv_oihw"       # torch [out, in, kh, kw] -> [kh, kw, in, out]
SN_U_FROM_UV = "sn_u_from_uv"  # torch (weight_orig, weight_u, weight_v) -> u


@dataclasses.dataclass(frozen=True)
class Entry:
    """One generator variable and the source tensors that set it.

    ``target``: variable path below the generator; ``sources``: tensor names
    in the file; ``shapes``: the shape each source must have (``SQUEEZE``
    entries accept any shape with the same non-1 dimensions, as hf's
    converter does); ``kind``: the conversion.
    """
    target: str
    sources: tuple
    shapes: tuple
    kind: str


def generator_variables(generator):
    """``{path below the generator: variable}`` of a built generator."""
    prefix = generator.name + "/"
    table = {}
    for variable in generator.variables:
        path = variable.path
        table[path[len(prefix):] if path.startswith(prefix) else path] = variable
    return table


def batch_norm_paths(generator):
    """Batch-norm layer paths in call order: the blocks' bn0..bn3, then out_bn.

    This is the order of the official statistics (``stack_N``, hf's stats list).
    """
    paths = []
    for block in generator.blocks:
        if hasattr(block, "bn3"):
            paths += [f"{block.name}/bn{k}" for k in range(4)]
    return paths + ["out_bn"]


def stats_tensor_names(num_batch_norms):
    """``[(mean_name, variance_name)]`` of the official ``stack_N`` tensors."""
    return [(f"stack_{STATS_PER_BATCH_NORM * k + STATS_MEAN_OFFSET}",
             f"stack_{STATS_PER_BATCH_NORM * k + STATS_VARIANCE_OFFSET}")
            for k in range(num_batch_norms)]


def _require_deep(generator):
    if not generator.config.is_deep:
        raise ValueError("Only BigGAN-deep generators can take the official weights; "
                         f"got a {generator.config.architecture!r} config.")


def _sn_tfhub(prefix, path, shapes, bias=True):
    kernel = shapes[f"{path}/kernel"]
    entries = [Entry(f"{path}/kernel", (f"{prefix}/w/{TFHUB_EMA}",), (kernel,), COPY),
               Entry(f"{path}/sn_u", (f"{prefix}/u0",), ((1, kernel[-1]),), SQUEEZE)]
    if bias:
        entries.append(Entry(f"{path}/bias", (f"{prefix}/b/{TFHUB_EMA}",),
                             (shapes[f"{path}/bias"],), SQUEEZE))
    return entries


def _indexed(stem, index):
    """TF1 scope naming: ``GBlock``, ``GBlock_1``, ``GBlock_2``..."""
    return stem if index == 0 else f"{stem}_{index}"


def tfhub_plan(generator):
    """Entries for a TF1 Hub module of the official BigGAN-deep layout.

    The statistics entries name the ``stack_N`` graph tensors (shape [51, C]).
    """
    _require_deep(generator)
    shapes = {k: tuple(v.shape) for k, v in generator_variables(generator).items()}
    plan = [Entry("shared_embedding/kernel", (TFHUB_EMBEDDING,),
                  (shapes["shared_embedding/kernel"],), COPY)]
    plan += _sn_tfhub(TFHUB_LINEAR, "linear", shapes)
    for block in generator.blocks:
        if not hasattr(block, "bn3"):      # the attention layer
            for ours, theirs in TFHUB_ATTENTION_CONVS.items():
                plan += _sn_tfhub(f"{TFHUB_ATTENTION}/{theirs}", f"{block.name}/{ours}",
                                  shapes, bias=False)
            plan.append(Entry(f"{block.name}/gamma", (f"{TFHUB_ATTENTION}/gamma/{TFHUB_EMA}",),
                              ((1,),), SQUEEZE))
            continue
        index = int(block.name[len("block"):])
        gblock = "Generator/" + _indexed("GBlock", index)
        for k in range(4):
            bn = f"{gblock}/" + _indexed("BatchNorm", k)
            for part in ("scale", "offset"):
                plan += _sn_tfhub(f"{bn}/{part}", f"{block.name}/bn{k}/{part}", shapes,
                                  bias=False)
        for j in range(4):
            plan += _sn_tfhub(f"{gblock}/conv{j}", f"{block.name}/conv{j}", shapes)
    for part in ("scale", "offset"):
        plan.append(Entry(f"out_bn/{part}", (f"Generator/BatchNorm/{part}/{TFHUB_EMA}",),
                          (shapes[f"out_bn/{part}"],), SQUEEZE))
    plan += _sn_tfhub("Generator/conv_to_rgb", "out_conv", shapes)
    bns = batch_norm_paths(generator)
    for path, (mean, variance) in zip(bns, stats_tensor_names(len(bns))):
        plan.append(Entry(f"{path}/standing_mean", (mean,),
                          (shapes[f"{path}/standing_mean"],), COPY))
        plan.append(Entry(f"{path}/standing_variance", (variance,),
                          (shapes[f"{path}/standing_variance"],), COPY))
    return plan


def _torch_shape(kind, shape):
    if kind == LINEAR_T:
        return (shape[1], shape[0])
    if kind == CONV_OIHW:
        return (shape[3], shape[2], shape[0], shape[1])
    return shape


def _sn_hf(prefix, path, shapes, bias=True):
    kernel = shapes[f"{path}/kernel"]
    kind = LINEAR_T if len(kernel) == 2 else CONV_OIHW
    fan_in = 1
    for size in kernel[:-1]:
        fan_in *= size
    weight = f"{prefix}.weight_orig"
    entries = [Entry(f"{path}/kernel", (weight,), (_torch_shape(kind, kernel),), kind),
               Entry(f"{path}/sn_u", (weight, f"{prefix}.weight_u", f"{prefix}.weight_v"),
                     (_torch_shape(kind, kernel), (kernel[-1],), (fan_in,)), SN_U_FROM_UV)]
    if bias:
        entries.append(Entry(f"{path}/bias", (f"{prefix}.bias",),
                             (shapes[f"{path}/bias"],), COPY))
    return entries


def hf_plan(generator):
    """Entries for a ``pytorch_model.bin`` of hf's ``BigGAN`` class.

    ``generator.layers.{i}`` is ``generator.blocks[i]`` (attention included).
    """
    _require_deep(generator)
    shapes = {k: tuple(v.shape) for k, v in generator_variables(generator).items()}
    kernel = shapes["shared_embedding/kernel"]
    plan = [Entry("shared_embedding/kernel", ("embeddings.weight",),
                  ((kernel[1], kernel[0]),), LINEAR_T)]
    plan += _sn_hf("generator.gen_z", "linear", shapes)
    for i, block in enumerate(generator.blocks):
        layer = f"generator.layers.{i}"
        if not hasattr(block, "bn3"):
            for ours, theirs in HF_ATTENTION_CONVS.items():
                plan += _sn_hf(f"{layer}.{theirs}", f"{block.name}/{ours}", shapes, bias=False)
            plan.append(Entry(f"{block.name}/gamma", (f"{layer}.gamma",), ((1,),), SQUEEZE))
            continue
        for k in range(4):
            bn = f"{layer}.bn_{k}"
            for part in ("scale", "offset"):
                plan += _sn_hf(f"{bn}.{part}", f"{block.name}/bn{k}/{part}", shapes, bias=False)
            for ours, theirs in (("standing_mean", "running_means"),
                                 ("standing_variance", "running_vars")):
                target = f"{block.name}/bn{k}/{ours}"
                plan.append(Entry(target, (f"{bn}.{theirs}",), (shapes[target],), COPY))
        for j in range(4):
            plan += _sn_hf(f"{layer}.conv_{j}", f"{block.name}/conv{j}", shapes)
    for ours, theirs in (("scale", "weight"), ("offset", "bias"),
                         ("standing_mean", "running_means"),
                         ("standing_variance", "running_vars")):
        plan.append(Entry(f"out_bn/{ours}", (f"generator.bn.{theirs}",),
                          (shapes[f"out_bn/{ours}"],), COPY))
    plan += _sn_hf("generator.conv_to_rgb", "out_conv", shapes)
    return plan


def derived_targets(generator):
    """Variables no file holds, which the importer sets from the others:

    the moving statistics (used only by ``truncation=None`` calls in Python;
    set to the standing statistics at truncation 1.0), the accumulators of
    the standing-statistics pass (zero) and ``standing_ready`` (1).
    """
    targets = ["standing_ready"]
    for path in batch_norm_paths(generator):
        targets += [f"{path}/{name}" for name in (
            "moving_mean", "moving_variance", "accum_mean", "accum_variance", "accum_count")]
    return targets
