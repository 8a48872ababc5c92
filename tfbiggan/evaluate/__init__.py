"""Evaluating generators, one module per job:

- ``extractors``: the feature extractor of an evaluation, from a spec;
- ``classifier``: the dataset classifier used as extractor for small data;
- ``references``: reference statistics of real images, cached per extractor;
- ``generate``: latents, labels and batched generator calls;
- ``scoring``: metrics of a generator, and the truncation sweep;
- ``pictures``, ``png``, ``plots``: class grids, interpolations, PNG grids,
  figures;
- ``hook``: the evaluation the training loop runs every ``--eval_every`` steps;
- ``cli``: ``python -m tfbiggan.evaluate``.
"""
