// Encode an OnnxGraph as an ONNX ModelProto: ONNX's own onnx.proto, compiled
// by protoc-gen-es (the onnx-buf package), written by @bufbuild/protobuf.
// Loaded with a dynamic import (see onnx.ts), so only exporters pay for it.
import { create, toBinary } from '@bufbuild/protobuf';
import {
  ModelProtoSchema,
  AttributeProto_AttributeType as AttrType,
  TensorProto_DataType as DataType,
  type AttributeProtoSchema,
  type TensorProtoSchema,
  type ValueInfoProtoSchema,
} from 'onnx-buf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { ONNX_IR_VERSION, ONNX_OPSET, type AttrValue, type OnnxGraph, type OnnxTensor, type OnnxType, type OnnxValue } from './onnx-graph';

const DTYPE: Record<OnnxType, number> = { float: DataType.FLOAT, int64: DataType.INT64, int32: DataType.INT32 };
const utf8 = new TextEncoder();

function tensor(t: OnnxTensor): MessageInitShape<typeof TensorProtoSchema> {
  // raw_data is little-endian, as ONNX requires (every platform WebGPU runs on is)
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice();
  return { name: t.name, dataType: DTYPE[t.type], dims: t.dims.map(BigInt), rawData: raw };
}

function attribute(name: string, v: AttrValue): MessageInitShape<typeof AttributeProtoSchema> {
  if (typeof v === 'number') return { name, type: AttrType.INT, i: BigInt(v) };
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: utf8.encode(v) };
  if (Array.isArray(v)) {
    if (v.every((e) => typeof e === 'string')) return { name, type: AttrType.STRINGS, strings: (v as string[]).map((s) => utf8.encode(s)) };
    return { name, type: AttrType.INTS, ints: (v as number[]).map(BigInt) };
  }
  return { name, type: AttrType.FLOATS, floats: v.floats };
}

function valueInfo(v: OnnxValue): MessageInitShape<typeof ValueInfoProtoSchema> {
  return {
    name: v.name,
    type: {
      value: {
        case: 'tensorType',
        value: {
          elemType: DTYPE[v.type],
          shape: { dim: v.dims.map((d) => ({ value: typeof d === 'number' ? { case: 'dimValue' as const, value: BigInt(d) } : { case: 'dimParam' as const, value: d } })) },
        },
      },
    },
  };
}

/** The serialized ModelProto of `g`. */
export function encodeOnnx(g: OnnxGraph, producerVersion: string): Uint8Array {
  const model = create(ModelProtoSchema, {
    irVersion: BigInt(ONNX_IR_VERSION),
    opsetImport: [{ domain: '', version: BigInt(ONNX_OPSET) }],
    producerName: 'webgpu-bptt',
    producerVersion,
    docString: 'A recurrent model trained with backpropagation through time on WebGPU (webgpu-bptt).',
    metadataProps: Object.entries(g.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: g.name,
      node: g.nodes.map((n) => ({ opType: n.op, name: n.name, input: n.inputs, output: n.outputs, attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v)) })),
      initializer: g.initializers.map(tensor),
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
    },
  });
  return toBinary(ModelProtoSchema, model);
}
