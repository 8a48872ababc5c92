#!/usr/bin/env node
// Run a TF.js graph model in Node with plain @tensorflow/tfjs (pure-JS CPU
// backend, no native binaries) and write its outputs to disk.
//
// Usage:
//   node run_graph_model.mjs --model_dir DIR --request REQUEST.json \
//        --output_dir DIR [--resolve_from DIR] [--backend cpu]
//
// REQUEST.json lists one or more runs; every input is a raw little-endian
// binary file next to REQUEST.json:
//   {"runs": [{"inputs": {"z": {"dtype": "float32", "shape": [2, 128],
//                               "file": "run0_z.bin"}, ...}}, ...]}
//
// Writes OUTPUT_DIR/result.json:
//   {"tfjs_version", "backend", "load_ms",
//    "runs": [{"ms", "outputs": {"<name>": {"dtype", "shape", "file"}}}]}
// and one OUTPUT_DIR/run<i>_<name>.bin per output tensor.
//
// The model is loaded with tf.io.fromMemory from model.json plus its weight
// shards read from disk: `file://` URLs need @tensorflow/tfjs-node, whose
// install downloads a native binary.
//
// --resolve_from is a directory inside (or above) the node_modules that holds
// @tensorflow/tfjs; it defaults to this script's own location.

import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';

const DTYPES = {
  float32: Float32Array,
  int32: Int32Array,
  bool: Uint8Array,
};

function parseArgs(argv) {
  const args = {backend: 'cpu'};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      throw new Error(`Unexpected argument "${arg}"; expected --name value pairs.`);
    }
    const eq = arg.indexOf('=');
    if (eq >= 0) {
      args[arg.slice(2, eq)] = arg.slice(eq + 1);
    } else {
      args[arg.slice(2)] = argv[++i];
    }
  }
  for (const required of ['model_dir', 'request', 'output_dir']) {
    if (!args[required]) {
      throw new Error(`Missing --${required}. Usage: node run_graph_model.mjs ` +
                      '--model_dir DIR --request REQUEST.json --output_dir DIR');
    }
  }
  return args;
}

function loadTfjs(resolveFrom) {
  const base = resolveFrom ?
      path.join(path.resolve(resolveFrom), 'noop.js') : import.meta.url;
  const require = createRequire(base);
  try {
    return require('@tensorflow/tfjs');
  } catch (err) {
    throw new Error(
        'Cannot load @tensorflow/tfjs (' + err.message.split('\n')[0] + '). ' +
        'Install it with `npm ci` in the repository root (package.json pins ' +
        '@tensorflow/tfjs 4.22.0), or pass --resolve_from pointing at a ' +
        'directory whose node_modules holds it.');
  }
}

/** Reads model.json and its weight shards into ModelArtifacts. */
function readArtifacts(modelDir) {
  const jsonPath = path.join(modelDir, 'model.json');
  if (!fs.existsSync(jsonPath)) {
    throw new Error(`No model.json in ${modelDir}; convert the SavedModel with ` +
                    '`python -m hub_export.tfjs` first.');
  }
  const modelJson = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  const weightSpecs = [];
  const buffers = [];
  for (const group of modelJson.weightsManifest || []) {
    weightSpecs.push(...group.weights);
    for (const shard of group.paths) {
      buffers.push(fs.readFileSync(path.join(modelDir, shard)));
    }
  }
  const all = Buffer.concat(buffers);
  // Copy into a fresh ArrayBuffer: a Buffer may be a view into a shared pool.
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return {
    modelTopology: modelJson.modelTopology,
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy,
    signature: modelJson.signature,
    userDefinedMetadata: modelJson.userDefinedMetadata,
    modelInitializer: modelJson.modelInitializer,
    weightSpecs,
    weightData,
  };
}

function readInput(tf, requestDir, name, spec) {
  const TypedArray = DTYPES[spec.dtype];
  if (!TypedArray) {
    throw new Error(`Input "${name}": unsupported dtype ${spec.dtype}; ` +
                    `use one of ${Object.keys(DTYPES).join(', ')}.`);
  }
  const raw = fs.readFileSync(path.join(requestDir, spec.file));
  const values = new TypedArray(
      raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return tf.tensor(values, spec.shape, spec.dtype);
}

/** Normalises execute() results (tensor, array or named map) to a map. */
function namedOutputs(model, result) {
  if (result instanceof Array) {
    const names = model.outputs.map((o) => o.name);
    return Object.fromEntries(result.map((t, i) => [names[i], t]));
  }
  if (result && typeof result.dataSync === 'function') {
    const sig = model.modelSignature && model.modelSignature.outputs;
    const name = sig ? Object.keys(sig)[0] : model.outputs[0].name;
    return {[name]: result};
  }
  return result;
}

/** execute() for plain graphs; executeAsync() when the graph needs it. */
async function execute(model, inputs) {
  try {
    return model.execute(inputs);
  } catch (err) {
    if (!/executeAsync/.test(err.message)) throw err;
    return model.executeAsync(inputs);
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const tf = loadTfjs(args.resolve_from);
  await tf.setBackend(args.backend);
  await tf.ready();

  const requestPath = path.resolve(args.request);
  const requestDir = path.dirname(requestPath);
  const request = JSON.parse(fs.readFileSync(requestPath, 'utf8'));
  fs.mkdirSync(args.output_dir, {recursive: true});

  const t0 = performance.now();
  const model = await tf.loadGraphModel(tf.io.fromMemory(readArtifacts(args.model_dir)));
  const loadMs = performance.now() - t0;

  const runs = [];
  for (const [i, run] of request.runs.entries()) {
    const inputs = {};
    for (const [name, spec] of Object.entries(run.inputs)) {
      inputs[name] = readInput(tf, requestDir, name, spec);
    }
    const start = performance.now();
    const outputs = namedOutputs(model, await execute(model, inputs));
    const written = {};
    for (const [name, tensor] of Object.entries(outputs)) {
      const data = await tensor.data();
      const file = `run${i}_${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.bin`;
      fs.writeFileSync(path.join(args.output_dir, file),
                       Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      written[name] = {dtype: tensor.dtype, shape: tensor.shape, file};
    }
    runs.push({ms: performance.now() - start, outputs: written});
    tf.dispose([...Object.values(inputs), ...Object.values(outputs)]);
  }

  const result = {
    tfjs_version: tf.version.tfjs,
    backend: tf.getBackend(),
    load_ms: loadMs,
    runs,
  };
  fs.writeFileSync(path.join(args.output_dir, 'result.json'),
                   JSON.stringify(result, null, 1));
}

main().catch((err) => {
  console.error(`run_graph_model.mjs: ${err.message}`);
  process.exit(1);
});
