#include "translator/openapi.h"

namespace dolmetsch::translator {

const std::string& OpenApiJson() {
  static const std::string* text = new std::string(R"json({
  "openapi": "3.0.3",
  "info": {
    "title": "dolmetsch translator",
    "version": "1",
    "description": "Translation without a length limit between the language pairs of the served OPUS-MT models (GET /languages), directly or through English. Two request styles share POST /translate: the original app's {\"text_de\"} (German to English), and LibreTranslate's {\"q\", \"source\", \"target\", ...}; source \"auto\" detects each text's language. POST /v1/translate is the native API with options and Server-Sent Events streaming. Every error is {\"error\": \"message\"}."
  },
  "paths": {
    "/": {"get": {"summary": "Help, as the original app", "responses": {"200": {"description": "{\"How to\": \"Use endpoint /translate\"}", "content": {"application/json": {"schema": {"type": "object", "properties": {"How to": {"type": "string"}}}}}}}}},
    "/translate": {
      "post": {
        "summary": "Translate (original app or LibreTranslate request)",
        "requestBody": {"required": true, "content": {
          "application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/LegacyRequest"}, {"$ref": "#/components/schemas/LibreTranslateRequest"}]}},
          "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/LibreTranslateRequest"}},
          "multipart/form-data": {"schema": {"$ref": "#/components/schemas/LibreTranslateRequest"}}}},
        "responses": {
          "200": {"description": "The translation: {\"text_en\"} for a text_de request, LibreTranslate's shape for a q request", "content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/LegacyResponse"}, {"$ref": "#/components/schemas/LibreTranslateResponse"}]}}}},
          "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"},
          "405": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"},
          "503": {"$ref": "#/components/responses/Unavailable"}, "504": {"$ref": "#/components/responses/Error"}}
      }
    },
    "/v1/translate": {
      "post": {
        "summary": "Translate (native API); with \"stream\": true the answer is text/event-stream",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NativeRequest"}}}},
        "responses": {
          "200": {"description": "The translations, or a stream of events: 'progress' per finished sentence, then 'done' (data: the same object as the non-streaming answer) or 'error' (data: {\"error\"})",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NativeResponse"}},
                              "text/event-stream": {"schema": {"type": "string"}}}},
          "400": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"},
          "503": {"$ref": "#/components/responses/Unavailable"}, "504": {"$ref": "#/components/responses/Error"}}
      }
    },
    "/translate_file": {
      "post": {
        "summary": "Translate a file in its format (LibreTranslate): .txt .html .htm .xhtml .md .markdown .srt .vtt .docx .odt .pptx .odp .epub, and .pdf (answered as Markdown)",
        "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
          "file": {"type": "string", "format": "binary"},
          "source": {"type": "string", "description": "A code of GET /languages; \"auto\" or none: detected from the file's text among the sources that translate into target"},
          "target": {"type": "string"},
          "api_key": {"type": "string"}}}}}},
        "responses": {
          "200": {"description": "Where the translated file can be downloaded until it expires", "content": {"application/json": {"schema": {"type": "object", "properties": {"translatedFileUrl": {"type": "string"}}}}}},
          "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Unavailable"},
          "504": {"$ref": "#/components/responses/Error"}}
      }
    },
    "/v1/translate_file": {
      "post": {
        "summary": "Translate a file in its format, streamed: a progress event per translatable block in document order, then the file in base64 (no request timeout; closing the connection cancels)",
        "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
          "file": {"type": "string", "format": "binary", "description": "With its file name; the format comes from the extension, else the content (as /translate_file)"},
          "source": {"type": "string", "description": "A code of GET /languages; \"auto\" or none: detected from the file's text"},
          "target": {"type": "string"},
          "skip_blocks": {"type": "integer", "minimum": 0, "description": "Blocks the client has already: their progress events are not sent (the whole file is still translated)"},
          "api_key": {"type": "string"}}}}}},
        "responses": {
          "200": {"description": "Server-Sent Events. event: progress, data: {\"index\", \"done\", \"total\", \"piece\"} (piece: the block's translation as plain text, after \"\\n\\n\" for every block but the first); then event: done, data: {\"file_name\", \"format\", \"content_base64\", \"bytes\", \"blocks\", \"sentences\", \"model\": {\"name\", \"source\", \"target\"}, \"detected_language\" (when detected)}; or event: error, data: {\"error\", \"status\"}", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
          "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Unavailable"}}
      }
    },
    "/download_file/{token}/{name}": {"get": {"summary": "A translated file of /translate_file (kept --files-ttl-seconds)",
        "parameters": [{"name": "token", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}},
                       {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The file, as an attachment", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                      "404": {"$ref": "#/components/responses/Error"}}}},
    "/detect": {"post": {"summary": "Detect the language of a text among the served ones (LibreTranslate)",
        "requestBody": {"required": true, "content": {
          "application/json": {"schema": {"type": "object", "required": ["q"], "properties": {"q": {"type": "string"}, "api_key": {"type": "string"}}}},
          "application/x-www-form-urlencoded": {"schema": {"type": "object", "required": ["q"], "properties": {"q": {"type": "string"}}}}}},
        "responses": {"200": {"description": "Up to three guesses, best first", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/DetectedLanguage"}}}}},
                      "400": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}}},
    "/languages": {"get": {"summary": "Every served source and target code with its targets (LibreTranslate)", "responses": {"200": {"description": "[{\"code\": \"de\", \"name\": \"German\", \"targets\": [\"en\"]}]", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "targets": {"type": "array", "items": {"type": "string"}}}}}}}}}}},
    "/frontend/settings": {"get": {"summary": "Limits and features (LibreTranslate); charLimit -1 means no per-text limit", "responses": {"200": {"description": "Settings", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/health": {"get": {"summary": "Liveness: the process answers", "responses": {"200": {"description": "{\"status\": \"ok\"}"}}}},
    "/ready": {"get": {"summary": "Readiness: preloaded models loaded, warm-up done, not shutting down", "responses": {"200": {"description": "{\"status\": \"ready\", \"model\": \"opus-mt-de-en\"}"}, "503": {"description": "{\"status\": \"loading\" | \"draining\", \"error\": ...}"}}}},
    "/metrics": {"get": {"summary": "Prometheus metrics (text format 0.0.4)", "responses": {"200": {"description": "Metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
    "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.0"}}}}
  },
  "components": {
    "schemas": {
      "LegacyRequest": {"type": "object", "required": ["text_de"], "properties": {"text_de": {"type": "string", "description": "German text of any length (bounded by the body limit)"}}},
      "LegacyResponse": {"type": "object", "properties": {"text_en": {"type": "string"}}},
      "LibreTranslateRequest": {"type": "object", "required": ["q"], "properties": {
        "q": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "source": {"type": "string", "description": "A code of GET /languages, or \"auto\" (detect each text); default: de when de-en is served, else the only source"},
        "target": {"type": "string", "description": "A target of the source in GET /languages; default: en when reachable, else the only target"},
        "format": {"type": "string", "enum": ["text", "html", "markdown", "md"], "default": "text", "description": "html or markdown: each text is a document or fragment in that format; its markup is kept and inline spans follow their words (engine alignment); not with alternatives"},
        "alternatives": {"type": "integer", "minimum": 0, "maximum": 7, "default": 0},
        "api_key": {"type": "string", "description": "Checked only when the server is configured with keys"}}},
      "LibreTranslateResponse": {"type": "object", "properties": {
        "translatedText": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "alternatives": {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "array", "items": {"type": "array", "items": {"type": "string"}}}]},
        "detectedLanguage": {"description": "Only when source was auto: one per text", "oneOf": [{"$ref": "#/components/schemas/DetectedLanguage"}, {"type": "array", "items": {"$ref": "#/components/schemas/DetectedLanguage"}}]}}},
      "DetectedLanguage": {"type": "object", "properties": {"language": {"type": "string"}, "confidence": {"type": "number", "minimum": 0, "maximum": 100}}},
      "NativeRequest": {"type": "object", "required": ["text"], "additionalProperties": false, "properties": {
        "text": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "source": {"type": "string", "description": "As LibreTranslate's source (\"auto\" detects)"},
        "target": {"type": "string"},
        "stream": {"type": "boolean", "default": false},
        "format": {"type": "string", "enum": ["text", "html", "markdown", "md"], "default": "text", "description": "As LibreTranslate's format; not with stream or n_best > 1"},
        "options": {"type": "object", "additionalProperties": false, "properties": {
          "beam_size": {"type": "integer", "minimum": 1, "maximum": 8},
          "n_best": {"type": "integer", "minimum": 1, "maximum": 8, "description": "<= beam_size; extra hypotheses come back as alternatives"},
          "max_length": {"type": "integer", "minimum": 2, "maximum": 512},
          "max_new_tokens": {"type": "integer", "minimum": 1, "maximum": 512}}}}},
      "NativeResponse": {"type": "object", "properties": {
        "translations": {"type": "array", "items": {"type": "object", "properties": {"text": {"type": "string"}, "alternatives": {"type": "array", "items": {"type": "string"}}, "detected_language": {"$ref": "#/components/schemas/DetectedLanguage"}}}},
        "model": {"type": "object", "properties": {"name": {"type": "string", "description": "The model folder(s); two joined with + through a pivot"}, "source": {"type": "string"}, "target": {"type": "string"}, "pivot": {"type": "string", "description": "Present when translated through this language (en)"}, "routes": {"type": "array", "items": {"type": "string"}}}},
        "timing": {"type": "object", "properties": {"total_seconds": {"type": "number"}}},
        "usage": {"type": "object", "properties": {"texts": {"type": "integer"}, "sentences": {"type": "integer"}, "source_tokens": {"type": "integer"}, "target_tokens": {"type": "integer"}}}}},
      "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
    },
    "responses": {
      "Error": {"description": "An error a person can act on", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unavailable": {"description": "Queue full, model loading or shutting down; see Retry-After", "headers": {"Retry-After": {"schema": {"type": "integer"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    }
  }
})json");
  return *text;
}

}  // namespace dolmetsch::translator
