// HTML and URL text helpers for the pages. Everything a page shows that did not come from a string literal
// in web/pages.cc goes through EscapeHtml; query-string values go through PercentEncode
// (util/percent_encoding.h).
//
// EscapeHtml replaces & < > " ' with character references, so its output is safe both as element text and
// inside a double- or single-quoted attribute value (never unquoted, never inside <script>/<style>, never
// as a URL scheme position: we build URLs ourselves from our own paths). Invalid UTF-8 is replaced by U+FFFD
// so that a browser never resynchronises inside a markup character.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace dolmetsch::web {

std::string EscapeHtml(std::string_view text);

// Replaces ill-formed UTF-8 sequences by U+FFFD (EF BF BD). Valid input comes back unchanged.
std::string SanitizeUtf8(std::string_view text);
bool IsValidUtf8(std::string_view text);

}  // namespace dolmetsch::web
