// torch.save() zip archives: data.pkl (a pickle of a dict of tensors) plus one entry per storage.
//
// The pickle is run on a small VM that knows only the opcodes and globals a state_dict uses. Values live
// in an arena and refer to each other by index, so cycles built by hostile input cannot leak and nothing
// recurses. Tensors are materialized at the end, when their names are known, so errors can name them.
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "engine/io/mapped_file.h"
#include "engine/io/numeric_formats.h"
#include "engine/io/weights.h"
#include "engine/io/zip_archive.h"

namespace dolmetsch::engine {
namespace {

enum class StorageDtype { kFloat32, kFloat16, kBFloat16, kFloat64, kOther };

size_t ElementSize(StorageDtype dtype) {
  switch (dtype) {
    case StorageDtype::kFloat32:
      return 4;
    case StorageDtype::kFloat16:
      return 2;
    case StorageDtype::kBFloat16:
      return 2;
    case StorageDtype::kFloat64:
      return 8;
    case StorageDtype::kOther:
      return 0;
  }
  return 0;
}

// The callables a state_dict pickle may name.
enum class Callable {
  kOrderedDict,
  kRebuildTensorV2,
  kRebuildTensor,
  kRebuildParameter,
  kStorageType,
};

struct PyObject {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kBytes,
    kTuple,
    kList,
    kDict,
    kGlobal,
    kStorage,
    kTensor
  };
  Kind kind = Kind::kNone;
  int64_t int_value = 0;  // kBool, kInt; kStorage: element count
  double float_value = 0;
  std::string text;           // kString, kBytes; kGlobal: "module.name"; kStorage: key
  std::vector<size_t> items;  // kTuple, kList; kDict: key, value, key, value, ...
  // kGlobal
  Callable callable = Callable::kOrderedDict;
  StorageDtype dtype = StorageDtype::kOther;  // kGlobal (storage type), kStorage, kTensor
  // kTensor: storage object, offset, sizes, strides (all in elements)
  size_t storage = 0;
  int64_t storage_offset = 0;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
};

const char* KindName(PyObject::Kind kind) {
  switch (kind) {
    case PyObject::Kind::kNone:
      return "None";
    case PyObject::Kind::kBool:
      return "bool";
    case PyObject::Kind::kInt:
      return "int";
    case PyObject::Kind::kFloat:
      return "float";
    case PyObject::Kind::kString:
      return "str";
    case PyObject::Kind::kBytes:
      return "bytes";
    case PyObject::Kind::kTuple:
      return "tuple";
    case PyObject::Kind::kList:
      return "list";
    case PyObject::Kind::kDict:
      return "dict";
    case PyObject::Kind::kGlobal:
      return "global";
    case PyObject::Kind::kStorage:
      return "storage";
    case PyObject::Kind::kTensor:
      return "tensor";
  }
  return "?";
}

std::string HexByte(uint8_t b) {
  static const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[b >> 4] + digits[b & 0xf];
}

class PickleMachine {
 public:
  explicit PickleMachine(std::string_view program) : program_(program) {}

  // Runs to STOP; returns the index of the resulting object.
  StatusOr<size_t> Run();
  const PyObject& object(size_t i) const { return objects_[i]; }

 private:
  Status Fail(const std::string& what) const {
    return Status::Corruption("data.pkl offset " + std::to_string(op_offset_) + ": " + what);
  }
  Status Unsupported(const std::string& what) const {
    return Status::Unsupported("data.pkl offset " + std::to_string(op_offset_) + ": " + what);
  }
  bool Take(size_t n, std::string_view* out) {
    if (program_.size() - pos_ < n) return false;
    *out = program_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  size_t New(PyObject obj) {
    objects_.push_back(std::move(obj));
    return objects_.size() - 1;
  }
  void Push(size_t id) { stack_.push_back(id); }
  StatusOr<size_t> Pop() {
    if (stack_.size() <= FloorOfStack()) return Fail("pops from an empty stack");
    size_t id = stack_.back();
    stack_.pop_back();
    return id;
  }
  size_t FloorOfStack() const { return marks_.empty() ? 0 : marks_.back(); }
  // Pops everything above the last MARK (and the mark).
  StatusOr<std::vector<size_t>> PopToMark() {
    if (marks_.empty()) return Fail("needs a MARK but there is none");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<size_t> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }
  StatusOr<size_t> MakeTupleFromTop(size_t n) {
    if (stack_.size() < FloorOfStack() + n) return Fail("TUPLE" + std::to_string(n) + " on a short stack");
    PyObject tuple;
    tuple.kind = PyObject::Kind::kTuple;
    tuple.items.assign(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
    stack_.resize(stack_.size() - n);
    return New(std::move(tuple));
  }
  Status Global(const std::string& module, const std::string& name);
  Status Reduce();
  Status PersistentLoad();
  StatusOr<std::vector<int64_t>> IntTuple(size_t id, const char* what) const;

  std::string_view program_;
  size_t pos_ = 0;
  size_t op_offset_ = 0;
  std::vector<PyObject> objects_;
  std::vector<size_t> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint32_t, size_t> memo_;
};

Status PickleMachine::Global(const std::string& module, const std::string& name) {
  PyObject g;
  g.kind = PyObject::Kind::kGlobal;
  g.text = module + "." + name;
  if (module == "collections" && name == "OrderedDict") {
    g.callable = Callable::kOrderedDict;
  } else if (module == "torch._utils" && name == "_rebuild_tensor_v2") {
    g.callable = Callable::kRebuildTensorV2;
  } else if (module == "torch._utils" && name == "_rebuild_tensor") {
    g.callable = Callable::kRebuildTensor;
  } else if (module == "torch._utils" && name == "_rebuild_parameter") {
    g.callable = Callable::kRebuildParameter;
  } else if (module == "torch" && name.size() > 7 && name.ends_with("Storage")) {
    g.callable = Callable::kStorageType;
    if (name == "FloatStorage") {
      g.dtype = StorageDtype::kFloat32;
    } else if (name == "HalfStorage") {
      g.dtype = StorageDtype::kFloat16;
    } else if (name == "BFloat16Storage") {
      g.dtype = StorageDtype::kBFloat16;
    } else if (name == "DoubleStorage") {
      g.dtype = StorageDtype::kFloat64;
    } else {
      g.dtype = StorageDtype::kOther;  // LongStorage etc.: an error once we know the tensor's name
    }
  } else {
    return Unsupported("refers to " + g.text + ", which is not part of a state_dict of tensors");
  }
  Push(New(std::move(g)));
  return Status::Ok();
}

StatusOr<std::vector<int64_t>> PickleMachine::IntTuple(size_t id, const char* what) const {
  const PyObject& t = objects_[id];
  if (t.kind != PyObject::Kind::kTuple) return Fail(std::string(what) + " is not a tuple");
  std::vector<int64_t> values;
  for (size_t item : t.items) {
    if (objects_[item].kind != PyObject::Kind::kInt) return Fail(std::string(what) + " holds a non-integer");
    values.push_back(objects_[item].int_value);
  }
  return values;
}

Status PickleMachine::Reduce() {
  DOLMETSCH_ASSIGN_OR_RETURN(size_t args_id, Pop());
  DOLMETSCH_ASSIGN_OR_RETURN(size_t callable_id, Pop());
  const PyObject callable = objects_[callable_id];  // a copy: objects_ grows below
  if (callable.kind != PyObject::Kind::kGlobal) {
    return Fail(std::string("REDUCE calls a ") + KindName(callable.kind) + ", not a function");
  }
  if (objects_[args_id].kind != PyObject::Kind::kTuple) return Fail("REDUCE arguments are not a tuple");
  const std::vector<size_t> args = objects_[args_id].items;
  switch (callable.callable) {
    case Callable::kOrderedDict: {
      if (!args.empty()) return Unsupported("collections.OrderedDict called with arguments");
      PyObject dict;
      dict.kind = PyObject::Kind::kDict;
      Push(New(std::move(dict)));
      return Status::Ok();
    }
    case Callable::kRebuildTensorV2:
    case Callable::kRebuildTensor: {
      // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      // _rebuild_tensor(storage, storage_offset, size, stride)
      const bool v2 = callable.callable == Callable::kRebuildTensorV2;
      if (v2 ? (args.size() != 6 && args.size() != 7) : args.size() != 4) {
        return Fail(callable.text + " called with " + std::to_string(args.size()) + " arguments");
      }
      if (objects_[args[0]].kind != PyObject::Kind::kStorage)
        return Fail(callable.text + ": argument 1 is not a storage");
      if (objects_[args[1]].kind != PyObject::Kind::kInt)
        return Fail(callable.text + ": storage offset is not an int");
      DOLMETSCH_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, IntTuple(args[2], "tensor size"));
      DOLMETSCH_ASSIGN_OR_RETURN(std::vector<int64_t> strides, IntTuple(args[3], "tensor stride"));
      if (v2) {
        const PyObject& hooks = objects_[args[5]];
        if (hooks.kind != PyObject::Kind::kDict || !hooks.items.empty()) {
          return Unsupported("tensor with backward hooks");
        }
      }
      PyObject tensor;
      tensor.kind = PyObject::Kind::kTensor;
      tensor.storage = args[0];
      tensor.dtype = objects_[args[0]].dtype;
      tensor.storage_offset = objects_[args[1]].int_value;
      tensor.sizes = std::move(sizes);
      tensor.strides = std::move(strides);
      Push(New(std::move(tensor)));
      return Status::Ok();
    }
    case Callable::kRebuildParameter: {
      // _rebuild_parameter(data, requires_grad, backward_hooks): a Parameter is its tensor for us.
      if (args.size() != 3 || objects_[args[0]].kind != PyObject::Kind::kTensor) {
        return Fail("torch._utils._rebuild_parameter expects (tensor, requires_grad, hooks)");
      }
      Push(args[0]);
      return Status::Ok();
    }
    case Callable::kStorageType:
      return Unsupported("constructs " + callable.text + " directly instead of by persistent id");
  }
  return Fail("unknown callable");
}

Status PickleMachine::PersistentLoad() {
  // ('storage', storage_type, key, location, numel)
  DOLMETSCH_ASSIGN_OR_RETURN(size_t pid_id, Pop());
  const PyObject& pid = objects_[pid_id];
  if (pid.kind != PyObject::Kind::kTuple || pid.items.empty() ||
      objects_[pid.items[0]].kind != PyObject::Kind::kString) {
    return Fail("persistent id is not a tuple starting with a string");
  }
  if (objects_[pid.items[0]].text != "storage") {
    return Unsupported("persistent id of type '" + objects_[pid.items[0]].text + "'");
  }
  if (pid.items.size() != 5) return Fail("storage persistent id does not have 5 fields");
  const PyObject& type = objects_[pid.items[1]];
  const PyObject& key = objects_[pid.items[2]];
  const PyObject& numel = objects_[pid.items[4]];
  if (type.kind != PyObject::Kind::kGlobal || type.callable != Callable::kStorageType) {
    return Fail("storage persistent id does not name a storage type");
  }
  if (key.kind != PyObject::Kind::kString) return Fail("storage key is not a string");
  if (numel.kind != PyObject::Kind::kInt || numel.int_value < 0) {
    return Fail("storage size is not a non-negative int");
  }
  PyObject storage;
  storage.kind = PyObject::Kind::kStorage;
  storage.dtype = type.dtype;
  storage.text = key.text;
  storage.int_value = numel.int_value;
  storage.items = {pid.items[1]};  // the storage type, named in errors about unsupported dtypes
  Push(New(std::move(storage)));
  return Status::Ok();
}

StatusOr<size_t> PickleMachine::Run() {
  // Every opcode consumes at least one byte, so the work and the object count are bounded by the size.
  while (true) {
    op_offset_ = pos_;
    std::string_view op_bytes;
    if (!Take(1, &op_bytes)) return Fail("ends without STOP (truncated pickle)");
    const uint8_t op = static_cast<uint8_t>(op_bytes[0]);
    std::string_view arg;
    switch (op) {
      case 0x80: {  // PROTO
        if (!Take(1, &arg)) return Fail("truncated PROTO");
        const uint8_t proto = static_cast<uint8_t>(arg[0]);
        if (proto < 2 || proto > 5) return Unsupported("pickle protocol " + std::to_string(proto));
        break;
      }
      case 0x95: {  // FRAME: a length prefix we can ignore, after checking it
        if (!Take(8, &arg)) return Fail("truncated FRAME");
        if (LoadU64(arg.data()) > program_.size() - pos_) return Fail("FRAME longer than the pickle");
        break;
      }
      case '.': {  // STOP
        DOLMETSCH_ASSIGN_OR_RETURN(size_t result, Pop());
        return result;
      }
      case '(':  // MARK
        marks_.push_back(stack_.size());
        break;
      case '}':    // EMPTY_DICT
      case ']':    // EMPTY_LIST
      case ')': {  // EMPTY_TUPLE
        PyObject obj;
        obj.kind = op == '}'   ? PyObject::Kind::kDict
                   : op == ']' ? PyObject::Kind::kList
                               : PyObject::Kind::kTuple;
        Push(New(std::move(obj)));
        break;
      }
      case 'N': {  // NONE
        Push(New(PyObject{}));
        break;
      }
      case 0x88:    // NEWTRUE
      case 0x89: {  // NEWFALSE
        PyObject obj;
        obj.kind = PyObject::Kind::kBool;
        obj.int_value = op == 0x88;
        Push(New(std::move(obj)));
        break;
      }
      case 'K':    // BININT1
      case 'M':    // BININT2
      case 'J': {  // BININT
        const size_t n = op == 'K' ? 1 : op == 'M' ? 2 : 4;
        if (!Take(n, &arg)) return Fail("truncated integer");
        PyObject obj;
        obj.kind = PyObject::Kind::kInt;
        if (op == 'K') obj.int_value = static_cast<uint8_t>(arg[0]);
        if (op == 'M') obj.int_value = LoadU16(arg.data());
        if (op == 'J') obj.int_value = static_cast<int32_t>(LoadU32(arg.data()));
        Push(New(std::move(obj)));
        break;
      }
      case 0x8a: {  // LONG1: n-byte little-endian two's complement
        if (!Take(1, &arg)) return Fail("truncated LONG1");
        const size_t n = static_cast<uint8_t>(arg[0]);
        if (!Take(n, &arg)) return Fail("truncated LONG1");
        if (n > 8) return Unsupported("integer of " + std::to_string(n) + " bytes");
        uint64_t bits = 0;
        for (size_t i = 0; i < n; ++i) bits |= static_cast<uint64_t>(static_cast<uint8_t>(arg[i])) << (8 * i);
        if (n > 0 && n < 8 && (static_cast<uint8_t>(arg[n - 1]) & 0x80)) bits |= ~uint64_t{0} << (8 * n);
        PyObject obj;
        obj.kind = PyObject::Kind::kInt;
        obj.int_value = static_cast<int64_t>(bits);
        Push(New(std::move(obj)));
        break;
      }
      case 'G': {  // BINFLOAT: big-endian double
        if (!Take(8, &arg)) return Fail("truncated BINFLOAT");
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<uint8_t>(arg[i]);
        PyObject obj;
        obj.kind = PyObject::Kind::kFloat;
        std::memcpy(&obj.float_value, &bits, sizeof bits);
        Push(New(std::move(obj)));
        break;
      }
      case 'X':    // BINUNICODE
      case 0x8c:   // SHORT_BINUNICODE
      case 0x8d:   // BINUNICODE8
      case 'B':    // BINBYTES
      case 'C':    // SHORT_BINBYTES
      case 'U':    // SHORT_BINSTRING
      case 'T': {  // BINSTRING
        const size_t len_size = (op == 0x8c || op == 'C' || op == 'U') ? 1 : op == 0x8d ? 8 : 4;
        if (!Take(len_size, &arg)) return Fail("truncated string length");
        uint64_t len = len_size == 1   ? static_cast<uint8_t>(arg[0])
                       : len_size == 4 ? LoadU32(arg.data())
                                       : LoadU64(arg.data());
        if (op == 'T' && static_cast<int32_t>(len) < 0) return Fail("negative BINSTRING length");
        if (len > program_.size() - pos_)
          return Fail("string of " + std::to_string(len) + " bytes runs past the end");
        Take(len, &arg);
        PyObject obj;
        obj.kind = (op == 'B' || op == 'C') ? PyObject::Kind::kBytes : PyObject::Kind::kString;
        obj.text.assign(arg);
        Push(New(std::move(obj)));
        break;
      }
      case 'c': {  // GLOBAL: "module\nname\n"
        std::string parts[2];
        for (std::string& part : parts) {
          const size_t nl = program_.find('\n', pos_);
          if (nl == std::string_view::npos) return Fail("truncated GLOBAL");
          part.assign(program_.substr(pos_, nl - pos_));
          pos_ = nl + 1;
        }
        DOLMETSCH_RETURN_IF_ERROR(Global(parts[0], parts[1]));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        DOLMETSCH_ASSIGN_OR_RETURN(size_t name, Pop());
        DOLMETSCH_ASSIGN_OR_RETURN(size_t module, Pop());
        if (objects_[name].kind != PyObject::Kind::kString ||
            objects_[module].kind != PyObject::Kind::kString) {
          return Fail("STACK_GLOBAL needs two strings");
        }
        DOLMETSCH_RETURN_IF_ERROR(Global(objects_[module].text, objects_[name].text));
        break;
      }
      case 'Q':  // BINPERSID
        DOLMETSCH_RETURN_IF_ERROR(PersistentLoad());
        break;
      case 'R':  // REDUCE
        DOLMETSCH_RETURN_IF_ERROR(Reduce());
        break;
      case 'b': {  // BUILD: sets state on an object; a dict's attributes (_metadata) do not matter to us
        DOLMETSCH_ASSIGN_OR_RETURN(size_t state, Pop());
        (void)state;
        if (stack_.size() <= FloorOfStack()) return Fail("BUILD on an empty stack");
        const PyObject::Kind kind = objects_[stack_.back()].kind;
        if (kind != PyObject::Kind::kDict && kind != PyObject::Kind::kTensor) {
          return Unsupported(std::string("BUILD on a ") + KindName(kind));
        }
        break;
      }
      case 't': {  // TUPLE
        DOLMETSCH_ASSIGN_OR_RETURN(std::vector<size_t> items, PopToMark());
        PyObject tuple;
        tuple.kind = PyObject::Kind::kTuple;
        tuple.items = std::move(items);
        Push(New(std::move(tuple)));
        break;
      }
      case 0x85:    // TUPLE1
      case 0x86:    // TUPLE2
      case 0x87: {  // TUPLE3
        DOLMETSCH_ASSIGN_OR_RETURN(size_t tuple, MakeTupleFromTop(op - 0x84));
        Push(tuple);
        break;
      }
      case 's': {  // SETITEM
        DOLMETSCH_ASSIGN_OR_RETURN(size_t value, Pop());
        DOLMETSCH_ASSIGN_OR_RETURN(size_t key, Pop());
        if (stack_.size() <= FloorOfStack() || objects_[stack_.back()].kind != PyObject::Kind::kDict) {
          return Fail("SETITEM without a dict");
        }
        objects_[stack_.back()].items.push_back(key);
        objects_[stack_.back()].items.push_back(value);
        break;
      }
      case 'u': {  // SETITEMS
        DOLMETSCH_ASSIGN_OR_RETURN(std::vector<size_t> items, PopToMark());
        if (items.size() % 2 != 0) return Fail("SETITEMS with an odd number of items");
        if (stack_.size() <= FloorOfStack() || objects_[stack_.back()].kind != PyObject::Kind::kDict) {
          return Fail("SETITEMS without a dict");
        }
        std::vector<size_t>& dict = objects_[stack_.back()].items;
        dict.insert(dict.end(), items.begin(), items.end());
        break;
      }
      case 'a': {  // APPEND
        DOLMETSCH_ASSIGN_OR_RETURN(size_t value, Pop());
        if (stack_.size() <= FloorOfStack() || objects_[stack_.back()].kind != PyObject::Kind::kList) {
          return Fail("APPEND without a list");
        }
        objects_[stack_.back()].items.push_back(value);
        break;
      }
      case 'e': {  // APPENDS
        DOLMETSCH_ASSIGN_OR_RETURN(std::vector<size_t> items, PopToMark());
        if (stack_.size() <= FloorOfStack() || objects_[stack_.back()].kind != PyObject::Kind::kList) {
          return Fail("APPENDS without a list");
        }
        std::vector<size_t>& list = objects_[stack_.back()].items;
        list.insert(list.end(), items.begin(), items.end());
        break;
      }
      case '0': {  // POP
        DOLMETSCH_ASSIGN_OR_RETURN(size_t ignored, Pop());
        (void)ignored;
        break;
      }
      case '1': {  // POP_MARK
        DOLMETSCH_ASSIGN_OR_RETURN(std::vector<size_t> ignored, PopToMark());
        break;
      }
      case '2': {  // DUP
        if (stack_.size() <= FloorOfStack()) return Fail("DUP on an empty stack");
        Push(stack_.back());
        break;
      }
      case 'q':     // BINPUT
      case 'r':     // LONG_BINPUT
      case 0x94: {  // MEMOIZE
        uint32_t index;
        if (op == 0x94) {
          index = static_cast<uint32_t>(memo_.size());
        } else {
          if (!Take(op == 'q' ? 1 : 4, &arg)) return Fail("truncated PUT");
          index = op == 'q' ? static_cast<uint8_t>(arg[0]) : LoadU32(arg.data());
        }
        if (stack_.size() <= FloorOfStack()) return Fail("PUT on an empty stack");
        memo_[index] = stack_.back();
        break;
      }
      case 'h':    // BINGET
      case 'j': {  // LONG_BINGET
        if (!Take(op == 'h' ? 1 : 4, &arg)) return Fail("truncated GET");
        const uint32_t index = op == 'h' ? static_cast<uint8_t>(arg[0]) : LoadU32(arg.data());
        auto it = memo_.find(index);
        if (it == memo_.end()) return Fail("GET of memo " + std::to_string(index) + ", which was never PUT");
        Push(it->second);
        break;
      }
      default:
        return Unsupported(
            "pickle opcode " + HexByte(op) +
            (op >= 0x20 && op < 0x7f ? std::string(" ('") + static_cast<char>(op) + "')" : "") +
            " is not used by state_dicts and not supported");
    }
  }
}

struct StorageView {
  std::string_view bytes;
  std::string scratch;  // owns inflated data
};

// Copies `count` elements of `dtype` from `src` to `dst` as float32.
Status ConvertElements(StorageDtype dtype, const char* src, size_t count, float* dst,
                       const std::string& name) {
  switch (dtype) {
    case StorageDtype::kFloat32:
      std::memcpy(dst, src, count * sizeof(float));
      return Status::Ok();
    case StorageDtype::kFloat16:
      for (size_t i = 0; i < count; ++i) dst[i] = HalfToFloat(LoadU16(src + 2 * i));
      return Status::Ok();
    case StorageDtype::kBFloat16:
      for (size_t i = 0; i < count; ++i) dst[i] = BFloat16ToFloat(LoadU16(src + 2 * i));
      return Status::Ok();
    case StorageDtype::kFloat64:
      for (size_t i = 0; i < count; ++i) {
        double d;
        std::memcpy(&d, src + 8 * i, sizeof d);
        if (std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max()) {
          return Status::Unsupported("tensor '" + name + "': float64 value " + std::to_string(d) +
                                     " does not fit float32");
        }
        dst[i] = static_cast<float>(d);
      }
      return Status::Ok();
    case StorageDtype::kOther:
      break;
  }
  return Status::Internal("unreachable dtype");
}

class CheckpointLoader {
 public:
  CheckpointLoader(const ZipReader& zip, std::string prefix, const PickleMachine& vm)
      : zip_(zip), prefix_(std::move(prefix)), vm_(vm) {}

  StatusOr<WeightTensor> Materialize(const std::string& name, const PyObject& tensor);

 private:
  StatusOr<const StorageView*> Storage(const std::string& key);

  const ZipReader& zip_;
  std::string prefix_;
  const PickleMachine& vm_;
  std::map<std::string, std::unique_ptr<StorageView>> storages_;
};

StatusOr<const StorageView*> CheckpointLoader::Storage(const std::string& key) {
  auto it = storages_.find(key);
  if (it != storages_.end()) return it->second.get();
  const std::string entry_name = prefix_ + "data/" + key;
  const ZipEntry* entry = zip_.Find(entry_name);
  if (!entry)
    return Status::Corruption("storage '" + key + "' (" + entry_name + ") is missing from the archive");
  auto view = std::make_unique<StorageView>();
  DOLMETSCH_ASSIGN_OR_RETURN(view->bytes, zip_.Read(*entry, &view->scratch));
  const StorageView* result = view.get();
  storages_.emplace(key, std::move(view));
  return result;
}

StatusOr<WeightTensor> CheckpointLoader::Materialize(const std::string& name, const PyObject& tensor) {
  const std::string where = "tensor '" + name + "'";
  const PyObject& storage = vm_.object(tensor.storage);
  if (storage.dtype == StorageDtype::kOther) {
    const std::string type = vm_.object(storage.items[0]).text;
    return Status::Unsupported(where + " is stored as " + type +
                               "; only Float, Half, BFloat16 (and Double, narrowed) storages are supported");
  }
  const size_t element_size = ElementSize(storage.dtype);
  if (tensor.sizes.size() != tensor.strides.size()) {
    return Status::Corruption(where + " has " + std::to_string(tensor.sizes.size()) + " sizes but " +
                              std::to_string(tensor.strides.size()) + " strides");
  }
  int64_t numel = 1;
  int64_t last_index = tensor.storage_offset;  // of the last element read
  if (tensor.storage_offset < 0) return Status::Corruption(where + " has a negative storage offset");
  for (size_t d = 0; d < tensor.sizes.size(); ++d) {
    const int64_t size = tensor.sizes[d];
    const int64_t stride = tensor.strides[d];
    if (size < 0 || stride < 0) return Status::Corruption(where + " has a negative size or stride");
    if (__builtin_mul_overflow(numel, size, &numel)) return Status::Corruption(where + " is too large");
    int64_t reach;
    if (size > 0 && (__builtin_mul_overflow(size - 1, stride, &reach) ||
                     __builtin_add_overflow(last_index, reach, &last_index))) {
      return Status::Corruption(where + " has strides that overflow");
    }
  }
  const int64_t storage_numel = storage.int_value;
  if (numel > 0 && last_index >= storage_numel) {
    return Status::Corruption(where + " reads element " + std::to_string(last_index) + " of storage '" +
                              storage.text + "', which has only " + std::to_string(storage_numel));
  }
  if (numel > storage_numel) {
    // Only possible with zero strides (expand()); materializing would amplify a small file.
    return Status::Unsupported(where + " is a broadcast view with more elements than its storage");
  }
  StatusOr<const StorageView*> view_or = Storage(storage.text);
  if (!view_or.ok()) return view_or.status().WithContext(where);
  const StorageView* view = *view_or;
  if (view->bytes.size() / element_size != static_cast<uint64_t>(storage_numel) ||
      view->bytes.size() % element_size != 0) {
    return Status::Corruption("storage '" + storage.text + "' has " + std::to_string(view->bytes.size()) +
                              " bytes but should hold " + std::to_string(storage_numel) + " elements of " +
                              std::to_string(element_size) + " bytes");
  }

  WeightTensor out;
  out.shape = tensor.sizes;
  out.values.resize(static_cast<size_t>(numel));
  if (numel == 0) return out;
  const char* base = view->bytes.data();
  // Contiguous (row-major) tensors are one block copy; anything else is walked element by element.
  bool contiguous = true;
  int64_t expected_stride = 1;
  for (size_t d = tensor.sizes.size(); d-- > 0;) {
    if (tensor.sizes[d] != 1 && tensor.strides[d] != expected_stride) contiguous = false;
    expected_stride *= tensor.sizes[d];
  }
  if (contiguous) {
    DOLMETSCH_RETURN_IF_ERROR(ConvertElements(storage.dtype, base + tensor.storage_offset * element_size,
                                              static_cast<size_t>(numel), out.values.data(), name));
    return out;
  }
  const size_t ndim = tensor.sizes.size();
  std::vector<int64_t> index(ndim, 0);
  int64_t offset = tensor.storage_offset;
  for (int64_t i = 0; i < numel; ++i) {
    DOLMETSCH_RETURN_IF_ERROR(ConvertElements(storage.dtype, base + offset * element_size, 1,
                                              &out.values[static_cast<size_t>(i)], name));
    for (size_t d = ndim; d-- > 0;) {
      if (++index[d] < tensor.sizes[d]) {
        offset += tensor.strides[d];
        break;
      }
      offset -= (tensor.sizes[d] - 1) * tensor.strides[d];
      index[d] = 0;
    }
  }
  return out;
}

}  // namespace

StatusOr<WeightMap> ParseTorchCheckpoint(std::string_view bytes) {
  if (bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x80 && static_cast<uint8_t>(bytes[1]) <= 5) {
    return Status::Unsupported(
        "this is a bare pickle (the legacy torch.save format before PyTorch 1.6), not a zip archive; "
        "re-save it with a current PyTorch or convert it to safetensors");
  }
  DOLMETSCH_ASSIGN_OR_RETURN(ZipReader zip, ZipReader::Open(bytes));

  // The archive holds "<name>/data.pkl" and "<name>/data/<key>" for one top-level folder <name>.
  const ZipEntry* pickle_entry = nullptr;
  std::string prefix;
  for (const ZipEntry& entry : zip.entries()) {
    const std::string& n = entry.name;
    if (n == "data.pkl" || (n.ends_with("/data.pkl") && n.find('/') == n.size() - 9)) {
      if (pickle_entry) return Status::Corruption("archive has more than one data.pkl");
      pickle_entry = &entry;
      prefix = n.substr(0, n.size() - 8);
    }
  }
  if (!pickle_entry) return Status::Corruption("archive has no data.pkl (not a torch.save file)");
  if (const ZipEntry* byteorder = zip.Find(prefix + "byteorder")) {
    std::string scratch;
    DOLMETSCH_ASSIGN_OR_RETURN(std::string_view order, zip.Read(*byteorder, &scratch));
    if (order != "little")
      return Status::Unsupported("byte order '" + std::string(order) + "' (only little)");
  }

  std::string pickle_scratch;
  DOLMETSCH_ASSIGN_OR_RETURN(std::string_view pickle, zip.Read(*pickle_entry, &pickle_scratch));
  PickleMachine vm(pickle);
  DOLMETSCH_ASSIGN_OR_RETURN(size_t root_id, vm.Run());
  const PyObject& root = vm.object(root_id);
  if (root.kind != PyObject::Kind::kDict) {
    return Status::Unsupported(std::string("data.pkl holds a ") + KindName(root.kind) +
                               ", not a state_dict (a dict of tensors)");
  }

  // Later keys win, as in Python.
  std::map<std::string, size_t> named;
  for (size_t i = 0; i + 1 < root.items.size(); i += 2) {
    const PyObject& key = vm.object(root.items[i]);
    if (key.kind != PyObject::Kind::kString) {
      return Status::Unsupported(std::string("state_dict has a key of type ") + KindName(key.kind));
    }
    named[key.text] = root.items[i + 1];
  }
  CheckpointLoader loader(zip, prefix, vm);
  WeightMap weights;
  for (const auto& [name, value_id] : named) {
    const PyObject& value = vm.object(value_id);
    if (value.kind != PyObject::Kind::kTensor) {
      std::string hint;
      if (value.kind == PyObject::Kind::kDict)
        hint = " (a training checkpoint? save model.state_dict() instead)";
      return Status::Unsupported("state_dict entry '" + name + "' is a " + KindName(value.kind) +
                                 ", not a tensor" + hint);
    }
    DOLMETSCH_ASSIGN_OR_RETURN(WeightTensor tensor, loader.Materialize(name, value));
    weights.emplace(name, std::move(tensor));
  }
  return weights;
}

StatusOr<WeightMap> ReadTorchCheckpointFile(const std::string& path) {
  StatusOr<MappedFile> file = MappedFile::Open(path);
  if (!file.ok()) return file.status();
  StatusOr<WeightMap> weights = ParseTorchCheckpoint(file->bytes());
  if (!weights.ok()) return weights.status().WithContext(path);
  return weights;
}

}  // namespace dolmetsch::engine
