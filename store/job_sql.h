// SQL and checks shared by the SQLite and MariaDB implementations of JobStore (job_store.h). Internal to
// store/; the statements use only syntax both databases accept.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/job_store.h"

namespace dolmetsch::store::job_sql {

// Columns of a JobRecord in ReadJob order; the text column is appended by the caller (text_de or '').
// The file names come from job_files (schema version 4); the query must read FROM jobs without an alias.
inline constexpr const char* kColumns =
    "id, owner, state, model, total_units, done_units, created_at, updated_at, finished_at, error, "
    "history_id, lease_owner, lease_expires_ms, source_lang, target_lang, "
    "COALESCE((SELECT f.name FROM job_files f WHERE f.job_id = jobs.id AND f.role = 'input'), ''), "
    "COALESCE((SELECT f.name FROM job_files f WHERE f.job_id = jobs.id AND f.role = 'output'), '')";
inline constexpr int kColumnCount = 17;  // + the text column

// kNotFound for a job without that file.
Status NoFile(int64_t id, bool output);

// A job's file. Parameters: id, role ('input' or 'output').
inline constexpr const char* kSelectFile =
    "SELECT name, content FROM job_files WHERE job_id = ? AND role = ?";
// Parameters: job_id, role, name, content.
inline constexpr const char* kInsertFile =
    "INSERT INTO job_files(job_id, role, name, content) VALUES(?, ?, ?, ?)";

// Claimable jobs, fairest first: owners without a live running job before the others, then oldest.
// Parameters: now_ms (expired leases), now_ms (live leases).
inline constexpr const char* kClaimCandidates =
    "SELECT j.id FROM jobs j WHERE j.state = 'queued' OR (j.state = 'running' AND j.lease_expires_ms < ?) "
    "ORDER BY EXISTS (SELECT 1 FROM jobs r WHERE r.owner = j.owner AND r.state = 'running' "
    "AND r.lease_expires_ms >= ?), j.id LIMIT 16";

// The compare-and-set claim: one row changes only while the job is still claimable.
// Parameters: worker, lease_expires_ms, updated_at, id, now_ms.
inline constexpr const char* kClaim =
    "UPDATE jobs SET state = 'running', lease_owner = ?, lease_expires_ms = ?, updated_at = ? "
    "WHERE id = ? AND (state = 'queued' OR (state = 'running' AND lease_expires_ms < ?))";

// Lease renewal, only by the holder of a running job. Parameters: lease_expires_ms, updated_at, id, worker.
inline constexpr const char* kTouchLease =
    "UPDATE jobs SET lease_expires_ms = ?, updated_at = ? WHERE id = ? AND state = 'running' "
    "AND lease_owner = ?";

// Final state. Parameters: state, error, history_id, finished_at, updated_at, state (again), id.
inline constexpr const char* kFinish =
    "UPDATE jobs SET state = ?, error = ?, history_id = ?, finished_at = ?, updated_at = ?, lease_owner = "
    "'', "
    "lease_expires_ms = 0, done_units = CASE WHEN ? = 'done' THEN total_units ELSE done_units END WHERE id = "
    "?";

// Units: index in [0, total_units), text UTF-8; total_units >= 0.
Status ValidateUnits(const std::vector<JobUnit>& units, int64_t total_units);

// `error` cut to kMaxJobErrorBytes at a character boundary.
std::string CutError(const std::string& error);

// Why `worker` may not write to `job` any more: kCancelled when it was cancelled, else kUnavailable
// ("lease lost") naming what happened.
Status LeaseLost(const JobRecord& job, const std::string& worker);

}  // namespace dolmetsch::store::job_sql
