// Static assets (the stylesheet and the one script) compiled into the binary, so that a single file runs
// the web app. Pages link them as /static/<name>?v=<version>; a request with the current version is cached
// for a year ("immutable"), other requests for an hour, and every answer carries an ETag.
// The script is external (never inline) so that the Content-Security-Policy can forbid inline scripts.
// Thread-safety: immutable after static initialisation.
#pragma once

#include <string>
#include <string_view>

namespace dolmetsch::web {

struct Asset {
  std::string_view name;          // "app.css"
  std::string_view content_type;  // "text/css; charset=utf-8"
  std::string_view content;
  std::string version;  // first 16 hex digits of SHA-256(content)
};

// nullptr when there is no such asset.
const Asset* FindAsset(std::string_view name);

}  // namespace dolmetsch::web
