#!/usr/bin/env bash
# ca-awspca against moto's ACM-PCA (moto_server), a second, independent
# implementation of the API: an interoperability smoke test, not the oracle
# (moto ignores IdempotencyToken and Validity, so the kit's idempotency and
# lifetime cases are not asked of it). The CA is set up with the aws CLI.
#   check_with_moto.sh SIGNET_PLUGIN_CHECK PLUGIN.so
# Exits 77 (ctest: skipped) when moto_server is not installed: Debian does
# not package moto; the development machines have it.
set -euo pipefail
kit=${1:?signet-plugin-check}
plugin=${2:?ca-awspca.so}
command -v moto_server >/dev/null || { echo "moto_server is not installed: skipped"; exit 77; }
work=$(mktemp -d /tmp/signet-moto-XXXXXX)
moto_pid=
cleanup() { [[ -n "$moto_pid" ]] && kill "$moto_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=eu-west-1 \
       AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
endpoint=http://127.0.0.1:$port
for _ in $(seq 1 100); do curl -s -o /dev/null "$endpoint" && break; sleep 0.1; done

# A root CA in moto: create, have it issue its own certificate, import it.
aws() { command aws "$@" --endpoint-url "$endpoint" --output text; }
arn=$(aws acm-pca create-certificate-authority --certificate-authority-type ROOT \
  --certificate-authority-configuration 'KeyAlgorithm=RSA_2048,SigningAlgorithm=SHA256WITHRSA,Subject={CommonName=Moto Test CA}' \
  --query CertificateAuthorityArn)
aws acm-pca get-certificate-authority-csr --certificate-authority-arn "$arn" >"$work/ca.csr"
ca_cert=$(aws acm-pca issue-certificate --certificate-authority-arn "$arn" --csr "fileb://$work/ca.csr" \
  --signing-algorithm SHA256WITHRSA --template-arn arn:aws:acm-pca:::template/RootCACertificate/V1 \
  --validity Value=365,Type=DAYS --query CertificateArn)
aws acm-pca get-certificate --certificate-authority-arn "$arn" --certificate-arn "$ca_cert" --query Certificate >"$work/ca.pem"
aws acm-pca import-certificate-authority-certificate --certificate-authority-arn "$arn" --certificate "fileb://$work/ca.pem" >/dev/null
[[ $(aws acm-pca describe-certificate-authority --certificate-authority-arn "$arn" --query CertificateAuthority.Status) == ACTIVE ]] \
  || { echo "FAIL: moto's CA did not become ACTIVE"; exit 1; }

cat >"$work/instance.yaml" <<YAML
certificate_authority_arn: $arn
endpoint_url: $endpoint
instance_metadata: false
requests_per_second: 1000
YAML
"$kit" --case ca.chain --case ca.sign --case ca.revoke --case ca.concurrency "$plugin" "$work/instance.yaml" | tee "$work/kit.log"
grep -q "^PASS  ca.sign " "$work/kit.log" && grep -q "^PASS  ca.revoke " "$work/kit.log" \
  || { echo "FAIL: ca-awspca did not issue and revoke through moto"; exit 1; }
echo "check_with_moto: ca-awspca issued, revoked and read the chain through moto $(python3 -c 'import moto; print(moto.__version__)')"
