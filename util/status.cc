#include "util/status.h"

namespace dolmetsch {

const char* StatusCodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk: return "ok";
    case Status::Code::kInvalidArgument: return "invalid argument";
    case Status::Code::kNotFound: return "not found";
    case Status::Code::kCorruption: return "corruption";
    case Status::Code::kUnsupported: return "unsupported";
    case Status::Code::kIoError: return "I/O error";
    case Status::Code::kUnavailable: return "unavailable";
    case Status::Code::kResourceExhausted: return "resource exhausted";
    case Status::Code::kDeadlineExceeded: return "deadline exceeded";
    case Status::Code::kCancelled: return "cancelled";
    case Status::Code::kInternal: return "internal error";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

Status Status::WithContext(const std::string& prefix) const {
  if (ok()) return *this;
  return Status(code_, prefix + ": " + message_);
}

}  // namespace dolmetsch
