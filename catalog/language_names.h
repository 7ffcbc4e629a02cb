// English names of the language codes OPUS-MT models use (ISO 639-1, and 639-3 where OPUS-MT has no
// two-letter code), for LibreTranslate's /languages and the page's pickers. Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

namespace dolmetsch::catalog {

// "de" -> "German"; an unknown code is returned as it is.
std::string LanguageName(std::string_view code);

}  // namespace dolmetsch::catalog
