#include "hub/digest.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace dolmetsch::hub {
namespace {

std::string ToHex(const unsigned char* bytes, unsigned int size) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

bool IsHexOfLength(std::string_view text, size_t length) {
  return text.size() == length &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

// Calls `consume(chunk, size)` for the first `length` bytes of the file (all of it when length is max).
template <typename Consume>
Status ReadFile(const std::filesystem::path& path, uint64_t length, Consume consume) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(path.string() + ": cannot open for reading: " + std::strerror(errno));
  std::vector<char> buffer(1 << 20);
  uint64_t left = length;
  while (left > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(left, buffer.size()));
    in.read(buffer.data(), static_cast<std::streamsize>(want));
    std::streamsize got = in.gcount();
    if (got <= 0) break;
    consume(buffer.data(), static_cast<size_t>(got));
    left -= static_cast<uint64_t>(got);
  }
  if (in.bad()) return Status::IoError(path.string() + ": read error");
  if (left > 0 && length != UINT64_MAX) {
    return Status::IoError(path.string() + ": shorter than the expected " + std::to_string(length) +
                           " bytes");
  }
  return Status::Ok();
}

}  // namespace

struct Sha256Stream::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256Stream::Sha256Stream() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  Reset();
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(impl_->ctx); }

void Sha256Stream::Reset() { EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr); }

void Sha256Stream::Update(const void* data, size_t size) { EVP_DigestUpdate(impl_->ctx, data, size); }

std::string Sha256Stream::FinishHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(impl_->ctx, digest, &size);
  Reset();
  return ToHex(digest, size);
}

std::string Sha256Hex(std::string_view data) {
  Sha256Stream stream;
  stream.Update(data.data(), data.size());
  return stream.FinishHex();
}

namespace {

// sha1 over "blob <size>\0" followed by what `feed` supplies.
template <typename Feed>
StatusOr<std::string> GitBlobSha1(uint64_t size, Feed feed) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr);
  std::string header = "blob " + std::to_string(size);
  EVP_DigestUpdate(ctx, header.data(), header.size() + 1);  // includes the terminating '\0'
  Status status = feed([ctx](const char* data, size_t n) { EVP_DigestUpdate(ctx, data, n); });
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_DigestFinal_ex(ctx, digest, &digest_size);
  EVP_MD_CTX_free(ctx);
  if (!status.ok()) return status;
  return ToHex(digest, digest_size);
}

}  // namespace

std::string GitBlobSha1Hex(std::string_view data) {
  return GitBlobSha1(data.size(),
                     [&](auto update) {
                       update(data.data(), data.size());
                       return Status::Ok();
                     })
      .value();
}

Status HashFilePrefix(const std::filesystem::path& path, uint64_t length, Sha256Stream& stream) {
  return ReadFile(path, length, [&](const char* data, size_t n) { stream.Update(data, n); });
}

StatusOr<std::string> Sha256OfFile(const std::filesystem::path& path) {
  Sha256Stream stream;
  DOLMETSCH_RETURN_IF_ERROR(HashFilePrefix(path, UINT64_MAX, stream));
  return stream.FinishHex();
}

StatusOr<std::string> GitBlobSha1OfFile(const std::filesystem::path& path) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IoError(path.string() + ": " + ec.message());
  return GitBlobSha1(size, [&](auto update) { return ReadFile(path, size, update); });
}

bool IsSha256Hex(std::string_view text) { return IsHexOfLength(text, 64); }
bool IsSha1Hex(std::string_view text) { return IsHexOfLength(text, 40); }

}  // namespace dolmetsch::hub
