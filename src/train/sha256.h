#pragma once
// SHA-256 (FIPS 180-4), for config hashes and the parameter digests `loce inspect` prints, so two
// runs can be compared bit for bit from the shell (no OpenSSL dependency on the GPU machines).
#include <cstddef>
#include <cstdint>
#include <string>

namespace loce::train {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(const std::string& s) { update(s.data(), s.size()); }
  std::string hex_digest();  // finalises; 64 lowercase hex digits

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

std::string sha256_hex(const std::string& bytes);

}  // namespace loce::train
