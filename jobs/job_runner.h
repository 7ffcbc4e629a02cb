// JobRunner: the workers that translate queued jobs (store/job_store.h) in the web process (or `serve`).
//
// Each of `workers` threads claims a job (fair across owners, store/job_store.h), hands its text to a
// PieceTranslator starting after the pieces already saved (the checkpoint), saves every finished piece
// as it arrives (batched: at most every `checkpoint_interval`, and always before completing), renews the
// lease meanwhile, and completes the job with the concatenated pieces, which writes the history row
// exactly once. A job whose lease was lost (another replica took it over) or that its owner cancelled is
// abandoned at the next save: its translation is cancelled through the PieceTranslator's cancel flag.
// A job that fails (the translator answers an error) is marked failed with a message for its owner;
// a translator that is unreachable is retried with backoff (the job keeps its lease and checkpoint).
//
// Pieces are the translator's segments in document order (its streaming API's `piece`: the segment's
// output with the gap before it), so the job's text so far is the concatenation of its saved pieces.
//
// A file job (JobRecord::file_name set) goes through PieceTranslator::TranslateFile: its pieces are the
// document's blocks (paragraphs, cells, cues...) as plain text, saved like a text's, and the translated
// file is stored with the job when it completes. The translation needs the whole file (inline formatting
// follows the word alignment of every sentence), so a resumed file job is translated again from its
// start; only the pieces already saved are not sent again.
//
// Thread-safety: Start/Stop from one thread; the rest is internal. The store and the translator must
// outlive the runner.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/job_store.h"
#include "util/status.h"

namespace dolmetsch::jobs {

// What the runner needs from the translator: translate `text`, skipping its first `skip` segments, and
// call `on_piece(index, total, piece)` for each later segment in document order as soon as it is done.
// Returns when the text is done, or with an error; kCancelled when `cancelled` turned true. kUnavailable
// means "try again later" (translator down, overloaded); any other error fails the job, and its message
// is shown to the job's owner: it must say what happened and what to do, without internal addresses.
class PieceTranslator {
 public:
  virtual ~PieceTranslator() = default;
  using OnPiece = std::function<void(int64_t index, int64_t total, const std::string& piece)>;
  // `source` and `target` are the job's language codes (store::JobRecord); a pair the translator does
  // not serve is kInvalidArgument with a message for the owner.
  virtual Status Translate(const std::string& text, const std::string& source, const std::string& target,
                           int64_t skip, const std::atomic<bool>& cancelled, const OnPiece& on_piece) = 0;
  // A file job: translates `input` (an uploaded document), calling `on_piece` for each block from `skip`
  // on in document order, and returns the translated file (its name may differ: a PDF becomes Markdown).
  // Errors as Translate. The default refuses (a translator that has no file support).
  virtual StatusOr<store::JobFile> TranslateFile(const store::JobFile& input, const std::string& source,
                                                 const std::string& target, int64_t skip,
                                                 const std::atomic<bool>& cancelled, const OnPiece& on_piece);
};

struct RunnerOptions {
  int workers = 2;
  std::string worker_prefix = "worker";  // worker names are "<prefix>-<n>"; make it unique per process
  std::chrono::milliseconds lease{30000};
  std::chrono::milliseconds checkpoint_interval{250};
  std::chrono::milliseconds idle_poll{500};       // how often an idle worker looks for work
  std::chrono::milliseconds retry_backoff{2000};  // after kUnavailable from the translator
};

class JobRunner {
 public:
  JobRunner(store::JobStore* store, PieceTranslator* translator, RunnerOptions options);
  ~JobRunner();  // Stop()

  void Start();
  // Stops the workers: running translations are cancelled, their checkpoints stay, their leases are left
  // to expire (or to be taken over at once by the same process when it starts again, see Wake).
  void Stop();
  // Draining before a stop: the workers finish the jobs they run but claim no new one.
  void StopClaiming();
  // Wakes idle workers (a job was just created), so they do not wait for the next poll.
  void Wake();

  // Counters for metrics and tests.
  int64_t completed() const { return completed_.load(); }
  int64_t failed() const { return failed_.load(); }
  int64_t abandoned() const { return abandoned_.load(); }

 private:
  void WorkerLoop(int n);
  // Runs one claimed job to its end (or until stopped/abandoned).
  void RunJob(const std::string& worker, const store::JobRecord& job);

  store::JobStore* store_;
  PieceTranslator* translator_;
  const RunnerOptions options_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> claiming_{true};
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  uint64_t wake_generation_ = 0;
  std::atomic<int64_t> completed_{0}, failed_{0}, abandoned_{0};
};

}  // namespace dolmetsch::jobs
