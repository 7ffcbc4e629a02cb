// Base64 (RFC 4648, standard alphabet, '=' padding): binary files inside JSON (the translator's streamed
// file answer), HTTP basic auth and {SHA} password hashes (web/security.h).
// Thread-safety: stateless.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dolmetsch {

std::string Base64Encode(std::string_view bytes);
// Strict: padding required, only in the last group's last two places; nullopt on any other character or
// length.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace dolmetsch
