// The OpenAPI 3.0 description of the translator's HTTP API, served at GET /openapi.json.
// Kept beside the handlers; docs/api.md is the prose version. Thread-safety: a constant.
#pragma once

#include <string>

namespace dolmetsch::translator {

const std::string& OpenApiJson();

}  // namespace dolmetsch::translator
