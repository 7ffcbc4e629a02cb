#include "translator/api.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "util/utf8.h"

namespace dolmetsch::translator {
namespace {

using json = nlohmann::json;

Status Invalid(const std::string& msg) { return Status::InvalidArgument(msg); }

std::string TypeName(const json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  return "an object";
}

Status CheckText(const std::string& field, const std::string& text, const ApiLimits& limits) {
  if (!IsValidUtf8(text)) return Invalid("'" + field + "' is not valid UTF-8");
  if (limits.max_text_chars > 0) {
    size_t chars = 0;
    for (unsigned char c : text) chars += (c & 0xC0) != 0x80;
    if (chars > limits.max_text_chars) {
      return Invalid("'" + field + "' has " + std::to_string(chars) +
                     " characters; this server accepts at most " + std::to_string(limits.max_text_chars) +
                     " per text");
    }
  }
  return Status::Ok();
}

// A string or an array of strings: the text field of LibreTranslate (q) and of the native API (text).
Status ReadTexts(const std::string& field, const json& value, const ApiLimits& limits,
                 TranslationRequest* out) {
  if (value.is_string()) {
    out->texts = {value.get<std::string>()};
    out->texts_is_array = false;
  } else if (value.is_array()) {
    if (value.size() > limits.max_texts) {
      return Invalid("'" + field + "' has " + std::to_string(value.size()) + " entries; at most " +
                     std::to_string(limits.max_texts) + " are accepted");
    }
    out->texts_is_array = true;
    out->texts.clear();
    for (size_t i = 0; i < value.size(); ++i) {
      if (!value[i].is_string()) {
        return Invalid("'" + field + "[" + std::to_string(i) + "]' must be a string, not " +
                       TypeName(value[i]));
      }
      out->texts.push_back(value[i].get<std::string>());
    }
  } else {
    return Invalid("'" + field + "' must be a string or an array of strings, not " + TypeName(value));
  }
  for (size_t i = 0; i < out->texts.size(); ++i) {
    DOLMETSCH_RETURN_IF_ERROR(CheckText(field, out->texts[i], limits));
  }
  return Status::Ok();
}

// Integers may arrive as JSON numbers or, from forms, as strings of digits.
StatusOr<int> ReadInt(const std::string& field, const json& value, int lo, int hi) {
  long long v = 0;
  if (value.is_number_integer()) {
    v = value.get<long long>();
  } else if (value.is_number_float()) {
    double d = value.get<double>();
    if (d != static_cast<double>(static_cast<long long>(d)))
      return Invalid("'" + field + "' must be an integer");
    v = static_cast<long long>(d);
  } else if (value.is_string()) {
    const std::string s = value.get<std::string>();
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) {
      return Invalid("'" + field + "' must be an integer, got \"" + s.substr(0, 20) + "\"");
    }
    v = std::stoll(s);
  } else {
    return Invalid("'" + field + "' must be an integer, not " + TypeName(value));
  }
  if (v < lo || v > hi) {
    return Invalid("'" + field + "' is " + std::to_string(v) + "; it must be between " + std::to_string(lo) +
                   " and " + std::to_string(hi));
  }
  return static_cast<int>(v);
}

StatusOr<std::string> ReadString(const std::string& field, const json& value) {
  if (!value.is_string()) return Invalid("'" + field + "' must be a string, not " + TypeName(value));
  return value.get<std::string>();
}

// "source" / "target": a language code (letters, digits, '-', '_'; at most 16), lower-cased; "auto" as a
// source asks for detection.
Status ReadLanguage(const std::string& key, const json& value, TranslationRequest* out) {
  DOLMETSCH_ASSIGN_OR_RETURN(std::string code, ReadString(key, value));
  for (char& c : code) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (code.empty() || code.size() > 16 ||
      code.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos) {
    return Invalid("'" + key + "' must be a language code such as \"de\" or \"en\"" +
                   (key == "source" ? std::string(" (or \"auto\")") : std::string()) + ", got \"" +
                   code.substr(0, 20) + "\"");
  }
  if (key == "source" && code == "auto") {
    out->source_auto = true;
    out->source.clear();
  } else if (key == "source") {
    out->source = code;
    out->source_auto = false;
  } else {
    out->target = code;
  }
  return Status::Ok();
}

std::string FormatLabel(TextFormat format) {
  switch (format) {
    case TextFormat::kHtml:
      return "html";
    case TextFormat::kMarkdown:
      return "markdown";
    case TextFormat::kText:
      break;
  }
  return "text";
}

// "format": "text", "html" or "markdown" ("md" too).
Status ReadFormat(const json& value, TranslationRequest* out) {
  DOLMETSCH_ASSIGN_OR_RETURN(std::string format, ReadString("format", value));
  for (char& c : format) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (format == "text") {
    out->format = TextFormat::kText;
  } else if (format == "html") {
    out->format = TextFormat::kHtml;
  } else if (format == "markdown" || format == "md") {
    out->format = TextFormat::kMarkdown;
  } else {
    return Invalid("'format' must be \"text\", \"html\" or \"markdown\", got \"" + format.substr(0, 20) +
                   "\"");
  }
  return Status::Ok();
}

Status ParseLibreTranslate(const json& body, const ApiLimits& limits, TranslationRequest* out) {
  out->kind = ApiKind::kLibreTranslate;
  DOLMETSCH_RETURN_IF_ERROR(ReadTexts("q", body.at("q"), limits, out));
  for (const auto& [key, value] : body.items()) {
    if (key == "q") continue;
    if (key == "source" || key == "target") {
      DOLMETSCH_RETURN_IF_ERROR(ReadLanguage(key, value, out));
    } else if (key == "format") {
      DOLMETSCH_RETURN_IF_ERROR(ReadFormat(value, out));
    } else if (key == "alternatives") {
      DOLMETSCH_ASSIGN_OR_RETURN(out->alternatives, ReadInt(key, value, 0, limits.max_n_best - 1));
    } else if (key == "api_key") {
      DOLMETSCH_ASSIGN_OR_RETURN(out->api_key, ReadString(key, value));
    }
    // Other fields are ignored, as LibreTranslate does: clients send extras (e.g. "secret").
  }
  if (out->alternatives > 0 && out->format != TextFormat::kText) {
    return Invalid("'alternatives' is not available with \"format\": \"" + FormatLabel(out->format) +
                   "\" (alternatives are of plain text)");
  }
  // The beam stays the model's (at least n_best wide, see BatchBackend), so asking for alternatives does not
  // change the best translation.
  if (out->alternatives > 0) out->options.n_best = out->alternatives + 1;
  return Status::Ok();
}

Status ParseNativeOptions(const json& options, const ApiLimits& limits, TranslationRequest* out) {
  if (!options.is_object()) return Invalid("'options' must be an object, not " + TypeName(options));
  SentenceOptions& o = out->options;
  for (const auto& [key, value] : options.items()) {
    if (key == "beam_size") {
      DOLMETSCH_ASSIGN_OR_RETURN(o.beam_size, ReadInt("options.beam_size", value, 1, limits.max_beam_size));
    } else if (key == "n_best") {
      DOLMETSCH_ASSIGN_OR_RETURN(o.n_best, ReadInt("options.n_best", value, 1, limits.max_n_best));
    } else if (key == "max_length") {
      DOLMETSCH_ASSIGN_OR_RETURN(o.max_length, ReadInt("options.max_length", value, 2, limits.max_length));
    } else if (key == "max_new_tokens") {
      DOLMETSCH_ASSIGN_OR_RETURN(o.max_new_tokens,
                                 ReadInt("options.max_new_tokens", value, 1, limits.max_length));
    } else {
      return Invalid("unknown option 'options." + key.substr(0, 40) +
                     "'; known options: beam_size, n_best, max_length, max_new_tokens");
    }
  }
  if (o.n_best > 1 && o.beam_size > 0) {
    if (o.n_best > o.beam_size) {
      return Invalid("'options.n_best' (" + std::to_string(o.n_best) +
                     ") must not exceed 'options.beam_size' (" + std::to_string(o.beam_size) + ")");
    }
  }
  return Status::Ok();
}

Status ParseNative(const json& body, const ApiLimits& limits, TranslationRequest* out) {
  out->kind = ApiKind::kNative;
  if (!body.contains("text")) return Invalid("missing field 'text' (a string or an array of strings)");
  for (const auto& [key, value] : body.items()) {
    if (key == "text") {
      DOLMETSCH_RETURN_IF_ERROR(ReadTexts("text", value, limits, out));
    } else if (key == "options") {
      DOLMETSCH_RETURN_IF_ERROR(ParseNativeOptions(value, limits, out));
    } else if (key == "source" || key == "target") {
      DOLMETSCH_RETURN_IF_ERROR(ReadLanguage(key, value, out));
    } else if (key == "stream") {
      if (!value.is_boolean()) return Invalid("'stream' must be true or false, not " + TypeName(value));
      out->stream = value.get<bool>();
    } else if (key == "format") {
      DOLMETSCH_RETURN_IF_ERROR(ReadFormat(value, out));
    } else if (key == "skip_segments") {
      if (!value.is_number_unsigned() || value.get<uint64_t>() > (uint64_t{1} << 40)) {
        return Invalid("'skip_segments' must be a whole number from 0 (the segments to leave out), not " +
                       value.dump().substr(0, 40));
      }
      out->skip_segments = static_cast<size_t>(value.get<uint64_t>());
    } else {
      return Invalid("unknown field '" + key.substr(0, 40) +
                     "'; known fields: text, source, target, format, options, stream, skip_segments");
    }
  }
  if (out->skip_segments > 0 && !out->stream) {
    return Invalid("'skip_segments' needs \"stream\": true (it resumes a streamed translation)");
  }
  if (out->format != TextFormat::kText && (out->stream || out->options.n_best > 1)) {
    return Invalid(std::string("\"format\": \"") + FormatLabel(out->format) + "\" cannot be combined with " +
                   (out->stream ? "\"stream\": true" : "'options.n_best' above 1") +
                   " (a document is answered whole, with its best translation)");
  }
  if (out->skip_segments > 0 && out->options.n_best > 1) {
    return Invalid("'skip_segments' cannot be combined with 'options.n_best' above 1");
  }
  return Status::Ok();
}

}  // namespace

bool IsValidUtf8(const std::string& s) {
  return ::dolmetsch::IsValidUtf8(s);  // one validator for the project: util/utf8.h
}

std::string ErrorJson(const std::string& message) {
  return json{{"error", message}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool LooksLikeJsonObject(const std::string& body) {
  size_t i = body.find_first_not_of(" \t\r\n");
  return i != std::string::npos && body[i] == '{';
}

StatusOr<std::vector<std::pair<std::string, std::string>>> ParseUrlEncodedForm(const std::string& body) {
  std::vector<std::pair<std::string, std::string>> out;
  auto decode = [](const std::string& in, std::string* result) -> bool {
    result->clear();
    for (size_t i = 0; i < in.size(); ++i) {
      char c = in[i];
      if (c == '+') {
        *result += ' ';
      } else if (c == '%') {
        auto hex = [](char h) -> int {
          if (h >= '0' && h <= '9') return h - '0';
          if (h >= 'a' && h <= 'f') return h - 'a' + 10;
          if (h >= 'A' && h <= 'F') return h - 'A' + 10;
          return -1;
        };
        if (i + 2 >= in.size()) return false;
        int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
        if (hi < 0 || lo < 0) return false;
        *result += static_cast<char>(hi * 16 + lo);
        i += 2;
      } else {
        *result += c;
      }
    }
    return true;
  };
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    if (amp == std::string::npos) amp = body.size();
    std::string part = body.substr(pos, amp - pos);
    pos = amp + 1;
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string key, value;
    if (!decode(part.substr(0, eq), &key) ||
        !decode(eq == std::string::npos ? std::string() : part.substr(eq + 1), &value)) {
      return Invalid("the form body has a malformed %-escape near \"" + part.substr(0, 30) + "\"");
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

StatusOr<TranslationRequest> ParseTranslateRequest(
    ApiKind endpoint_kind, const std::string& content_type, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& form, const ApiLimits& limits) {
  TranslationRequest out;
  json parsed;
  // curl -d sends JSON labelled as a form: a body that starts like a JSON object is read as JSON.
  bool is_form =
      (content_type.rfind("application/x-www-form-urlencoded", 0) == 0 && !LooksLikeJsonObject(body)) ||
      content_type.rfind("multipart/form-data", 0) == 0;
  if (is_form) {
    if (endpoint_kind == ApiKind::kNative) {
      return Invalid("/v1/translate takes a JSON body (Content-Type: application/json)");
    }
    // Form fields become a JSON object; a repeated q (or q[]) becomes an array, as LibreTranslate reads it.
    parsed = json::object();
    json q_values = json::array();
    for (const auto& [key, value] : form) {
      if (!IsValidUtf8(key) || !IsValidUtf8(value))
        return Invalid("form field '" + key.substr(0, 20) + "' is not valid UTF-8");
      if (key == "q" || key == "q[]") {
        q_values.push_back(value);
      } else {
        parsed[key] = value;
      }
    }
    if (q_values.size() == 1 && form.end() == std::find_if(form.begin(), form.end(), [](const auto& kv) {
                                  return kv.first == "q[]";
                                })) {
      parsed["q"] = q_values[0];
    } else if (!q_values.empty()) {
      parsed["q"] = q_values;
    }
  } else {
    if (body.empty()) return Invalid("the request body is empty; send a JSON object");
    if (!IsValidUtf8(body)) return Invalid("the request body is not valid UTF-8");
    parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
      return Invalid("the request body is not valid JSON; send e.g. {\"text_de\": \"Hallo Welt\"}");
    }
  }
  if (!parsed.is_object()) return Invalid("the request body must be a JSON object, not " + TypeName(parsed));

  if (endpoint_kind == ApiKind::kNative) {
    DOLMETSCH_RETURN_IF_ERROR(ParseNative(parsed, limits, &out));
    return out;
  }
  if (parsed.contains("text_de")) {
    out.kind = ApiKind::kLegacy;
    const json& text = parsed["text_de"];
    if (!text.is_string()) return Invalid("'text_de' must be a string, not " + TypeName(text));
    out.texts = {text.get<std::string>()};
    DOLMETSCH_RETURN_IF_ERROR(CheckText("text_de", out.texts[0], limits));
    return out;
  }
  if (parsed.contains("q")) {
    DOLMETSCH_RETURN_IF_ERROR(ParseLibreTranslate(parsed, limits, &out));
    return out;
  }
  return Invalid(
      "missing field: send {\"text_de\": \"...\"} (original API) or {\"q\": \"...\", \"source\": \"de\", "
      "\"target\": \"en\"} (LibreTranslate API)");
}

}  // namespace dolmetsch::translator
