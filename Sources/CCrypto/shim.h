/* SHA-256 from the system's OpenSSL libcrypto (Debian: libssl-dev). */
#ifndef WARMTH_CCRYPTO_SHIM_H
#define WARMTH_CCRYPTO_SHIM_H
#include <openssl/evp.h>

/* out must hold 32 bytes. Returns 1 on success. */
static inline int warmth_sha256(const void *data, size_t len, unsigned char *out) {
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32;
}
#endif
