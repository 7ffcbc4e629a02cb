// The request and response formats of the translator's HTTP API (docs/api.md is the reference).
//
// ParseTranslateRequest turns the body of POST /translate or POST /v1/translate into a TranslationRequest:
//   legacy (the original app):  {"text_de": "..."}                       -> {"text_en": "..."}
//   LibreTranslate:             q (string|array), source, target, format, alternatives, api_key
//                               as JSON or as form fields (application/x-www-form-urlencoded or multipart)
//   native (/v1/translate):     {"text": string|[strings], "source", "target", "options": {...},
//                               "stream": bool}
// "format": "text" (the default), "html" or "markdown" (LibreTranslate and /v1/translate): markup goes
// through markup/ (MarkupTranslation) and cannot be streamed nor asked for alternatives.
// Every malformed input yields InvalidArgument with a message that names the field and says what is
// expected; nothing here throws or aborts. Thread-safety: pure functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "translator/backend.h"
#include "util/status.h"

namespace dolmetsch::translator {

enum class ApiKind { kLegacy, kLibreTranslate, kNative };

// What the texts are: plain text (the document pipeline) or markup (markup/formats.h).
enum class TextFormat { kText, kHtml, kMarkdown };

struct ApiLimits {
  int max_beam_size = 8;
  int max_n_best = 8;
  int max_length = 512;       // upper bound for options.max_length / max_new_tokens
  size_t max_text_chars = 0;  // 0: unlimited (the body limit still applies)
  size_t max_texts = 10000;   // entries of an array q / text
};

struct TranslationRequest {
  ApiKind kind = ApiKind::kLegacy;
  std::vector<std::string> texts;
  bool texts_is_array = false;  // answer with an array exactly when the request sent one
  SentenceOptions options;
  int alternatives = 0;      // LibreTranslate: extra hypotheses wanted
  bool source_auto = false;  // source "auto": detect each text's language (LibreTranslate: detectedLanguage)
  // Language codes as sent (lower-cased; "" when not sent; source is "" when "auto"). Which pairs are
  // served is the service's business (catalog::ModelCatalog), not the parser's.
  std::string source;
  std::string target;
  bool stream = false;       // native only
  size_t skip_segments = 0;  // native streaming only: segments before this are not translated nor sent
  std::string api_key;       // LibreTranslate only
  TextFormat format = TextFormat::kText;
};

// `content_type` is the request's Content-Type header; `form` holds decoded form fields (name, value)
// when the body was a form, in order (repeated names allowed: q may repeat to send an array).
StatusOr<TranslationRequest> ParseTranslateRequest(
    ApiKind endpoint_kind, const std::string& content_type, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& form, const ApiLimits& limits);

// Decodes application/x-www-form-urlencoded text ('+' is a space, %XX escapes); InvalidArgument on a bad
// escape.
StatusOr<std::vector<std::pair<std::string, std::string>>> ParseUrlEncodedForm(const std::string& body);

// True when the first non-blank byte of `body` is '{' (a JSON object sent with a form Content-Type).
bool LooksLikeJsonObject(const std::string& body);

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool IsValidUtf8(const std::string& s);

// {"error": message} as LibreTranslate and all our endpoints answer errors.
std::string ErrorJson(const std::string& message);

}  // namespace dolmetsch::translator
