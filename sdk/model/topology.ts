/**
 * Reads a TF.js Layers model (the `modelTopology` JSON of a `model.json` and its float32 weights)
 * into a float layer graph with `BatchNormalization` and `Rescaling` folded into neighbouring
 * layers. Browser-safe: no TF.js runtime is needed, the JSON and the weight bytes are parsed here.
 *
 * Supported layers: InputLayer, Dense, Conv2D (strides, valid/same padding, channels_last),
 * AveragePooling2D, MaxPooling2D (valid padding), Flatten, Reshape, ReLU (as a layer, an
 * `Activation('relu')`, or a layer's `activation: relu`), Dropout (ignored), BatchNormalization and
 * Rescaling (folded). A `softmax` activation on the last layer is dropped (argmax is unchanged; the
 * proven outputs are the logits). Anything else throws MODEL_UNSUPPORTED with a one-line message.
 */
import { ErrorCodes, ProofworkError } from "../errors.ts";
import { samePadding, windowOut } from "./format.ts";

export const SUPPORTED_LAYERS = [
  "InputLayer",
  "Dense",
  "Conv2D",
  "AveragePooling2D",
  "MaxPooling2D",
  "Flatten",
  "Reshape",
  "ReLU",
  "Activation(relu|linear)",
  "Dropout",
  "BatchNormalization",
  "Rescaling",
] as const;

interface PoolFields {
  name: string;
  inShape: number[];
  outShape: number[];
  pool: [number, number];
  strides: [number, number];
  relu: boolean;
}

/** A float layer after folding (weights in the artifact's layouts). */
export type FloatLayer =
  | {
      kind: "conv2d";
      name: string;
      inShape: number[];
      outShape: number[];
      kernel: [number, number];
      strides: [number, number];
      pad: [number, number, number, number];
      /** flat [outC][kh][kw][inC] */
      weights: Float64Array;
      bias: Float64Array;
      relu: boolean;
    }
  | {
      kind: "dense";
      name: string;
      inShape: number[];
      outShape: number[];
      /** flat [out][in] */
      weights: Float64Array;
      bias: Float64Array;
      relu: boolean;
    }
  | (PoolFields & { kind: "avgpool" })
  | (PoolFields & { kind: "maxpool" })
  | { kind: "reshape"; name: string; inShape: number[]; outShape: number[] };

export interface FloatGraph {
  name: string;
  /** per-sample input shape */
  inputShape: number[];
  /** float input = byte · scale + offset (after folding a leading Rescaling) */
  inputScale: number;
  inputOffset: number;
  layers: FloatLayer[];
  /** notes for the import report (folds, dropped softmax, …) */
  notes: string[];
}

/** What `readLayersModel` / `tf.io.ModelArtifacts` provide. */
export interface LayersModelSource {
  modelTopology: unknown;
  weightSpecs: { name: string; shape: number[]; dtype: string }[];
  weightData: ArrayBuffer;
}

interface KerasLayer {
  class_name: string;
  config: Record<string, unknown> & { name?: string };
  inbound_nodes?: unknown;
}

const unsupported = (msg: string): never => {
  throw new ProofworkError(ErrorCodes.MODEL_UNSUPPORTED, msg);
};

const supportedList = `supported: ${SUPPORTED_LAYERS.join(", ")}`;

/** The layer list of a Sequential or a linear-chain Functional topology. */
function layerList(topology: unknown): { name: string; layers: KerasLayer[] } {
  let t = topology as Record<string, unknown> | undefined;
  if (t && typeof t === "object" && "model_config" in t) t = t.model_config as Record<string, unknown>;
  if (!t || typeof t !== "object") return unsupported("model.json has no modelTopology");
  const cls = String(t.class_name);
  const cfg = t.config as Record<string, unknown> | KerasLayer[] | undefined;
  const layers = Array.isArray(cfg) ? cfg : (cfg?.layers as KerasLayer[] | undefined);
  const name = (!Array.isArray(cfg) && typeof cfg?.name === "string" ? cfg.name : undefined) ?? "model";
  if (!Array.isArray(layers)) return unsupported(`model class ${cls} has no layer list`);
  if (cls === "Sequential") return { name, layers };
  if (cls === "Model" || cls === "Functional") {
    // Accept only a chain: each layer's single inbound is the previous layer.
    layers.forEach((l, i) => {
      if (i === 0) return;
      const text = JSON.stringify(l.inbound_nodes ?? []);
      const prev = layers[i - 1]!.config.name;
      if (!text.includes(`"${String(prev)}"`) || (text.match(/\[\s*"/g) ?? []).length > 1)
        unsupported(
          `layer "${String(l.config.name)}" is not in a single chain (only sequential graphs are supported)`,
        );
    });
    return { name, layers };
  }
  return unsupported(`model class ${cls} is not supported (Sequential or a chain Functional model)`);
}

/** float32 weights by full name. */
function weightTable(src: LayersModelSource): Map<string, { shape: number[]; data: Float32Array }> {
  const table = new Map<string, { shape: number[]; data: Float32Array }>();
  let off = 0;
  for (const s of src.weightSpecs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (s.dtype !== "float32") unsupported(`weight ${s.name} has dtype ${s.dtype} (float32 weights only)`);
    if ("quantization" in s)
      unsupported(`weight ${s.name} is quantized in the manifest (float32 weights only)`);
    table.set(s.name, { shape: s.shape, data: new Float32Array(src.weightData.slice(off, off + 4 * n)) });
    off += 4 * n;
  }
  return table;
}

type Affine = { scale: Float64Array; offset: Float64Array };

/**
 * Parses the topology and weights into a folded float graph. `inputShape` overrides the shape
 * declared by the model (without the batch dimension).
 */
export function readFloatGraph(src: LayersModelSource, opts: { inputShape?: number[] } = {}): FloatGraph {
  const { name, layers } = layerList(src.modelTopology);
  const weights = weightTable(src);
  const notes: string[] = [];
  const w = (layer: string, suffix: string): { shape: number[]; data: Float32Array } | undefined => {
    for (const [k, v] of weights)
      if (k === `${layer}/${suffix}` || k.endsWith(`/${layer}/${suffix}`)) return v;
    return undefined;
  };
  const need = (layer: string, suffix: string): { shape: number[]; data: Float32Array } =>
    w(layer, suffix) ?? unsupported(`layer "${layer}" has no weight "${suffix}" in the weights manifest`);

  let shape: number[] | undefined = opts.inputShape;
  const declared = (cfg: Record<string, unknown>): number[] | undefined => {
    const b = (cfg.batch_input_shape ?? cfg.batch_shape) as (number | null)[] | undefined;
    return Array.isArray(b) ? (b.slice(1) as number[]) : undefined;
  };
  let inputScale = 1;
  let inputOffset = 0;
  const out: FloatLayer[] = [];
  let pending: Affine | undefined; // an affine map on the current tensor, not yet absorbed
  const last = (): FloatLayer | undefined => out[out.length - 1];

  const channelsOf = (s: number[]): number => s[s.length - 1]!;
  const toAffine = (
    c: number,
    scale: ArrayLike<number> | number,
    offset: ArrayLike<number> | number,
  ): Affine => ({
    scale: Float64Array.from({ length: c }, (_, i) => (typeof scale === "number" ? scale : scale[i]!)),
    offset: Float64Array.from({ length: c }, (_, i) => (typeof offset === "number" ? offset : offset[i]!)),
  });
  /** Applies `a` to the outputs of `l` (a linear layer with no activation yet). */
  const foldAfter = (l: FloatLayer & { kind: "conv2d" | "dense" }, a: Affine): void => {
    const oc = l.bias.length;
    const per = l.weights.length / oc;
    for (let o = 0; o < oc; o++) {
      for (let k = 0; k < per; k++) l.weights[o * per + k]! *= a.scale[o]!;
      l.bias[o] = l.bias[o]! * a.scale[o]! + a.offset[o]!;
    }
  };
  /** Applies `a` to the inputs of `l` (before its weights). */
  const foldBefore = (l: FloatLayer & { kind: "conv2d" | "dense" }, a: Affine, lname: string): void => {
    const oc = l.bias.length;
    const per = l.weights.length / oc;
    const ic = a.scale.length;
    const hasOffset = a.offset.some((v) => v !== 0);
    if (hasOffset && l.kind === "conv2d" && l.pad.some((p) => p > 0))
      unsupported(
        `layer "${lname}": an offset (BatchNormalization/Rescaling) before a zero-padded Conv2D cannot be folded exactly`,
      );
    for (let o = 0; o < oc; o++) {
      for (let k = 0; k < per; k++) {
        const c = k % ic;
        l.bias[o] = l.bias[o]! + l.weights[o * per + k]! * a.offset[c]!;
        l.weights[o * per + k]! *= a.scale[c]!;
      }
    }
  };
  const compose = (a: Affine | undefined, b: Affine): Affine =>
    a
      ? {
          scale: a.scale.map((s, i) => s * b.scale[i]!),
          offset: a.offset.map((o, i) => o * b.scale[i]! + b.offset[i]!),
        }
      : b;

  const setRelu = (lname: string): void => {
    if (pending)
      unsupported(`layer "${lname}": ReLU after an unfolded BatchNormalization/Rescaling is not supported`);
    // ReLU commutes with max pooling and reshapes: attach it to the layer that computes the values.
    let i = out.length - 1;
    while (i >= 0 && (out[i]!.kind === "maxpool" || out[i]!.kind === "reshape")) i--;
    const l = out[i];
    if (!l || l.kind === "maxpool" || l.kind === "reshape")
      return unsupported(`layer "${lname}": ReLU directly on the input bytes is not supported`);
    l.relu = true;
  };

  layers.forEach((layer, idx) => {
    const cfg = layer.config;
    const lname = String(cfg.name ?? `layer${idx}`);
    const cls = layer.class_name;
    if (!shape) shape = declared(cfg);
    if (!shape) unsupported(`layer "${lname}": input shape unknown (give inputShape)`);
    const inShape = shape!;
    const isLast = idx === layers.length - 1;
    const activation = (a: unknown): void => {
      const act = String(a ?? "linear");
      if (act === "linear") return;
      if (act === "relu") return setRelu(lname);
      if (act === "softmax" && isLast) {
        notes.push(`dropped softmax of the last layer "${lname}" (outputs are logits; argmax unchanged)`);
        return;
      }
      unsupported(
        `layer "${lname}" (${cls}): activation "${act}" is not supported (relu, linear; softmax on the last layer)`,
      );
    };

    switch (cls) {
      case "InputLayer":
        return;
      case "Dropout":
      case "SpatialDropout2D":
        notes.push(`ignored ${cls} "${lname}" (inference)`);
        return;
      case "Rescaling": {
        const s = Number(cfg.scale ?? 1);
        const o = Number(cfg.offset ?? 0);
        if (out.length === 0 && !pending) {
          inputOffset = inputOffset * s + o;
          inputScale *= s;
          notes.push(
            `folded Rescaling "${lname}" into the input encoding (scale ${inputScale}, offset ${inputOffset})`,
          );
          return;
        }
        const a = toAffine(channelsOf(inShape), s, o);
        const l = last();
        if (!pending && l && (l.kind === "conv2d" || l.kind === "dense") && !l.relu) foldAfter(l, a);
        else pending = compose(pending, a);
        notes.push(`folded Rescaling "${lname}"`);
        return;
      }
      case "BatchNormalization": {
        const axis = Number(Array.isArray(cfg.axis) ? cfg.axis[0] : (cfg.axis ?? -1));
        if (axis !== -1 && axis !== inShape.length)
          unsupported(`layer "${lname}": BatchNormalization must normalize the last axis`);
        const c = channelsOf(inShape);
        const eps = Number(cfg.epsilon ?? 1e-3);
        const gamma = cfg.scale === false ? undefined : need(lname, "gamma").data;
        const beta = cfg.center === false ? undefined : need(lname, "beta").data;
        const mean = need(lname, "moving_mean").data;
        const variance = need(lname, "moving_variance").data;
        const scale = Float64Array.from(
          { length: c },
          (_, i) => (gamma ? gamma[i]! : 1) / Math.sqrt(variance[i]! + eps),
        );
        const offset = Float64Array.from(
          { length: c },
          (_, i) => (beta ? beta[i]! : 0) - mean[i]! * scale[i]!,
        );
        const a: Affine = { scale, offset };
        const l = last();
        if (!pending && l && (l.kind === "conv2d" || l.kind === "dense") && !l.relu) foldAfter(l, a);
        else pending = compose(pending, a);
        notes.push(`folded BatchNormalization "${lname}"`);
        return;
      }
      case "ReLU": {
        if (cfg.max_value !== null && cfg.max_value !== undefined)
          unsupported(`layer "${lname}": ReLU with max_value is not supported`);
        if (Number(cfg.negative_slope ?? 0) !== 0 || Number(cfg.threshold ?? 0) !== 0)
          unsupported(`layer "${lname}": leaky/thresholded ReLU is not supported`);
        setRelu(lname);
        return;
      }
      case "Activation":
        activation(cfg.activation);
        return;
      case "Flatten":
      case "Reshape": {
        if (pending)
          unsupported(`layer "${lname}": BatchNormalization/Rescaling before ${cls} is not supported`);
        const n = inShape.reduce((a, b) => a * b, 1);
        let outShape = [n];
        if (cls === "Reshape") {
          const t = (cfg.target_shape as number[]).slice();
          const known = t.filter((v) => v > 0).reduce((a, b) => a * b, 1);
          outShape = t.map((v) => (v > 0 ? v : n / known));
          if (outShape.reduce((a, b) => a * b, 1) !== n)
            unsupported(`layer "${lname}": Reshape changes the size`);
        }
        out.push({ kind: "reshape", name: lname, inShape, outShape });
        shape = outShape;
        return;
      }
      case "Dense": {
        if (inShape.length !== 1)
          unsupported(`layer "${lname}": Dense on a ${inShape.length}-D tensor (add Flatten)`);
        const n = inShape[0]!;
        const m = Number(cfg.units);
        const kernel = need(lname, "kernel").data; // [in][out]
        const bias = cfg.use_bias === false ? undefined : need(lname, "bias").data;
        const l: FloatLayer = {
          kind: "dense",
          name: lname,
          inShape,
          outShape: [m],
          weights: Float64Array.from({ length: m * n }, (_, k) => kernel[(k % n) * m + Math.floor(k / n)]!),
          bias: Float64Array.from({ length: m }, (_, o) => (bias ? bias[o]! : 0)),
          relu: false,
        };
        if (pending) {
          foldBefore(
            l,
            { scale: expandToFlat(pending.scale, n), offset: expandToFlat(pending.offset, n) },
            lname,
          );
          pending = undefined;
        }
        out.push(l);
        shape = [m];
        activation(cfg.activation);
        return;
      }
      case "Conv2D": {
        if (inShape.length !== 3) unsupported(`layer "${lname}": Conv2D needs an H×W×C input`);
        if ((cfg.data_format ?? "channels_last") !== "channels_last")
          unsupported(`layer "${lname}": data_format must be channels_last`);
        const dil = (cfg.dilation_rate as number[] | undefined) ?? [1, 1];
        if (dil.some((d) => d !== 1)) unsupported(`layer "${lname}": dilated Conv2D is not supported`);
        if (cfg.groups !== undefined && Number(cfg.groups) !== 1)
          unsupported(`layer "${lname}": grouped Conv2D is not supported`);
        const [h, wd, ic] = inShape as [number, number, number];
        const ks = pair(cfg.kernel_size);
        const st = pair(cfg.strides ?? 1);
        const padding = String(cfg.padding ?? "valid");
        let pad: [number, number, number, number] = [0, 0, 0, 0];
        if (padding === "same") {
          const [t, b] = samePadding(h, ks[0], st[0]);
          const [l0, r] = samePadding(wd, ks[1], st[1]);
          pad = [t, l0, b, r];
        } else if (padding !== "valid")
          unsupported(`layer "${lname}": padding "${padding}" is not supported`);
        const oc = Number(cfg.filters);
        const oh = windowOut(h, ks[0], st[0], pad[0], pad[2]);
        const ow = windowOut(wd, ks[1], st[1], pad[1], pad[3]);
        const kernel = need(lname, "kernel").data; // [kh][kw][ic][oc]
        const bias = cfg.use_bias === false ? undefined : need(lname, "bias").data;
        const weightsFlat = new Float64Array(oc * ks[0] * ks[1] * ic);
        for (let o = 0; o < oc; o++)
          for (let i = 0; i < ks[0]; i++)
            for (let j = 0; j < ks[1]; j++)
              for (let c = 0; c < ic; c++)
                weightsFlat[((o * ks[0] + i) * ks[1] + j) * ic + c] =
                  kernel[((i * ks[1] + j) * ic + c) * oc + o]!;
        const l: FloatLayer = {
          kind: "conv2d",
          name: lname,
          inShape,
          outShape: [oh, ow, oc],
          kernel: ks,
          strides: st,
          pad,
          weights: weightsFlat,
          bias: Float64Array.from({ length: oc }, (_, o) => (bias ? bias[o]! : 0)),
          relu: false,
        };
        if (pending) {
          foldBefore(l, pending, lname);
          pending = undefined;
        }
        out.push(l);
        shape = [oh, ow, oc];
        activation(cfg.activation);
        return;
      }
      case "AveragePooling2D":
      case "MaxPooling2D": {
        if (inShape.length !== 3) unsupported(`layer "${lname}": ${cls} needs an H×W×C input`);
        if ((cfg.data_format ?? "channels_last") !== "channels_last")
          unsupported(`layer "${lname}": data_format must be channels_last`);
        if (String(cfg.padding ?? "valid") !== "valid")
          unsupported(`layer "${lname}": ${cls} supports valid padding only`);
        const pool = pair(cfg.pool_size ?? 2);
        const st = pair(cfg.strides ?? cfg.pool_size ?? 2);
        const kind: "maxpool" | "avgpool" = cls === "MaxPooling2D" ? "maxpool" : "avgpool";
        if (pending && kind === "maxpool" && pending.scale.some((s) => s <= 0))
          unsupported(
            `layer "${lname}": a negative-scale BatchNormalization before MaxPooling2D cannot be folded`,
          );
        const [h, wd, c] = inShape as [number, number, number];
        const outShape = [windowOut(h, pool[0], st[0], 0, 0), windowOut(wd, pool[1], st[1], 0, 0), c];
        const fields: PoolFields = { name: lname, inShape, outShape, pool, strides: st, relu: false };
        out.push(kind === "maxpool" ? { kind, ...fields } : { kind, ...fields });
        shape = outShape;
        return;
      }
      default:
        unsupported(`unsupported layer "${lname}" (${cls}); ${supportedList}`);
    }
  });
  if (pending) unsupported("a trailing BatchNormalization/Rescaling could not be folded into a layer");
  if (out.length === 0 || !shape) unsupported("the model has no computing layer");
  return {
    name,
    inputShape: opts.inputShape ?? declared(layers[0]!.config) ?? [],
    inputScale,
    inputOffset,
    layers: out,
    notes,
  };
}

function pair(v: unknown): [number, number] {
  if (Array.isArray(v)) return [Number(v[0]), Number(v[1] ?? v[0])];
  return [Number(v), Number(v)];
}

/** A per-channel vector repeated over a flattened HWC tensor of `n` elements. */
function expandToFlat(perChannel: Float64Array, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => perChannel[i % perChannel.length]!);
}
