"""Official-weights pipeline at full size: import, memory, TFLite, TF.js, browser.

    python bench/official_weights.py --preset=biggan-deep-128 --work_dir=DIR
        [--formats=tfhub-module,hf-checkpoint] [--stages=import,tflite,tfjs,browser]
        [--standing=accumulate|random] [--backends=webgl,wasm,cpu] [--json=PATH]

The official files cannot be downloaded here, so the source is a synthetic
module in the official format with random weights (``hub_export.official.
synthetic``): the TF1 Hub module is written from a random generator, and the
hf directory is hf's own converter's output for that module (needs torch and
pytorch-pretrained-biggan). Sizes, memory and speed are those of the real
models; the images are noise.

Stages (each runs the project's own command in a child process, so the peak
resident memory (ru_maxrss from wait4) is that command's alone):

* import: ``python -m hub_export.import_weights`` per format: seconds, peak
  RSS, export size.
* tflite: ``python -m hub_export.tflite --variants=float32,float16``: sizes and
  max|diff| against the SavedModel; then LiteRT load time and ms per image
  (batch 1, default runtime with XNNPACK: the first call, which also packs the
  weights, and the median of 3 more).
* tfjs: ``python -m hub_export.tfjs --quantize=float16 --noverify``, then the
  Node check at batch 1, truncations 0.4 and 1.0 (pure-JS CPU backend).
* browser: the demo page in headless Chromium per backend at ``count=1``:
  load ms (graph + weights until the model is ready), the first image (warm-up:
  shader compilation, wasm start) and 2 more (``--repeat``).

``--standing=accumulate`` (default) fills the statistics from forward passes
at truncations 0, 0.2, ..., 1.0 (minutes at 128 px) so that the random model
is not saturated; ``random`` draws them (for memory runs at 256 / 512 px).
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np
from absl import app, flags

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(1, os.path.join(REPO, "tests"))   # official_helpers: hf's converter

FLAGS = flags.FLAGS
flags.DEFINE_string("preset", "biggan-deep-128", "A BigGAN-deep preset.")
flags.DEFINE_string("work_dir", None, "Folder for sources, exports and conversions.")
flags.DEFINE_list("formats", ["tfhub-module", "hf-checkpoint"], "Source formats.")
flags.DEFINE_list("stages", ["import", "tflite", "tfjs", "browser"], "Stages to run.")
flags.DEFINE_enum("standing", "accumulate", ["accumulate", "random"],
                  "How the synthetic source's statistics are made.")
flags.DEFINE_list("backends", ["webgl", "wasm", "cpu"], "TF.js backends in Chromium.")
flags.DEFINE_integer("browser_timeout_s", 1800, "Per page render.")
flags.DEFINE_string("json", None, "Also write the results here.")


def run_measured(argv, log_path):
    """Runs ``argv``; returns (exit code, seconds, peak RSS in bytes, output)."""
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2")
    start = time.perf_counter()
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    with open(log_path, encoding="utf-8") as f:
        output = f.read()
    print(f"  $ {' '.join(argv[1:])}\n    exit {proc.returncode}, {seconds:.0f} s, "
          f"peak RSS {usage.ru_maxrss / 2**20:.2f} GiB", flush=True)
    if proc.returncode:
        print(output[-3000:])
    return proc.returncode, seconds, usage.ru_maxrss * 1024, output


def size_mib(path):
    if os.path.isfile(path):
        return os.path.getsize(path) / 2**20
    return sum(os.path.getsize(os.path.join(r, n))
               for r, _, names in os.walk(path) for n in names) / 2**20


def write_sources(work):
    """The synthetic sources; reused when already written."""
    from hub_export.official import synthetic
    from tfbiggan.models import get_preset
    from tfbiggan.progress import Progress
    config = get_preset(FLAGS.preset)
    module = os.path.join(work, "tfhub_module")
    if not os.path.isdir(module):
        start = time.perf_counter()
        generator = synthetic.random_generator(
            config, seed=0, standing=FLAGS.standing,
            progress=Progress(len(synthetic.ACCUMULATED_ROWS), "standing statistics"))
        synthetic.write_tfhub_module(module, synthetic.tfhub_tensors(generator), config)
        del generator
        print(f"wrote {module} ({size_mib(module):.0f} MiB, "
              f"{time.perf_counter() - start:.0f} s)", flush=True)
    sources = {"tfhub-module": module}
    if "hf-checkpoint" in FLAGS.formats:
        hf_dir = os.path.join(work, "hf")
        if not os.path.isdir(hf_dir):
            from official_helpers import hf_model_from_tfhub
            model = hf_model_from_tfhub(module, synthetic.hf_config_json(config))
            synthetic.write_hf_checkpoint(hf_dir, model)
            print(f"wrote {hf_dir} ({size_mib(hf_dir):.0f} MiB)", flush=True)
        sources["hf-checkpoint"] = hf_dir
    return sources


def stage_import(work, sources, results):
    for fmt in FLAGS.formats:
        out = os.path.join(work, f"export_{fmt}")
        rc, seconds, rss, _ = run_measured(
            [sys.executable, "-m", "hub_export.import_weights", f"--source={sources[fmt]}",
             f"--output={out}", "--overwrite"], os.path.join(work, f"import_{fmt}.log"))
        results[f"import {fmt}"] = {"exit": rc, "seconds": round(seconds, 1),
                                    "peak_rss_gib": round(rss / 2**30, 2),
                                    "export_mib": round(size_mib(out), 1) if rc == 0 else None}


def stage_tflite(work, export, results):
    from hub_export import checks, tflite
    out = os.path.join(work, "tflite")
    rc, seconds, rss, text = run_measured(
        [sys.executable, "-m", "hub_export.tflite", f"--saved_model={export}",
         f"--output={out}", "--variants=float32,float16"], os.path.join(work, "tflite.log"))
    diffs = dict(re.findall(r"^(float32|float16): max\|diff\| (\S+) vs SavedModel", text, re.M))
    reference = checks.SavedModelReference(export)
    feed = checks.make_inputs(reference.info, 1, 0.4, np.random.default_rng(0))
    for variant in ("float32", "float16"):
        path = os.path.join(out, tflite.output_filename(variant))
        runner, load_s = tflite.load_runner(path)
        start = time.perf_counter()
        runner(**feed)      # the first call also allocates and packs the weights
        first_s = time.perf_counter() - start
        times = []
        for _ in range(3):
            start = time.perf_counter()
            runner(**feed)
            times.append(time.perf_counter() - start)
        results[f"LiteRT {variant}"] = {
            "mib": round(size_mib(path), 1), "load_ms": round(load_s * 1e3, 1),
            "first_image_ms": round(first_s * 1e3),
            "ms_per_image": round(statistics.median(times) * 1e3), "max_abs_diff": diffs.get(
                variant), "convert_and_check_s": round(seconds), "peak_rss_gib":
            round(rss / 2**30, 2)}


def stage_tfjs(work, export, results):
    from hub_export import checks, tfjs
    out = os.path.join(work, "tfjs_float16")
    rc, seconds, rss, _ = run_measured(
        [sys.executable, "-m", "hub_export.tfjs", f"--saved_model={export}", f"--output={out}",
         "--quantize=float16", "--noverify"], os.path.join(work, "tfjs.log"))
    shards = [n for n in os.listdir(out) if n.endswith(".bin")]
    start = time.perf_counter()
    diff = tfjs.verify(out, export, batches=(1,), truncations=(0.4, 1.0), log=print,
                       reference=checks.SavedModelReference(export))
    results["TF.js float16"] = {"mib": round(size_mib(out), 1), "shards": len(shards),
                                "convert_s": round(seconds),
                                "node_max_abs_diff": float(f"{diff:.3g}"),
                                "node_check_s": round(time.perf_counter() - start)}


def stage_browser(work, results):
    from hub_export.web import browser, site
    site_dir = site.build_site(os.path.join(work, "tfjs_float16"), os.path.join(work, "site"))
    server, url = site.serve(site_dir, port=0)
    try:
        for backend in FLAGS.backends:
            start = time.perf_counter()
            report = browser.render(f"{url}?seed=0&count=1&truncation=0.4&backend={backend}",
                                    os.path.join(work, f"page_{backend}.png"),
                                    timeout_s=FLAGS.browser_timeout_s, repeat=2,
                                    search="n0144")
            demo = report["demo"] or {}
            results[f"Chromium {backend}"] = {
                "status": report["status"], "backend": demo.get("backend"),
                "load_ms": round(demo.get("loadMs") or -1),
                "first_image_ms": round(demo.get("firstMs") or -1),
                "ms_per_image": [round(x) for x in report["repeat_ms"]],
                "search_n0144": (report.get("search") or {}).get("shown"),
                "wall_s": round(time.perf_counter() - start)}
            print(f"  {backend}: {results[f'Chromium {backend}']}", flush=True)
            if report["status"] != "ready":
                print("\n".join(report["console"][-10:]))
    finally:
        server.shutdown()
        server.server_close()


def main(argv):
    del argv
    if not FLAGS.work_dir:
        sys.exit("usage: python bench/official_weights.py --work_dir=DIR [--preset=...]")
    work = os.path.abspath(os.path.join(FLAGS.work_dir, FLAGS.preset))
    os.makedirs(work, exist_ok=True)
    results = {"preset": FLAGS.preset, "machine": f"{os.cpu_count()} CPUs"}
    sources = write_sources(work)
    export = os.path.join(work, "export_tfhub-module")
    if "import" in FLAGS.stages:
        stage_import(work, sources, results)
    if "tflite" in FLAGS.stages:
        stage_tflite(work, export, results)
    if "tfjs" in FLAGS.stages:
        stage_tfjs(work, export, results)
    if "browser" in FLAGS.stages:
        stage_browser(work, results)
    print(json.dumps(results, indent=1))
    if FLAGS.json:
        with open(FLAGS.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    app.run(main)
