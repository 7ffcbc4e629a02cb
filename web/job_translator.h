// HttpPieceTranslator: the job runner's translator (jobs/job_runner.h) in the web process: streams
// POST /v1/translate from the translator the web app already talks to (TranslatorClient::StreamPieces),
// resuming after the job's checkpoint with "skip_segments".
//
// Errors as the runner wants them: the translator unreachable, overloaded (503, 429), restarting (the
// stream broke off) or timing out after progress → kUnavailable (the runner keeps the job and retries);
// anything else → an error whose message the job's owner reads: what happened and what to do, never an
// internal address (the translator's own message goes to the log, stderr). The cancel flag closes the
// stream at once, so the translator drops the rest of the work.
// Thread-safety: Translate may be called from several threads at once (one connection each).
#pragma once

#include "jobs/job_runner.h"
#include "web/translator_client.h"

namespace dolmetsch::web {

class HttpPieceTranslator : public jobs::PieceTranslator {
 public:
  explicit HttpPieceTranslator(TranslatorClientOptions options);
  Status Translate(const std::string& text, const std::string& source, const std::string& target,
                   int64_t skip, const std::atomic<bool>& cancelled, const OnPiece& on_piece) override;
  // Streams POST /v1/translate_file (TranslatorClient::TranslateFile): a piece per block of the document.
  StatusOr<store::JobFile> TranslateFile(const store::JobFile& input, const std::string& source,
                                         const std::string& target, int64_t skip,
                                         const std::atomic<bool>& cancelled,
                                         const OnPiece& on_piece) override;

 private:
  TranslatorClient client_;
};

// The owner's message for a translator error that is not worth retrying (exposed for tests). `is_file`:
// the job is an uploaded file (it starts again from its beginning when retried).
Status JobErrorForOwner(const Status& translator_error, bool made_progress, bool is_file = false);

}  // namespace dolmetsch::web
