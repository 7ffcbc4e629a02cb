// Status and StatusOr<T>: how errors travel in dolmetsch.
//
// Contract: a function that can fail returns a Status (or StatusOr<T>); it never throws across a
// component boundary and never aborts on bad input. The message is written for a person: it names
// the thing that is wrong (a file, a field, a tensor) and, where possible, what to do about it.
// Thread-safety: values; copy freely.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace dolmetsch {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,   // the caller's input is malformed
    kNotFound,          // a file, key or row does not exist
    kCorruption,        // stored data is damaged or truncated
    kUnsupported,       // well-formed, but a feature we do not implement
    kIoError,           // the operating system or network failed
    kUnavailable,       // a dependency (database, translator) is down; retrying may help
    kResourceExhausted, // a limit was reached (queue full, body too large)
    kDeadlineExceeded,
    kCancelled,
    kInternal,
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status Unsupported(std::string msg) { return Status(Code::kUnsupported, std::move(msg)); }
  static Status IoError(std::string msg) { return Status(Code::kIoError, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status ResourceExhausted(std::string msg) {
    return Status(Code::kResourceExhausted, std::move(msg));
  }
  static Status DeadlineExceeded(std::string msg) { return Status(Code::kDeadlineExceeded, std::move(msg)); }
  static Status Cancelled(std::string msg) { return Status(Code::kCancelled, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "corruption: model.safetensors: tensor 'x' ends past the end of the file"
  std::string ToString() const;

  // Returns a copy whose message is "prefix: message" (keeps the code); no-op when ok.
  Status WithContext(const std::string& prefix) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

const char* StatusCodeName(Status::Code code);

// Either a value or a non-ok Status.
template <typename T>
class StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT
    if (status_.ok()) status_ = Status::Internal("StatusOr constructed from an ok Status without a value");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace dolmetsch

// Returns from the enclosing function when `expr` yields a non-ok Status.
#define DOLMETSCH_RETURN_IF_ERROR(expr)            \
  do {                                             \
    ::dolmetsch::Status _dm_status = (expr);       \
    if (!_dm_status.ok()) return _dm_status;       \
  } while (0)

#define DOLMETSCH_CONCAT_INNER(a, b) a##b
#define DOLMETSCH_CONCAT(a, b) DOLMETSCH_CONCAT_INNER(a, b)
// DOLMETSCH_ASSIGN_OR_RETURN(auto x, F()); assigns the value or returns the error.
#define DOLMETSCH_ASSIGN_OR_RETURN(lhs, expr) \
  DOLMETSCH_ASSIGN_OR_RETURN_IMPL(DOLMETSCH_CONCAT(_dm_statusor_, __LINE__), lhs, expr)
#define DOLMETSCH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()
