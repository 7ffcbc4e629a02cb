// JobStore: translation jobs, so that a long text survives the page that submitted it, the process that
// translates it and the replica that started it (docs/store.md, "Jobs").
//
// A job is a German text with an owner. Its state goes queued -> running -> done | failed | cancelled
// (running -> queued never happens; a running job whose lease expired is simply claimable again).
// Work is cut into numbered units (the document pipeline's sentences, in text order); a worker saves
// each finished unit as it finishes (SaveUnits: the checkpoint), so a restart never translates a
// finished unit again: the next worker reads them back (LoadUnits) and does only the rest.
//
// Leases: ClaimJob gives a job to one worker (any string that names it, e.g. "host:pid:n") until
// `lease_ms` from now. The worker renews the lease while it works (RenewLease, SaveUnits). A job whose
// lease expired is claimable by any worker: that is how another replica (or the restarted process) takes
// over. The claim is a compare-and-set UPDATE (state and lease in the WHERE clause, one row affected or
// none), which is atomic in SQLite and InnoDB alike, so two workers never hold the same job. Every write
// a worker makes names its lease; when the lease has moved on, the write changes nothing and returns
// kUnavailable ("lease lost"), or kCancelled when the owner cancelled the job.
//
// Exactly one history row: CompleteJob inserts the translation into the history with client_key
// "job-<id>" and marks the job done in one transaction; the history's unique client_key makes a repeat
// (a crash between the two, a second worker after a lost lease) return the same row, never a second.
// Cancelling writes no history row and drops the saved units.
//
// Files (schema version 4): a job may carry an uploaded document (NewJob::file): its text_de is then the
// document's plain text (for the history), and the file's bytes are kept with the job ("input") until the
// job is deleted. CompleteJob stores the translated file ("output") in the same transaction as the history
// row; GetJobFile reads either. Cancelling or failing keeps the input (the owner may look at the job) and
// writes no output; DeleteJob removes both.
//
// Owner scoping as in TranslationStore: with an owner, another owner's job is kNotFound.
// Thread-safety: as the TranslationStore that implements it (all methods, any thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace dolmetsch::store {

enum class JobState { kQueued, kRunning, kDone, kFailed, kCancelled };

// "queued", "running", "done", "failed", "cancelled" (as stored and as the API shows them).
std::string_view JobStateName(JobState state);
StatusOr<JobState> ParseJobState(std::string_view name);
// done, failed and cancelled: nothing more happens to the job.
bool IsFinal(JobState state);

inline constexpr std::size_t kMaxWorkerBytes = 128;
inline constexpr std::size_t kMaxJobErrorBytes = 1000;  // longer messages are cut
inline constexpr int kMaxJobListLimit = 1000;
inline constexpr int kJobPreviewChars = 200;  // ListJobs' text_de
inline constexpr std::size_t kMaxJobFileBytes = std::size_t{64} << 20;
inline constexpr std::size_t kMaxJobFileNameBytes = 255;

// A document with a job: a file name (1..kMaxJobFileNameBytes bytes of UTF-8, no '/', '\\', control
// character, not "." or "..": util/file_name.h's SanitizeFileName gives such names) and its bytes (any,
// 1..kMaxJobFileBytes).
struct JobFile {
  std::string name;
  std::string content;
};

struct JobRecord {
  int64_t id = 0;
  std::string owner;
  JobState state = JobState::kQueued;
  std::string text_de;  // empty unless asked for (GetJob with_text) or claimed; ListJobs: a preview
  std::string model;
  int64_t total_units = 0;  // 0 until the first worker has planned the text
  int64_t done_units = 0;   // units saved so far (all of them once done)
  int64_t created_at_unix = 0;
  int64_t updated_at_unix = 0;
  int64_t finished_at_unix = 0;  // 0 while not final
  std::string error;             // failed: what went wrong, for the owner to read
  int64_t history_id = 0;        // done: the history row (client_key "job-<id>")
  std::string lease_owner;       // running: the worker holding it
  int64_t lease_expires_unix_ms = 0;
  std::string source_lang = "de";  // the pair to translate (jobs from before schema version 3: de -> en)
  std::string target_lang = "en";
  std::string file_name;         // a file job: the uploaded file's name; "" for a text
  std::string output_file_name;  // a done file job: the translated file's name
};

struct NewJob {
  std::string owner;
  std::string text_de;  // valid UTF-8, may be long (LONGTEXT)
  std::string model;
  std::string source_lang = "de";  // language codes as in NewTranslation; the history row gets them too
  std::string target_lang = "en";
  std::optional<JobFile> file{};  // an uploaded document (text_de: its plain text)
};

struct JobUnit {
  int64_t index = 0;  // 0-based unit number in text order
  std::string text_en;
};

class JobStore {
 public:
  virtual ~JobStore() = default;

  // A new queued job. kInvalidArgument for text that is not UTF-8 or an owner/model over the limits.
  virtual StatusOr<JobRecord> CreateJob(const NewJob& job) = 0;

  // The job (owned by `owner` unless nullopt); text_de only when `with_text`.
  virtual StatusOr<JobRecord> GetJob(int64_t id, const std::optional<std::string>& owner, bool with_text) = 0;

  // The owner's jobs (all owners when nullopt), newest first, each with only the first kJobPreviewChars
  // characters of its text_de (enough to title it); only queued and running ones when `active_only`.
  // limit 1..kMaxJobListLimit.
  virtual StatusOr<std::vector<JobRecord>> ListJobs(const std::optional<std::string>& owner, bool active_only,
                                                    int limit) = 0;

  // Gives the next job to `worker` until now + lease_ms and returns it with its text; nullopt when no job
  // is queued or left with an expired lease. Fair across owners: an owner with no job running goes
  // first, then the oldest job.
  virtual StatusOr<std::optional<JobRecord>> ClaimJob(const std::string& worker, int64_t lease_ms) = 0;

  // Extends the lease. kUnavailable when the lease was lost, kCancelled when the job was cancelled.
  virtual Status RenewLease(int64_t id, const std::string& worker, int64_t lease_ms) = 0;

  // Checkpoint: stores finished units (a unit saved twice keeps the newer text), sets total_units,
  // recounts done_units and renews the lease. Errors as RenewLease.
  virtual Status SaveUnits(int64_t id, const std::string& worker, const std::vector<JobUnit>& units,
                           int64_t total_units, int64_t lease_ms) = 0;

  // The saved units with index >= from_index, in index order (owner checked unless nullopt).
  virtual StatusOr<std::vector<JobUnit>> LoadUnits(int64_t id, const std::optional<std::string>& owner,
                                                   int64_t from_index) = 0;

  // Writes the history row (text_de of the job, `text_en`, the job's owner, model and file name) and marks
  // the job done, at most once; returns the history row's id. A job already done returns its history id.
  // `output`: a file job's translated file, stored in the same transaction. Errors as RenewLease;
  // kInvalidArgument for an invalid output file.
  virtual StatusOr<int64_t> CompleteJob(int64_t id, const std::string& worker, const std::string& text_en,
                                        const JobFile* output = nullptr) = 0;

  // The job's uploaded file (`output` false) or its translated file (true; there once the job is done).
  // kNotFound (owner checked unless nullopt) when the job or that file does not exist.
  virtual StatusOr<JobFile> GetJobFile(int64_t id, const std::optional<std::string>& owner, bool output) = 0;

  // Marks the job failed with `error` (cut to kMaxJobErrorBytes). Errors as RenewLease.
  virtual Status FailJob(int64_t id, const std::string& worker, const std::string& error) = 0;

  // Cancels a queued or running job (its units are dropped, no history row). Ok when it is cancelled
  // already; kInvalidArgument ("already done/failed") when it is finished otherwise.
  virtual Status CancelJob(int64_t id, const std::optional<std::string>& owner) = 0;

  // Deletes a finished job and its units (not its history row). kInvalidArgument while it is active.
  virtual Status DeleteJob(int64_t id, const std::optional<std::string>& owner) = 0;
};

// Checks shared by both backends.
Status ValidateNewJob(const NewJob& job);
Status ValidateWorker(const std::string& worker, int64_t lease_ms);
Status ValidateJobFile(const JobFile& file);
// The history row's client_key for job `id`.
std::string JobClientKey(int64_t id);

}  // namespace dolmetsch::store
