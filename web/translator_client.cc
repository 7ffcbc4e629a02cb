#include "web/translator_client.h"

#include <httplib.h>

#include <algorithm>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "util/base64.h"

namespace dolmetsch::web {
namespace {

using json = nlohmann::json;

Status StatusFromHttp(int status, const std::string& body) {
  std::string message;
  auto parsed = json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_string()) {
    message = parsed["error"].get<std::string>();
  } else {
    message = "HTTP " + std::to_string(status);
  }
  message = "the translator answered: " + message.substr(0, 500);
  switch (status) {
    case 400:
    case 413:
    case 422:
      return Status::InvalidArgument(message);
    case 429:
    case 502:
    case 503:
      return Status::Unavailable(message);
    case 504:
      return Status::DeadlineExceeded(message);
    default:
      return Status::Internal(message);
  }
}

// What a visitor reads names no internal address: the address and the low-level reason go to the log.
Status NotReachable(const std::string& base_url, httplib::Error error) {
  std::cerr << "web: the translator at " << base_url << " is not reachable: " << httplib::to_string(error)
            << "\n";
  return Status::Unavailable(
      "the translation service is not reachable right now. Try again in a minute; if it keeps failing, tell "
      "the operator of this server");
}

Status NotAnEventStream(const std::string& base_url) {
  std::cerr << "web: the translator at " << base_url
            << " did not answer with an event stream; is it a dolmetsch translator?\n";
  return Status::Internal(
      "the translation service answered in a way this server does not understand; tell the operator of this "
      "server (the details are in its log)");
}

// An `error` event of the stream: its status field (500 when absent) mapped as an HTTP answer would be.
Status ErrorEventStatus(const json& parsed, const std::string& data) {
  int status = parsed.is_object() && parsed.value("status", json()).is_number_integer()
                   ? parsed["status"].get<int>()
                   : 500;
  return StatusFromHttp(status, data);
}

// How a POST to /v1/translate with "stream": true ended, as far as HTTP saw it.
struct EventStreamEnd {
  int http_status = 0;  // 0: no answer
  bool is_stream = false;
  std::string error_body;  // the answer's body when it was not a 200 event stream (first 64 KB)
  bool sent = false;
  httplib::Error error = httplib::Error::Success;
};

// POSTs `body` (of `content_type`) to {scheme_host_port}{path} asking for an event stream and feeds the
// events to `on_event` until it returns false or the stream ends; `cancelled` (may be null) closes the
// connection as soon as it turns true.
EventStreamEnd PostEventStream(const std::string& scheme_host_port, const std::string& path,
                               const TranslatorClientOptions& options, std::string body,
                               const std::string& content_type, const std::atomic<bool>* cancelled,
                               const SseParser::Handler& on_event) {
  httplib::Client client(scheme_host_port);
  client.set_connection_timeout(options.connect_timeout_seconds, 0);
  client.set_read_timeout(options.read_timeout_seconds, 0);
  client.set_write_timeout(options.read_timeout_seconds, 0);
  client.set_keep_alive(false);

  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.headers = {{"Accept", "text/event-stream"}};
  if (!options.api_key.empty()) req.headers.emplace("Authorization", "Bearer " + options.api_key);
  req.set_header("Content-Type", content_type);
  req.body = std::move(body);

  EventStreamEnd end;
  SseParser parser;
  auto is_cancelled = [cancelled] { return cancelled != nullptr && cancelled->load(); };
  req.response_handler = [&](const httplib::Response& response) {
    end.http_status = response.status;
    end.is_stream = response.get_header_value("Content-Type").rfind("text/event-stream", 0) == 0;
    return !is_cancelled();
  };
  req.content_receiver = [&](const char* data, size_t length, uint64_t, uint64_t) {
    if (is_cancelled()) return false;
    if (end.http_status != 200 || !end.is_stream) {
      if (end.error_body.size() < 64 * 1024) end.error_body.append(data, length);
      return true;
    }
    return parser.Feed(std::string_view(data, length),
                       [&](const std::string& event, const std::string& event_data) {
                         return !is_cancelled() && on_event(event, event_data);
                       });
  };

  // Closes the connection when `cancelled` turns true while the request waits for the translator.
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  std::thread watcher;
  if (cancelled != nullptr) {
    watcher = std::thread([&] {
      std::unique_lock<std::mutex> lock(mu);
      while (!cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return finished; })) {
        if (cancelled->load()) {
          client.stop();
          return;
        }
      }
    });
  }
  httplib::Response res;
  end.sent = client.send(req, res, end.error);
  if (watcher.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu);
      finished = true;
    }
    cv.notify_all();
    watcher.join();
  }
  return end;
}

std::string JsonBody(const json& body) { return body.dump(-1, ' ', false, json::error_handler_t::replace); }

// A multipart/form-data body (RFC 7578) of `fields` and one file part; returns it and sets *boundary. The
// boundary is random and checked against the content, so any bytes may be sent.
std::string MultipartBody(const std::vector<std::pair<std::string, std::string>>& fields,
                          const std::string& file_name, const std::string& content, std::string* boundary) {
  std::random_device random;
  auto contains = [&](const std::string& b) {
    if (content.find(b) != std::string::npos || file_name.find(b) != std::string::npos) return true;
    for (const auto& [name, value] : fields) {
      if (value.find(b) != std::string::npos) return true;
    }
    return false;
  };
  do {
    static constexpr char kHex[] = "0123456789abcdef";
    *boundary = "dolmetsch-";
    for (int i = 0; i < 32; ++i) *boundary += kHex[random() % 16];
  } while (contains(*boundary));
  // The quoted file name: quotes and line breaks would end it early; the translator sanitizes the rest.
  std::string quoted;
  for (char c : file_name) {
    if (c == '"') {
      quoted += "%22";
    } else if (c == '\r' || c == '\n') {
      quoted += ' ';
    } else {
      quoted += c;
    }
  }
  std::string body;
  body.reserve(content.size() + 512);
  for (const auto& [name, value] : fields) {
    body += "--" + *boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value +
            "\r\n";
  }
  body += "--" + *boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + quoted +
          "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
  body += content;
  body += "\r\n--" + *boundary + "--\r\n";
  return body;
}

// The error for a stream that ended without an outcome its reader took: an HTTP error, not an event
// stream, unreachable, silent too long, or closed early.
Status WhyTheStreamEnded(const EventStreamEnd& end, const TranslatorClientOptions& options) {
  if (end.http_status != 0 && end.http_status != 200) return StatusFromHttp(end.http_status, end.error_body);
  if (end.http_status == 200 && !end.is_stream) return NotAnEventStream(options.base_url);
  if (!end.sent || end.error != httplib::Error::Success) {
    if (end.error == httplib::Error::Read && end.http_status == 200) {
      return Status::DeadlineExceeded("the translator stopped sending for " +
                                      std::to_string(options.read_timeout_seconds) + " s");
    }
    return NotReachable(options.base_url, end.error);
  }
  // The translator closed the stream without its final event: it stopped (a restart) or broke.
  return Status::Unavailable("the translator's answer ended before the final event");
}

// A "progress" event of the translator's piece streams (/v1/translate with skip_segments, and
// /v1/translate_file): hands (index, total, piece) to on_piece (if any). False, with *error set, when the
// event lacks one of them.
bool DeliverPiece(const json& parsed, const TranslatorClient::OnPiece& on_piece, Status* error) {
  if (!parsed.is_object() || !parsed.value("index", json()).is_number_integer() ||
      !parsed.value("total", json()).is_number_integer() || !parsed.value("piece", json()).is_string()) {
    *error = Status::Internal("the translator's progress event has no index, total and piece");
    return false;
  }
  if (on_piece) {
    on_piece(parsed["index"].get<int64_t>(), parsed["total"].get<int64_t>(),
             parsed["piece"].get<std::string>());
  }
  return true;
}

// `holder`'s "detected_language" {"language", "confidence"} when it names a language code.
std::optional<DetectedLanguage> DetectedLanguageOf(const json& holder) {
  if (!holder.contains("detected_language") || !holder["detected_language"].is_object() ||
      !holder["detected_language"].value("language", json()).is_string()) {
    return std::nullopt;
  }
  DetectedLanguage detected;
  detected.language = holder["detected_language"]["language"].get<std::string>();
  if (holder["detected_language"].value("confidence", json()).is_number())
    detected.confidence = holder["detected_language"]["confidence"].get<double>();
  if (!IsLanguageCode(detected.language)) return std::nullopt;
  return detected;
}

// A final event's "model": {"name"}, or "".
std::string ModelNameOf(const json& parsed) {
  if (parsed.contains("model") && parsed["model"].is_object() &&
      parsed["model"].value("name", json()).is_string())
    return parsed["model"]["name"].get<std::string>();
  return "";
}

}  // namespace

bool SseParser::DispatchLine(std::string_view line, const Handler& handler) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) {
    if (!has_data_ && event_.empty()) return true;
    std::string event = event_.empty() ? "message" : event_;
    bool keep_going = handler(event, data_);
    event_.clear();
    data_.clear();
    has_data_ = false;
    return keep_going;
  }
  if (line.front() == ':') return true;
  size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "event") {
    event_ = std::string(value);
  } else if (field == "data") {
    if (has_data_) data_ += '\n';
    data_.append(value);
    has_data_ = true;
  }
  return true;
}

bool SseParser::Feed(std::string_view bytes, const Handler& handler) {
  buffer_.append(bytes);
  size_t start = 0;
  for (;;) {
    size_t end = buffer_.find('\n', start);
    if (end == std::string::npos) break;
    if (!DispatchLine(std::string_view(buffer_).substr(start, end - start), handler)) {
      buffer_.clear();
      return false;
    }
    start = end + 1;
  }
  buffer_.erase(0, start);
  return buffer_.size() + data_.size() <= kMaxEventBytes;
}

TranslatorClient::TranslatorClient(TranslatorClientOptions options) : options_(std::move(options)) {
  const std::string& url = options_.base_url;
  size_t scheme_end = url.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    url_status_ = Status::InvalidArgument("--translator must be an http:// or https:// URL, got '" +
                                          url.substr(0, 200) + "'");
    return;
  }
  size_t path_start = url.find('/', scheme_end + 3);
  scheme_host_port_ = url.substr(0, path_start);
  if (path_start != std::string::npos) path_prefix_ = url.substr(path_start);
  while (!path_prefix_.empty() && path_prefix_.back() == '/') path_prefix_.pop_back();
  if (scheme_host_port_.size() <= scheme_end + 3) {
    url_status_ = Status::InvalidArgument("--translator URL '" + url.substr(0, 200) + "' has no host");
  }
}

Status TranslatorClient::Validate() const { return url_status_; }

StatusOr<TranslationOutcome> TranslatorClient::Translate(
    const std::string& text_de, const std::string& source, const std::string& target,
    const std::function<bool(const TranslationProgress&)>& on_progress) {
  if (!url_status_.ok()) return url_status_;
  std::optional<TranslationOutcome> outcome;
  Status stream_error;
  bool cancelled = false;
  int64_t sentences = 0;

  auto on_event = [&](const std::string& event, const std::string& data) -> bool {
    json parsed = json::parse(data, nullptr, false);
    if (event == "progress") {
      if (parsed.is_object() && parsed.value("done", json()).is_number_integer() &&
          parsed.value("total", json()).is_number_integer()) {
        TranslationProgress progress{parsed["done"].get<int64_t>(), parsed["total"].get<int64_t>()};
        sentences = progress.total;
        if (on_progress && !on_progress(progress)) {
          cancelled = true;
          return false;
        }
      }
      return true;
    }
    if (event == "done") {
      if (!parsed.is_object() || !parsed.contains("translations") || !parsed["translations"].is_array() ||
          parsed["translations"].empty() || !parsed["translations"][0].is_object() ||
          !parsed["translations"][0].value("text", json()).is_string()) {
        stream_error = Status::Internal("the translator's final event has no translations[0].text");
        return false;
      }
      TranslationOutcome result;
      result.text_en = parsed["translations"][0]["text"].get<std::string>();
      result.detected = DetectedLanguageOf(parsed["translations"][0]);
      result.model = ModelNameOf(parsed);
      if (parsed.contains("usage") && parsed["usage"].is_object() &&
          parsed["usage"].value("sentences", json()).is_number_integer()) {
        sentences = parsed["usage"]["sentences"].get<int64_t>();
      }
      result.sentences = sentences;
      outcome = std::move(result);
      return false;  // nothing follows "done"
    }
    if (event == "error") {
      stream_error = ErrorEventStatus(parsed, data);
      return false;
    }
    return true;  // unknown events are ignored (forward compatible)
  };

  EventStreamEnd end = PostEventStream(
      scheme_host_port_, path_prefix_ + "/v1/translate", options_,
      JsonBody(json{{"text", text_de}, {"source", source}, {"target", target}, {"stream", true}}),
      "application/json", nullptr, on_event);
  if (outcome) return std::move(*outcome);
  if (cancelled) return Status::Cancelled("the translation was cancelled");
  if (!stream_error.ok()) return stream_error;
  return WhyTheStreamEnded(end, options_);
}

Status TranslatorClient::StreamPieces(const std::string& text_de, const std::string& source,
                                      const std::string& target, int64_t skip_segments,
                                      const std::atomic<bool>& cancelled, const OnPiece& on_piece) {
  if (!url_status_.ok()) return url_status_;
  json body = {{"text", text_de}, {"source", source}, {"target", target}, {"stream", true}};
  if (skip_segments > 0) body["skip_segments"] = skip_segments;
  bool done = false;
  Status stream_error;
  auto on_event = [&](const std::string& event, const std::string& data) -> bool {
    json parsed = json::parse(data, nullptr, false);
    if (event == "progress") return DeliverPiece(parsed, on_piece, &stream_error);
    if (event == "done") {
      done = true;
      return false;
    }
    if (event == "error") {
      stream_error = ErrorEventStatus(parsed, data);
      return false;
    }
    return true;
  };
  EventStreamEnd end = PostEventStream(scheme_host_port_, path_prefix_ + "/v1/translate", options_,
                                       JsonBody(body), "application/json", &cancelled, on_event);
  if (done) return Status::Ok();
  if (cancelled.load()) return Status::Cancelled("the translation was cancelled");
  if (!stream_error.ok()) return stream_error;
  return WhyTheStreamEnded(end, options_);
}

StatusOr<TranslatedFile> TranslatorClient::TranslateFile(const std::string& content,
                                                         const std::string& file_name,
                                                         const std::string& source, const std::string& target,
                                                         int64_t skip_blocks,
                                                         const std::atomic<bool>& cancelled,
                                                         const OnPiece& on_piece) {
  if (!url_status_.ok()) return url_status_;
  std::vector<std::pair<std::string, std::string>> fields = {{"source", source.empty() ? "auto" : source},
                                                             {"target", target}};
  if (skip_blocks > 0) fields.emplace_back("skip_blocks", std::to_string(skip_blocks));
  std::string boundary;
  std::string body = MultipartBody(fields, file_name, content, &boundary);
  std::optional<TranslatedFile> outcome;
  Status stream_error;
  auto on_event = [&](const std::string& event, const std::string& data) -> bool {
    json parsed = json::parse(data, nullptr, false);
    if (event == "progress") return DeliverPiece(parsed, on_piece, &stream_error);
    if (event == "done") {
      std::optional<std::string> bytes;
      if (parsed.is_object() && parsed.value("content_base64", json()).is_string()) {
        bytes = Base64Decode(parsed["content_base64"].get<std::string>());
      }
      if (!bytes.has_value()) {
        stream_error = Status::Internal("the translator's final event has no file (content_base64)");
        return false;
      }
      TranslatedFile file;
      file.content = std::move(*bytes);
      if (parsed.value("file_name", json()).is_string())
        file.file_name = parsed["file_name"].get<std::string>();
      if (parsed.value("format", json()).is_string()) file.format = parsed["format"].get<std::string>();
      if (parsed.value("blocks", json()).is_number_integer()) file.blocks = parsed["blocks"].get<int64_t>();
      if (parsed.value("sentences", json()).is_number_integer())
        file.sentences = parsed["sentences"].get<int64_t>();
      file.model = ModelNameOf(parsed);
      file.detected = DetectedLanguageOf(parsed);
      outcome = std::move(file);
      return false;  // nothing follows "done"
    }
    if (event == "error") {
      stream_error = ErrorEventStatus(parsed, data);
      return false;
    }
    return true;  // unknown events are ignored (forward compatible)
  };
  EventStreamEnd end =
      PostEventStream(scheme_host_port_, path_prefix_ + "/v1/translate_file", options_, std::move(body),
                      "multipart/form-data; boundary=" + boundary, &cancelled, on_event);
  if (outcome) return std::move(*outcome);
  if (cancelled.load()) return Status::Cancelled("the translation was cancelled");
  if (!stream_error.ok()) return stream_error;
  return WhyTheStreamEnded(end, options_);
}

StatusOr<std::string> TranslatorClient::Languages() {
  if (!url_status_.ok()) return url_status_;
  httplib::Client client(scheme_host_port_);
  client.set_connection_timeout(options_.connect_timeout_seconds, 0);
  client.set_read_timeout(10, 0);
  httplib::Headers headers;
  if (!options_.api_key.empty()) headers.emplace("Authorization", "Bearer " + options_.api_key);
  auto res = client.Get(path_prefix_ + "/languages", headers);
  if (!res) return NotReachable(options_.base_url, res.error());
  if (res->status != 200) return StatusFromHttp(res->status, res->body);
  return std::move(res->body);
}

StatusOr<std::vector<DetectedLanguage>> TranslatorClient::Detect(const std::string& text) {
  if (!url_status_.ok()) return url_status_;
  constexpr size_t kSampleBytes = 20000;
  size_t end = std::min(text.size(), kSampleBytes);
  while (end < text.size() && end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  httplib::Client client(scheme_host_port_);
  client.set_connection_timeout(options_.connect_timeout_seconds, 0);
  client.set_read_timeout(30, 0);
  client.set_write_timeout(30, 0);
  httplib::Headers headers;
  if (!options_.api_key.empty()) headers.emplace("Authorization", "Bearer " + options_.api_key);
  const std::string body =
      json{{"q", text.substr(0, end)}}.dump(-1, ' ', false, json::error_handler_t::replace);
  auto res = client.Post(path_prefix_ + "/detect", headers, body, "application/json");
  if (!res) return NotReachable(options_.base_url, res.error());
  if (res->status != 200) return StatusFromHttp(res->status, res->body);
  json parsed = json::parse(res->body, nullptr, false);
  if (!parsed.is_array()) return Status::Internal("the translator's /detect answer is not a JSON array");
  std::vector<DetectedLanguage> guesses;
  for (const json& item : parsed) {
    if (!item.is_object() || !item.value("language", json()).is_string()) continue;
    DetectedLanguage guess;
    guess.language = item["language"].get<std::string>();
    if (item.value("confidence", json()).is_number()) guess.confidence = item["confidence"].get<double>();
    if (IsLanguageCode(guess.language)) guesses.push_back(std::move(guess));
  }
  return guesses;
}

Status TranslatorClient::Ready(std::string* model) {
  if (!url_status_.ok()) return url_status_;
  httplib::Client client(scheme_host_port_);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(3, 0);
  httplib::Headers headers;
  auto res = client.Get(path_prefix_ + "/ready", headers);
  if (!res) return Status::Unavailable("the translator is not reachable: " + httplib::to_string(res.error()));
  if (res->status != 200)
    return Status::Unavailable("the translator is not ready (HTTP " + std::to_string(res->status) + ")");
  if (model != nullptr) {
    json body = json::parse(res->body, nullptr, false);
    if (body.is_object() && body.value("model", json()).is_string())
      *model = body["model"].get<std::string>();
  }
  return Status::Ok();
}

}  // namespace dolmetsch::web
