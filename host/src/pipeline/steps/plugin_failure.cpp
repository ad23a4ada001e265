#include "pipeline/steps/steps.hpp"

namespace signet::host {

Error plugin_failure(const std::string& instance, Error error) {
  if (error.code == ErrorCode::unauthenticated || error.code == ErrorCode::permission_denied) {
    error.message = instance + " refused Signet's credentials: " + error.message;
    error.code = ErrorCode::unavailable;
  }
  return error;
}

}  // namespace signet::host
