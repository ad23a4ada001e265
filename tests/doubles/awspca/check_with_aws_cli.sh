#!/usr/bin/env bash
# Drives aws_double.py with the real AWS CLI (v1 or v2) only, to show that an
# independent, botocore-based client accepts the double's answers and that the
# double accepts the client's SigV4 signatures (Host signed with its port).
# Usage: check_with_aws_cli.sh   (env: PYTHON=python3, AWS=aws)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
AWS="${AWS:-aws}"
work="$(mktemp -d "${TMPDIR:-/tmp}/aws-double-check.XXXXXX")"
double_pid=""

cleanup() {
    if [[ -n "$double_pid" ]] && kill -0 "$double_pid" 2>/dev/null; then
        kill -TERM "$double_pid" 2>/dev/null || true
        wait "$double_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "check_with_aws_cli: FAIL: $*" >&2
    if [[ -f "$work/double.err" ]]; then
        echo "--- double's log (last lines) ---" >&2
        tail -n 20 "$work/double.err" >&2
    fi
    exit 1
}
step() { echo "check_with_aws_cli: ok: $*"; checks=$((checks + 1)); }
checks=0

# JSON field extraction without jq (Debian images do not always have it).
json_get() { "$PYTHON" -c 'import json,sys
v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[k]
print(v)' "$1"; }

"$PYTHON" "$here/aws_double.py" --dir "$work/state" --region eu-west-1 --in-progress 2 \
    >"$work/double.out" 2>"$work/double.err" &
double_pid=$!
for _ in $(seq 1 100); do
    [[ -s "$work/state/port" ]] && break
    kill -0 "$double_pid" 2>/dev/null || fail "the double exited at start"
    sleep 0.1
done
[[ -s "$work/state/port" ]] || fail "the double did not write its port file"
port="$(cat "$work/state/port")"
ca_arn="$(cat "$work/state/ca-arn")"
endpoint="http://127.0.0.1:$port"

# Only these environment variables configure the CLI: no profile, no pager, no IMDS lookups.
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" \
       AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE || true
common=(--endpoint-url "$endpoint" --region eu-west-1 --output json)
pca() { "$AWS" acm-pca "$@" "${common[@]}"; }

# 1. DescribeCertificateAuthority
pca describe-certificate-authority --certificate-authority-arn "$ca_arn" >"$work/describe.json" \
    || fail "describe-certificate-authority"
[[ "$(json_get CertificateAuthority.Status <"$work/describe.json")" == ACTIVE ]] || fail "CA status is not ACTIVE"
[[ "$(json_get CertificateAuthority.CertificateAuthorityConfiguration.KeyAlgorithm <"$work/describe.json")" == EC_prime256v1 ]] \
    || fail "KeyAlgorithm"
step "describe-certificate-authority (ACTIVE, EC_prime256v1)"

# 2. GetCertificateAuthorityCertificate: issuing CA + chain = root
pca get-certificate-authority-certificate --certificate-authority-arn "$ca_arn" >"$work/ca.json" \
    || fail "get-certificate-authority-certificate"
json_get Certificate <"$work/ca.json" >"$work/issuing.pem"
json_get CertificateChain <"$work/ca.json" >"$work/ca-chain.pem"
cmp -s <(openssl x509 -in "$work/ca-chain.pem" -outform DER) <(openssl x509 -in "$work/state/root.pem" -outform DER) \
    || fail "CertificateChain of the CA is not DIR/root.pem"
openssl verify -CAfile "$work/state/root.pem" "$work/issuing.pem" >/dev/null || fail "issuing CA does not chain to root"
step "get-certificate-authority-certificate (issuing CA chains to root.pem)"

# 3. IssueCertificate twice with one idempotency token
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/leaf.key" \
    -out "$work/leaf.csr" -subj "/CN=svc.signet.test" -addext "subjectAltName=DNS:svc.signet.test" 2>/dev/null \
    || fail "openssl could not make a CSR"
issue() {
    pca issue-certificate --certificate-authority-arn "$ca_arn" --csr "fileb://$work/leaf.csr" \
        --signing-algorithm SHA256WITHECDSA --validity Value=7,Type=DAYS \
        --template-arn arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1 --idempotency-token tok1
}
cert_arn="$(issue | json_get CertificateArn)" || fail "issue-certificate"
cert_arn2="$(issue | json_get CertificateArn)" || fail "second issue-certificate"
[[ "$cert_arn" == "$ca_arn/certificate/"* ]] || fail "certificate ARN $cert_arn"
[[ "$cert_arn" == "$cert_arn2" ]] || fail "same idempotency token gave two ARNs"
step "issue-certificate, and the same token again gives the same ARN"

# 4. The waiter polls GetCertificate through RequestInProgressException (v1 and v2 print nothing on success)
pca wait certificate-issued --certificate-authority-arn "$ca_arn" --certificate-arn "$cert_arn" \
    || fail "wait certificate-issued"
step "wait certificate-issued"

# 5. GetCertificate and verify the chain with openssl
pca get-certificate --certificate-authority-arn "$ca_arn" --certificate-arn "$cert_arn" >"$work/cert.json" \
    || fail "get-certificate"
json_get Certificate <"$work/cert.json" >"$work/leaf.pem"
json_get CertificateChain <"$work/cert.json" >"$work/chain.pem"
awk '/BEGIN CERT/{n++} n==1' "$work/chain.pem" >"$work/chain-issuing.pem"
awk '/BEGIN CERT/{n++} n==2' "$work/chain.pem" >"$work/chain-root.pem"
cmp -s <(openssl x509 -in "$work/chain-root.pem" -outform DER) <(openssl x509 -in "$work/state/root.pem" -outform DER) \
    || fail "last block of CertificateChain is not the root"
openssl verify -CAfile "$work/chain-root.pem" -untrusted "$work/chain-issuing.pem" "$work/leaf.pem" >/dev/null \
    || fail "leaf does not verify against the chain"
openssl x509 -in "$work/leaf.pem" -noout -text >"$work/leaf.txt"
grep -q "TLS Web Server Authentication" "$work/leaf.txt" || fail "leaf lacks serverAuth"
if grep -q "TLS Web Client Authentication" "$work/leaf.txt"; then fail "server-auth template gave clientAuth"; fi
grep -q "DNS:svc.signet.test" "$work/leaf.txt" || fail "leaf lacks the CSR's SAN"
step "get-certificate; openssl verify -CAfile root -untrusted issuing leaf"

# 6. RevokeCertificate with the documented lowercase colon serial; then again
serial="$(openssl x509 -in "$work/leaf.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/../&:/g; s/:$//')"
pca revoke-certificate --certificate-authority-arn "$ca_arn" --certificate-serial "$serial" \
    --revocation-reason KEY_COMPROMISE || fail "revoke-certificate"
if pca revoke-certificate --certificate-authority-arn "$ca_arn" --certificate-serial "$serial" \
    --revocation-reason KEY_COMPROMISE 2>"$work/revoke2.err"; then
    fail "second revoke-certificate succeeded"
fi
grep -q RequestAlreadyProcessedException "$work/revoke2.err" || fail "second revoke did not name RequestAlreadyProcessedException"
step "revoke-certificate $serial; again -> RequestAlreadyProcessedException"

# 7. A wrong secret is refused with the signature error
if AWS_SECRET_ACCESS_KEY=wrong-secret pca describe-certificate-authority --certificate-authority-arn "$ca_arn" \
    >/dev/null 2>"$work/badsig.err"; then
    fail "a wrong secret was accepted"
fi
grep -q InvalidSignatureException "$work/badsig.err" || fail "wrong secret did not give InvalidSignatureException"
step "wrong secret -> InvalidSignatureException"

# 8. STS AssumeRole, then the temporary credentials work for ACM-PCA.  (The session name
#    must be 2-64 characters: both CLIs refuse "s" before sending anything.)
"$AWS" sts assume-role "${common[@]}" --role-arn arn:aws:iam::123456789012:role/x --role-session-name s1 \
    >"$work/assume.json" || fail "sts assume-role"
tmp_akid="$(json_get Credentials.AccessKeyId <"$work/assume.json")"
tmp_secret="$(json_get Credentials.SecretAccessKey <"$work/assume.json")"
tmp_token="$(json_get Credentials.SessionToken <"$work/assume.json")"
[[ "$tmp_akid" == ASIA* ]] || fail "assumed access key $tmp_akid"
AWS_ACCESS_KEY_ID="$tmp_akid" AWS_SECRET_ACCESS_KEY="$tmp_secret" AWS_SESSION_TOKEN="$tmp_token" \
    pca describe-certificate-authority --certificate-authority-arn "$ca_arn" >/dev/null \
    || fail "describe-certificate-authority with assumed-role credentials"
step "sts assume-role; its credentials work for describe-certificate-authority"

echo "check_with_aws_cli: all checks held with $("$AWS" --version 2>&1 | cut -d' ' -f1)"
echo "check_with_aws_cli: $checks passed, 0 failed"
