// Owning smart pointers for OpenSSL objects, so every allocation is released
// on every path, and a one-line rendering of the OpenSSL error queue.
#pragma once

#include <memory>
#include <string>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace signet::pkix {

// A stateless deleter calling the OpenSSL free function F; the pointer stays
// the size of a raw pointer.
template <class T, void (*F)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const noexcept { F(p); }
};

template <class T, void (*F)(T*)>
using OpenSslPtr = std::unique_ptr<T, OpenSslDeleter<T, F>>;

using X509Ptr = OpenSslPtr<X509, X509_free>;
using X509ReqPtr = OpenSslPtr<X509_REQ, X509_REQ_free>;
using X509NamePtr = OpenSslPtr<X509_NAME, X509_NAME_free>;
using X509ExtensionPtr = OpenSslPtr<X509_EXTENSION, X509_EXTENSION_free>;
using EvpPkeyPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using EvpPkeyCtxPtr = OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpMdCtxPtr = OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using BioPtr = OpenSslPtr<BIO, BIO_free_all>;
using BignumPtr = OpenSslPtr<BIGNUM, BN_free>;
using Asn1IntegerPtr = OpenSslPtr<ASN1_INTEGER, ASN1_INTEGER_free>;
using Asn1OctetStringPtr = OpenSslPtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using GeneralNamePtr = OpenSslPtr<GENERAL_NAME, GENERAL_NAME_free>;
using GeneralNamesPtr = OpenSslPtr<GENERAL_NAMES, GENERAL_NAMES_free>;
using BasicConstraintsPtr = OpenSslPtr<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>;
using ExtendedKeyUsagePtr = OpenSslPtr<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>;

// X509_EXTENSION stacks are freed element by element; sk_*_pop_free is a
// macro in some OpenSSL versions, so wrap it in a real function.
inline void free_extension_stack(STACK_OF(X509_EXTENSION) * stack) {
  sk_X509_EXTENSION_pop_free(stack, X509_EXTENSION_free);
}
using X509ExtensionsPtr = OpenSslPtr<STACK_OF(X509_EXTENSION), free_extension_stack>;

// Strings that OpenSSL allocates (X509_NAME_oneline, ASN1_STRING_to_UTF8,
// i2s_*) must go back through OPENSSL_free, which is a macro.
struct OpenSslStringDeleter {
  void operator()(void* p) const noexcept { OPENSSL_free(p); }
};
using OpenSslString = std::unique_ptr<unsigned char, OpenSslStringDeleter>;
using OpenSslChars = std::unique_ptr<char, OpenSslStringDeleter>;

// Drains this thread's OpenSSL error queue into one line, oldest first,
// separated by "; ". Returns "unknown OpenSSL error" when the queue is empty,
// so callers can always append it to a message.
inline std::string openssl_error() {
  std::string out;
  for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? std::string("unknown OpenSSL error") : out;
}

}  // namespace signet::pkix
