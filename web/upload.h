// Uploaded files on the web page: a document becomes a translation job (docs/web.md, "Files").
//
// ParseUploadForm reads a multipart/form-data body as browsers send the page's form: text fields (UTF-8,
// as FormFields) and at most one file, the part named "file". A file part without a name and without
// bytes (the form sent with no file chosen) is no file. More than one file, a file over `max_file_bytes`,
// or a text field that is not UTF-8 is kInvalidArgument (413 for the size: kResourceExhausted), with a
// message for the visitor.
// PlanFile checks the file before a job is made: its format (from the name, else the content:
// markup::DetectFormat) and that it parses, and gives the plain text of its blocks (joined by blank lines)
// that the job and the history keep as the file's text. Errors name the file and what is wrong.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "store/job_store.h"
#include "util/status.h"
#include "web/form.h"

namespace dolmetsch::web {

struct UploadForm {
  FormFields fields;
  std::optional<store::JobFile> file;  // name sanitized (util/file_name.h)
};

StatusOr<UploadForm> ParseUploadForm(std::string_view body, std::string_view content_type,
                                     std::size_t max_file_bytes);

struct FilePlan {
  std::string format;  // markup::FormatName: "docx", "html", ...
  std::string text;    // the blocks' plain text, joined by "\n\n"
  std::size_t blocks = 0;
};

StatusOr<FilePlan> PlanFile(const store::JobFile& file, std::size_t max_file_bytes);

// The formats a visitor may upload, for the page's file picker (`accept`): ".docx,.odt,...".
std::string AcceptedFileExtensions();

// A Content-Disposition header that makes browsers save `file_name` (a sanitized name): an ASCII fallback
// (other bytes as '_') and the UTF-8 name percent-encoded (RFC 6266, RFC 8187).
std::string ContentDisposition(const std::string& file_name);

// The Content-Type of a translated file, from its name's extension (application/octet-stream if unknown).
std::string FileContentType(const std::string& file_name);

}  // namespace dolmetsch::web
