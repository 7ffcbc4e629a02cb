// Base64 (RFC 4648, standard alphabet, '=' padding) encoding, for binary files inside JSON (the translator's
// streamed file answer). Decoding lives with its user (web/security.h Base64Decode, strict).
// Thread-safety: stateless.
#pragma once

#include <string>
#include <string_view>

namespace dolmetsch {

std::string Base64Encode(std::string_view bytes);

}  // namespace dolmetsch
