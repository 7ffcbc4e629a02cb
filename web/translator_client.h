// TranslatorClient: the web app's only way to the translator: HTTP, so that the two can run apart.
//
// Translate() sends POST {base}/v1/translate {"text": ..., "stream": true} and reads the Server-Sent Events
// answer (docs/api.md): "progress" events {done, total, ...} are passed to on_progress as they arrive, the
// "done" event carries {"translations":[{"text"}], "model":{"name"}}, an "error" event {"error"} ends it.
// Errors: kUnavailable (translator unreachable, or it answered 503), kInvalidArgument (it rejected the text:
// 400/413), kDeadlineExceeded (504 or no data for read_timeout), kCancelled (on_progress returned false),
// kInternal (anything else, with the translator's message). Messages never contain the text.
// StreamPieces() sends the same request with "skip_segments" and hands every progress event's (index,
// total, piece) to on_piece as it arrives (translation jobs); setting `cancelled` closes the connection
// within about 50 ms (the translator then drops the rest of the work). Same errors as Translate.
// Ready(): GET {base}/ready answered 200 (its "model" is the model's name).
// Thread-safety: all methods may be called concurrently (each call uses its own connection).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"
#include "web/languages.h"

namespace dolmetsch::web {

struct TranslatorClientOptions {
  std::string base_url;  // "http://translator:8000" (a path prefix is allowed: "http://h/api")
  std::string api_key;   // sent as "Authorization: Bearer <key>" when not empty
  int connect_timeout_seconds = 5;
  int read_timeout_seconds = 120;  // silence allowed between two events (the translator sends keep-alives)
};

struct TranslationProgress {
  int64_t done = 0;
  int64_t total = 0;
};

struct TranslationOutcome {
  std::string text_en;
  std::optional<DetectedLanguage> detected;  // source "auto": what the translator detected
  std::string model;                         // the translator's model name ("" if it did not say)
  int64_t sentences = 0;                     // as counted by the translator (0 if no progress event came)
};

// A file translated by POST /v1/translate_file (TranslatorClient::TranslateFile).
struct TranslatedFile {
  std::string file_name;  // the translator's name for the result ("brief.docx"; a PDF gives "brief.md")
  std::string format;     // "docx", "html", "markdown", "srt", "text", ... (markup::FormatName)
  std::string content;    // the translated file's bytes
  std::string model;      // the translator's model name
  int64_t blocks = 0;     // translatable blocks (as many progress events as were not skipped)
  int64_t sentences = 0;  // distinct sentences sent to the model
  std::optional<DetectedLanguage> detected;  // source "auto" (or ""): what the translator detected
};

class TranslatorClient {
 public:
  explicit TranslatorClient(TranslatorClientOptions options);

  // kInvalidArgument when base_url is not http(s)://host[:port][/prefix].
  Status Validate() const;

  // Translates `text` from `source` ("auto": the translator detects it) into `target`.
  StatusOr<TranslationOutcome> Translate(const std::string& text, const std::string& source,
                                         const std::string& target,
                                         const std::function<bool(const TranslationProgress&)>& on_progress);
  using OnPiece = std::function<void(int64_t index, int64_t total, const std::string& piece)>;
  // Streams /v1/translate with the language pair `source` -> `target` (codes as in the translator's
  // /languages; "de", "en" for the original pair).
  Status StreamPieces(const std::string& text, const std::string& source, const std::string& target,
                      int64_t skip_segments, const std::atomic<bool>& cancelled, const OnPiece& on_piece);
  // Streams POST {base}/v1/translate_file (multipart: file `content` named `file_name`, source, target,
  // skip_blocks): on_piece gets each progress event's (index, total, piece) for the blocks from
  // `skip_blocks` on, as they arrive (one per translatable block, in document order; the pieces joined
  // are the file's plain translation); the result is the translated file of the "done" event. `source`
  // "auto" or "": the translator detects the language from the file's text. The format comes from the
  // name's extension, else the content. Errors as StreamPieces: kInvalidArgument for a file the
  // translator refuses (400/413: malformed, unsupported format, too large; its message says why).
  StatusOr<TranslatedFile> TranslateFile(const std::string& content, const std::string& file_name,
                                         const std::string& source, const std::string& target,
                                         int64_t skip_blocks, const std::atomic<bool>& cancelled,
                                         const OnPiece& on_piece);
  // GET {base}/languages: the body (LibreTranslate's [{code, name, targets}]); errors as Translate.
  StatusOr<std::string> Languages();
  // POST {base}/detect with the start of `text` (about 20 KB, whole code points): the guesses, best first.
  StatusOr<std::vector<DetectedLanguage>> Detect(const std::string& text);
  // `model` (may be null) gets the translator's model name when it says (its /ready answer).
  Status Ready(std::string* model = nullptr);

  const std::string& base_url() const { return options_.base_url; }

 private:
  TranslatorClientOptions options_;
  std::string scheme_host_port_;
  std::string path_prefix_;
  Status url_status_;
};

// Incremental parser of a text/event-stream body (the subset the translator uses: "event:" and "data:"
// lines, comments starting with ':', events ended by a blank line, "\n" or "\r\n" line ends).
class SseParser {
 public:
  using Handler = std::function<bool(const std::string& event, const std::string& data)>;
  // Feeds bytes; calls `handler` for every complete event. Returns false as soon as the handler does, or
  // when the buffered incomplete event exceeds max_event_bytes.
  bool Feed(std::string_view bytes, const Handler& handler);
  static constexpr size_t kMaxEventBytes = 64 * 1024 * 1024;

 private:
  bool DispatchLine(std::string_view line, const Handler& handler);
  std::string buffer_;
  std::string event_;
  std::string data_;
  bool has_data_ = false;
};

}  // namespace dolmetsch::web
