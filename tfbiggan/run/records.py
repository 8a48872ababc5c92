"""The evaluation records of a run: ``eval_log.jsonl`` and ``best/best.json``."""
import json
import math

import tensorflow as tf

from tfbiggan.run.files import append_line, write_json
from tfbiggan.run.layout import RunDirError, RunLayout


def append_eval_record(model_dir, step, results):
    """Adds ``{"step": step, **results}`` as one line of ``eval_log.jsonl``."""
    append_line(RunLayout(model_dir).eval_log, json.dumps({"step": int(step), **results}))


def read_eval_log(model_dir):
    """The records of ``eval_log.jsonl``, oldest first ([] when absent).

    Raises RunDirError naming the file and line when a line is not JSON.
    """
    path = RunLayout(model_dir).eval_log
    if not tf.io.gfile.exists(path):
        return []
    with tf.io.gfile.GFile(path) as f:
        lines = f.read().splitlines()
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError as error:
            raise RunDirError(f"{path}, line {number}, is not JSON ({error}); remove "
                              "or repair that line.") from None
    return records


def write_best_record(model_dir, step, checkpoint_name, results):
    """Writes ``best/best.json`` (step, checkpoint name and metrics) atomically."""
    write_json(RunLayout(model_dir).best_record,
               {"step": int(step), "checkpoint": checkpoint_name, **results})


def read_best_record(model_dir):
    """The dict of ``best/best.json``, or None when there is none."""
    path = RunLayout(model_dir).best_record
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as f:
        return json.load(f)


def best_fid(model_dir):
    """The FID of the best checkpoint so far (inf when none)."""
    record = read_best_record(model_dir)
    return float(record.get("fid", math.inf)) if record else math.inf


def read_metrics(model_dir, step=None):
    """A run's evaluation results for a model card, or None.

    Returns ``{"best": best.json, "latest": last eval_log record,
    "exported_step": the record at ``step``}`` with the entries found.
    """
    metrics = {}
    best = read_best_record(model_dir)
    if best:
        metrics["best"] = best
    records = read_eval_log(model_dir)
    if records:
        metrics["latest"] = records[-1]
    at_step = [r for r in records if step is not None and r.get("step") == step]
    if at_step:
        metrics["exported_step"] = at_step[-1]
    return metrics or None
