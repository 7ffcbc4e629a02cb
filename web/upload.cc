#include "web/upload.h"

#include <utility>

#include "http/multipart.h"
#include "markup/formats.h"
#include "util/file_name.h"
#include "util/percent_encoding.h"
#include "util/utf8.h"

namespace dolmetsch::web {

StatusOr<UploadForm> ParseUploadForm(std::string_view body, std::string_view content_type,
                                     std::size_t max_file_bytes) {
  StatusOr<std::vector<http::FormPart>> parts = http::ParseMultipart(body, content_type);
  if (!parts.ok()) return Status::InvalidArgument("The upload is malformed: " + parts.status().message());
  UploadForm form;
  std::vector<std::pair<std::string, std::string>> fields;
  for (http::FormPart& part : *parts) {
    if (part.name == "file") {
      // A browser sends the file input even when nothing was chosen: no name, no bytes.
      if (part.filename.empty() && part.value.empty()) continue;
      if (form.file) return Status::InvalidArgument("Upload one file at a time.");
      if (part.value.empty()) {
        return Status::InvalidArgument("The file \"" + SanitizeFileName(part.filename) + "\" is empty.");
      }
      if (part.value.size() > max_file_bytes) {
        return Status::ResourceExhausted("The file has " + std::to_string(part.value.size()) +
                                         " bytes; this site translates files of at most " +
                                         std::to_string(max_file_bytes) + " bytes.");
      }
      form.file = store::JobFile{SanitizeFileName(part.filename), std::move(part.value)};
      continue;
    }
    if (!IsValidUtf8(part.value) || !IsValidUtf8(part.name)) {
      return Status::InvalidArgument("The form field \"" + SanitizeFileName(part.name) +
                                     "\" is not UTF-8 text.");
    }
    fields.emplace_back(std::move(part.name), std::move(part.value));
  }
  form.fields = FormFields(std::move(fields));
  return form;
}

StatusOr<FilePlan> PlanFile(const store::JobFile& file, std::size_t max_file_bytes) {
  StatusOr<markup::Format> format = markup::DetectFormat(file.name, file.content);
  if (!format.ok()) {
    std::string extensions;
    for (const std::string& ext : markup::FileExtensions())
      extensions += (extensions.empty() ? "" : " ") + ext;
    return Status::InvalidArgument("\"" + file.name + "\" is not a format this site translates (" +
                                   format.status().message() + "). Upload one of: " + extensions + ".");
  }
  markup::DocumentTranslationOptions options;
  options.limits.max_input_bytes = max_file_bytes;
  StatusOr<std::vector<std::string>> blocks = markup::ExtractBlocks(file.content, *format, options);
  if (!blocks.ok()) {
    return Status::InvalidArgument("\"" + file.name + "\" cannot be read as " + markup::FormatName(*format) +
                                   ": " + blocks.status().message());
  }
  FilePlan plan;
  plan.format = markup::FormatName(*format);
  for (const std::string& block : *blocks) {
    if (block.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    if (!plan.text.empty()) plan.text += "\n\n";
    plan.text += block;
    ++plan.blocks;
  }
  if (plan.blocks == 0) {
    return Status::InvalidArgument("\"" + file.name + "\" has no text to translate.");
  }
  return plan;
}

std::string AcceptedFileExtensions() {
  std::string accept;
  for (const std::string& ext : markup::FileExtensions()) accept += (accept.empty() ? "" : ",") + ext;
  return accept;
}

std::string ContentDisposition(const std::string& file_name) {
  std::string ascii;
  for (char c : file_name) {
    const unsigned char u = static_cast<unsigned char>(c);
    ascii += (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') ? '_' : c;
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + PercentEncode(file_name);
}

std::string FileContentType(const std::string& file_name) {
  return markup::ContentTypeForFileName(file_name);
}

}  // namespace dolmetsch::web
