#include "web/job_translator.h"

#include <iostream>

namespace dolmetsch::web {

HttpPieceTranslator::HttpPieceTranslator(TranslatorClientOptions options) : client_(std::move(options)) {}

Status JobErrorForOwner(const Status& error, bool made_progress, bool is_file) {
  if (is_file) {
    switch (error.code()) {
      case Status::Code::kOk:
      case Status::Code::kCancelled:
      case Status::Code::kUnavailable:
        return error;
      case Status::Code::kInvalidArgument:
        return Status::InvalidArgument("The translator did not accept this file (" + error.message() +
                                       "). Check that the file opens in its program, then upload it again.");
      case Status::Code::kDeadlineExceeded:
        return Status::DeadlineExceeded(
            "The translator did not finish this file in time. Try again later, or split the file; if it "
            "keeps failing, tell the operator of this site.");
      default:
        return Status::Internal(
            "The translator failed on this file. Upload it again later, and if it keeps failing, tell the "
            "operator of this site.");
    }
  }
  switch (error.code()) {
    case Status::Code::kOk:
    case Status::Code::kCancelled:
    case Status::Code::kUnavailable:
      return error;
    case Status::Code::kDeadlineExceeded:
      // The translator's per-request timeout: what is done is saved, so going on resumes after it. Only a
      // single sentence that never finishes fails the job.
      if (made_progress)
        return Status::Unavailable("the translator timed out; resuming after the checkpoint");
      return Status::DeadlineExceeded(
          "The translator could not finish a sentence of this text in time. Try again later, or split the "
          "text at that point; if it keeps failing, tell the operator of this site.");
    case Status::Code::kInvalidArgument:
      return Status::InvalidArgument(
          "The translator did not accept this text (" + error.message() +
          "). Check that it is German text (not a file's raw bytes) and submit it again, in parts if it is "
          "very long.");
    default:
      return Status::Internal(
          "The translator failed on this text. Submit the text again "
          "later, and if it keeps failing, tell the operator of this site.");
  }
}

Status HttpPieceTranslator::Translate(const std::string& text, const std::string& source,
                                      const std::string& target, int64_t skip,
                                      const std::atomic<bool>& cancelled, const OnPiece& on_piece) {
  bool made_progress = false;
  Status s = client_.StreamPieces(text, source, target, skip, cancelled,
                                  [&](int64_t index, int64_t total, const std::string& piece) {
                                    made_progress = true;
                                    on_piece(index, total, piece);
                                  });
  if (s.ok() || s.code() == Status::Code::kCancelled) return s;
  // The details (the translator's address, its own message) are for the operator.
  std::cerr << "web: jobs: the translator failed: " << s.ToString() << "\n";
  return JobErrorForOwner(s, made_progress);
}

StatusOr<store::JobFile> HttpPieceTranslator::TranslateFile(const store::JobFile& input,
                                                            const std::string& source,
                                                            const std::string& target, int64_t skip,
                                                            const std::atomic<bool>& cancelled,
                                                            const OnPiece& on_piece) {
  bool made_progress = false;
  StatusOr<TranslatedFile> file =
      client_.TranslateFile(input.content, input.name, source, target, skip, cancelled,
                            [&](int64_t index, int64_t total, const std::string& piece) {
                              made_progress = true;
                              on_piece(index, total, piece);
                            });
  if (file.ok()) return store::JobFile{file->file_name, std::move(file->content)};
  if (file.status().code() == Status::Code::kCancelled) return file.status();
  std::cerr << "web: jobs: the translator failed on a file: " << file.status().ToString() << "\n";
  return JobErrorForOwner(file.status(), made_progress, /*is_file=*/true);
}

}  // namespace dolmetsch::web
