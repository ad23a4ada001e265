// AWS STS, query protocol (POST form, XML answer): the two calls that turn
// an identity into temporary credentials.
#pragma once

#include <string>

#include "credentials.hpp"

namespace signet::awspca {

// sts:AssumeRole, signed with `base`.
Result<TimedCredentials> assume_role(const CredentialContext& context, const AwsCredentials& base,
                                     const std::string& role_arn, const std::string& session_name);
// sts:AssumeRoleWithWebIdentity: unsigned; the token is the proof.
Result<TimedCredentials> assume_role_with_web_identity(const CredentialContext& context, const std::string& token,
                                                       const std::string& role_arn, const std::string& session_name);

// "2026-12-07T09:00:00Z" (or with fractional seconds) as a time point.
std::optional<TimePoint> parse_iso8601(const std::string& text);

}  // namespace signet::awspca
