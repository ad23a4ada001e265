// libcurl's handles as owning pointers, and options set so that the first
// refusal is kept: what the host's HTTP client and notify-email's SMTP
// client share. Header-only, so common/ itself links no libcurl; whoever
// includes it links CURL::libcurl.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>

namespace signet::curlutil {

struct EasyDeleter {
  void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
struct UrlDeleter {
  void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};
struct StringDeleter {
  void operator()(char* text) const noexcept { curl_free(text); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using List = std::unique_ptr<curl_slist, ListDeleter>;
using Url = std::unique_ptr<CURLU, UrlDeleter>;
using String = std::unique_ptr<char, StringDeleter>;

// Sets curl options until one fails and remembers the first failure, so a
// refused security option (TLS version, protocols) cannot pass unnoticed.
class Options final {
 public:
  explicit Options(CURL* handle) : handle_(handle) {}

  Options& number(CURLoption option, long value) { return apply(option, value); }
  Options& large(CURLoption option, curl_off_t value) { return apply(option, value); }
  // curl copies string options, so temporaries are fine here.
  Options& text(CURLoption option, const char* value) { return apply(option, value); }
  Options& text(CURLoption option, const std::string& value) { return apply(option, value.c_str()); }
  Options& pointer(CURLoption option, void* value) { return apply(option, value); }
  // Read-only bytes curl takes as a plain pointer (POSTFIELDS never writes).
  Options& data(CURLoption option, const void* value) { return apply(option, value); }
  Options& callback(CURLoption option, curl_write_callback value) { return apply(option, value); }
  Options& reader(CURLoption option, curl_read_callback value) { return apply(option, value); }

  CURLcode result() const { return result_; }

 private:
  template <class T>
  Options& apply(CURLoption option, T value) {
    if (result_ == CURLE_OK) result_ = curl_easy_setopt(handle_, option, value);
    return *this;
  }

  CURL* handle_;
  CURLcode result_ = CURLE_OK;
};

}  // namespace signet::curlutil
