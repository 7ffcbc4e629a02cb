#include "store/job_store.h"

#include "store/store_util.h"
#include "store/translation_store.h"

namespace dolmetsch::store {

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued:
      return "queued";
    case JobState::kRunning:
      return "running";
    case JobState::kDone:
      return "done";
    case JobState::kFailed:
      return "failed";
    case JobState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

StatusOr<JobState> ParseJobState(std::string_view name) {
  for (JobState s :
       {JobState::kQueued, JobState::kRunning, JobState::kDone, JobState::kFailed, JobState::kCancelled}) {
    if (JobStateName(s) == name) return s;
  }
  return Status::Corruption("unknown job state '" + std::string(name.substr(0, 32)) + "' in the jobs table");
}

bool IsFinal(JobState state) {
  return state == JobState::kDone || state == JobState::kFailed || state == JobState::kCancelled;
}

Status ValidateNewJob(const NewJob& job) {
  NewTranslation as_row;  // same rules as a history row for the shared fields
  as_row.text_de = job.text_de;
  as_row.owner = job.owner;
  as_row.model = job.model;
  as_row.source_lang = job.source_lang;
  as_row.target_lang = job.target_lang;
  DOLMETSCH_RETURN_IF_ERROR(ValidateNewTranslation(as_row));
  if (job.file) DOLMETSCH_RETURN_IF_ERROR(ValidateJobFile(*job.file));
  return Status::Ok();
}

Status ValidateJobFile(const JobFile& file) {
  if (file.name.empty() || file.name.size() > kMaxJobFileNameBytes || !IsValidUtf8(file.name)) {
    return Status::InvalidArgument("a job's file name must be 1.." + std::to_string(kMaxJobFileNameBytes) +
                                   " bytes of UTF-8");
  }
  if (file.name == "." || file.name == "..") {
    return Status::InvalidArgument("a job's file name must not be '.' or '..'");
  }
  for (char c : file.name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\' || u < 0x20 || u == 0x7f) {
      return Status::InvalidArgument(
          "a job's file name must be a plain name, without a path or control "
          "characters");
    }
  }
  if (file.content.empty()) return Status::InvalidArgument("file '" + file.name + "' is empty");
  if (file.content.size() > kMaxJobFileBytes) {
    return Status::InvalidArgument("file '" + file.name + "' has " + std::to_string(file.content.size()) +
                                   " bytes; a job's file may have at most " +
                                   std::to_string(kMaxJobFileBytes));
  }
  return Status::Ok();
}

Status ValidateWorker(const std::string& worker, int64_t lease_ms) {
  if (worker.empty() || worker.size() > kMaxWorkerBytes || !IsValidUtf8(worker)) {
    return Status::InvalidArgument("worker name must be 1.." + std::to_string(kMaxWorkerBytes) +
                                   " bytes of UTF-8");
  }
  if (lease_ms < 1 || lease_ms > 24LL * 3600 * 1000) {
    return Status::InvalidArgument("lease must be 1 ms .. 24 h, got " + std::to_string(lease_ms) + " ms");
  }
  return Status::Ok();
}

std::string JobClientKey(int64_t id) { return "job-" + std::to_string(id); }

}  // namespace dolmetsch::store

namespace dolmetsch::store::job_sql {

Status ValidateUnits(const std::vector<JobUnit>& units, int64_t total_units) {
  if (total_units < 0) return Status::InvalidArgument("total_units must not be negative");
  for (const JobUnit& unit : units) {
    if (unit.index < 0 || unit.index >= total_units) {
      return Status::InvalidArgument("unit index " + std::to_string(unit.index) + " is outside 0.." +
                                     std::to_string(total_units - 1));
    }
    if (!IsValidUtf8(unit.text_en)) {
      return Status::InvalidArgument("unit " + std::to_string(unit.index) + " is not valid UTF-8");
    }
  }
  return Status::Ok();
}

Status NoFile(int64_t id, bool output) {
  return Status::NotFound("job " + std::to_string(id) + " has no " +
                          (output ? "translated file (it is not done, or it was a text)" : "file"));
}

std::string CutError(const std::string& error) {
  if (error.size() <= kMaxJobErrorBytes) return error;
  std::size_t end = kMaxJobErrorBytes;
  while (end > 0 && (static_cast<unsigned char>(error[end]) & 0xC0) == 0x80) --end;  // not mid-character
  return error.substr(0, end);
}

Status LeaseLost(const JobRecord& job, const std::string& worker) {
  const std::string what = "job " + std::to_string(job.id);
  if (job.state == JobState::kCancelled) return Status::Cancelled(what + " was cancelled");
  if (job.state == JobState::kRunning) {
    return Status::Unavailable("lease lost: " + what + " is now worked on by " + job.lease_owner + ", not " +
                               worker + " (its lease expired)");
  }
  return Status::Unavailable("lease lost: " + what + " is " + std::string(JobStateName(job.state)));
}

}  // namespace dolmetsch::store::job_sql
