// UTF-8 validation for inputs that cross a boundary (stdin, HTTP bodies, files).
// Contract: accepts arbitrary bytes; reports the byte offset of the first ill-formed sequence (overlongs,
// surrogates, code points above U+10FFFF and truncated sequences are ill-formed, as in RFC 3629).
// Thread-safety: stateless.
#pragma once

#include <cstddef>
#include <string_view>

namespace dolmetsch {

// Returns true when `text` is well-formed UTF-8; otherwise false and, if error_offset is given, the
// offset of the first byte of the first ill-formed sequence.
bool IsValidUtf8(std::string_view text, std::size_t* error_offset = nullptr);

}  // namespace dolmetsch
