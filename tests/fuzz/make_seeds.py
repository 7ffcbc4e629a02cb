#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/ (safetensors/ and torch_checkpoint/).

Needs only the Python standard library: the torch.save() pickles are produced by Python's own pickler
with stand-ins for torch's classes, so they carry exactly the opcodes and globals PyTorch writes
(protocol 2, torch._utils._rebuild_tensor_v2, torch.FloatStorage, persistent ids
('storage', type, key, location, numel)). Run from anywhere: python3 tests/fuzz/make_seeds.py
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- stand-ins for torch, so pickle writes "torch._utils\n_rebuild_tensor_v2" etc. ----
torch_mod = types.ModuleType("torch")
utils_mod = types.ModuleType("torch._utils")
sys.modules["torch"] = torch_mod
sys.modules["torch._utils"] = utils_mod


def _rebuild_tensor_v2(*args):  # never called: we only pickle
    raise NotImplementedError


def _rebuild_parameter(*args):
    raise NotImplementedError


for fn in (_rebuild_tensor_v2, _rebuild_parameter):
    fn.__module__ = "torch._utils"
    setattr(utils_mod, fn.__name__, fn)

STORAGE_TYPES = {}
for name, fmt in (("FloatStorage", "<f"), ("HalfStorage", "<e"), ("BFloat16Storage", None),
                  ("DoubleStorage", "<d"), ("LongStorage", "<q")):
    cls = type(name, (), {})
    cls.__module__ = "torch"
    setattr(torch_mod, name, cls)
    STORAGE_TYPES[name] = (cls, fmt)


def pack(storage_type, values):
    cls, fmt = STORAGE_TYPES[storage_type]
    if fmt is None:  # bfloat16: top half of float32
        return b"".join(struct.pack("<f", v)[2:] for v in values)
    return b"".join(struct.pack(fmt, v) for v in values)


class Storage:
    def __init__(self, key, storage_type, values):
        self.key, self.storage_type, self.values = key, storage_type, values


class Tensor:
    def __init__(self, storage, offset, size, stride, parameter=False):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.parameter = parameter

    def __reduce__(self):
        hooks = collections.OrderedDict()
        if self.parameter:
            inner = Tensor(self.storage, self.offset, self.size, self.stride)
            return (_rebuild_parameter, (inner, False, hooks))
        return (_rebuild_tensor_v2, (self.storage, self.offset, tuple(self.size), tuple(self.stride), False, hooks))


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", STORAGE_TYPES[obj.storage_type][0], obj.key, "cpu", len(obj.values))
        return None


def dumps(state_dict):
    buf = io.BytesIO()
    TorchPickler(buf, protocol=2).dump(state_dict)
    return buf.getvalue()


def torch_zip(state_dict, compression=zipfile.ZIP_STORED, prefix="archive"):
    storages = {}
    for t in state_dict.values():
        storages[t.storage.key] = t.storage
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        z.writestr(prefix + "/data.pkl", dumps(state_dict))
        z.writestr(prefix + "/byteorder", "little")
        for key, s in sorted(storages.items()):
            z.writestr(prefix + "/data/" + key, pack(s.storage_type, s.values))
        z.writestr(prefix + "/version", "3\n")
    return buf.getvalue()


# ---- safetensors ----
def safetensors(tensors, metadata={"format": "pt"}):
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def f32(*v):
    return struct.pack("<%df" % len(v), *v)


def write(folder, name, data):
    with open(os.path.join(HERE, folder, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(os.path.join(HERE, "safetensors"), exist_ok=True)
    os.makedirs(os.path.join(HERE, "torch_checkpoint"), exist_ok=True)

    tiny = safetensors({"a.weight": ("F32", [2, 3], f32(1, 2, 3, 4, 5, 6)), "a.bias": ("F32", [3], f32(0.5, -1, 2))})
    write("safetensors", "tiny_f32.safetensors", tiny)
    write("safetensors", "mixed_dtypes.safetensors", safetensors({
        "half": ("F16", [4], struct.pack("<4e", 1.0, -2.0, 0.5, 65504.0)),
        "bf16": ("BF16", [2, 1], pack("BFloat16Storage", [1.0, -3.0])),
        "double": ("F64", [2], struct.pack("<2d", 0.25, -8.0)),
        "scalar": ("F32", [], f32(7)),
        "empty": ("F32", [0, 4], b""),
    }, metadata={"format": "pt", "note": "seed"}))
    write("safetensors", "int64_unsupported.safetensors", safetensors({"ids": ("I64", [2], struct.pack("<2q", 1, 2))}))
    write("safetensors", "no_metadata.safetensors", safetensors({"x": ("F32", [1], f32(1))}, metadata=None))
    # Corrupt ones: truncated data, header length past the end, overlapping offsets, bad JSON.
    write("safetensors", "corrupt_truncated.safetensors", tiny[:-5])
    write("safetensors", "corrupt_header_length.safetensors", struct.pack("<Q", 1 << 40) + tiny[8:])
    overlap = json.dumps({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                          "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}).encode()
    write("safetensors", "corrupt_overlap.safetensors", struct.pack("<Q", len(overlap)) + overlap + f32(1, 2, 3))
    bad = b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]'
    write("safetensors", "corrupt_json.safetensors", struct.pack("<Q", len(bad)) + bad + f32(1))

    # ---- torch.save archives ----
    s0 = Storage("0", "FloatStorage", [float(i) for i in range(12)])
    s1 = Storage("1", "FloatStorage", [0.5, -0.5, 1.5])
    sd = collections.OrderedDict()
    sd["layer.weight"] = Tensor(s0, 0, [3, 4], [4, 1])
    sd["layer.weight_t"] = Tensor(s0, 0, [4, 3], [1, 4])  # transposed view of the same storage
    sd["layer.row"] = Tensor(s0, 8, [4], [1])  # offset into a shared storage
    sd["layer.bias"] = Tensor(s1, 0, [3], [1], parameter=True)
    tiny_pt = torch_zip(sd)
    write("torch_checkpoint", "tiny.pt", tiny_pt)
    write("torch_checkpoint", "tiny_deflate.pt", torch_zip(sd, compression=zipfile.ZIP_DEFLATED))
    h = collections.OrderedDict()
    h["half"] = Tensor(Storage("0", "HalfStorage", [1.0, -2.0, 0.5, 65504.0]), 0, [2, 2], [2, 1])
    h["bf16"] = Tensor(Storage("1", "BFloat16Storage", [1.0, -3.0]), 0, [2], [1])
    h["double"] = Tensor(Storage("2", "DoubleStorage", [0.25, -8.0]), 1, [1], [1])
    write("torch_checkpoint", "half_bf16_double.pt", torch_zip(h))
    write("torch_checkpoint", "long_unsupported.pt",
          torch_zip({"ids": Tensor(Storage("0", "LongStorage", [1, 2]), 0, [2], [1])}))
    write("torch_checkpoint", "corrupt_truncated.pt", tiny_pt[: len(tiny_pt) // 2])
    flipped = bytearray(tiny_pt)
    flipped[tiny_pt.index(b"data.pkl") + 40] ^= 0xFF  # inside the pickle: the CRC no longer matches
    write("torch_checkpoint", "corrupt_crc.pt", bytes(flipped))

    # Bare pickles (start with 0x80): the fuzz target wraps them into an archive whose storages are
    # "0".."3" with 4, 8, 16 and 64 bytes (see engine/io/torch_checkpoint_fuzz.cc).
    p = collections.OrderedDict()
    p["a"] = Tensor(Storage("3", "FloatStorage", [0.0] * 16), 2, [2, 3], [1, 2])
    p["b"] = Tensor(Storage("1", "HalfStorage", [0.0] * 4), 0, [4], [1])
    p["c"] = Tensor(Storage("2", "BFloat16Storage", [0.0] * 8), 0, [2, 2], [4, 1], parameter=True)
    p["d"] = Tensor(Storage("2", "DoubleStorage", [0.0] * 2), 0, [2], [1])
    write("torch_checkpoint", "pickle_tensors.pkl", dumps(p))
    write("torch_checkpoint", "pickle_empty_dict.pkl", dumps({}))
    write("torch_checkpoint", "pickle_protocol4.pkl", pickle.dumps({"x": [1, 2.5, "s", b"b", None, True]}, protocol=4))


if __name__ == "__main__":
    main()
