#!/usr/bin/env bash
# Drives command_double.py (over HTTPS) with curl and openssl only - clients nobody here wrote -
# to show that it answers as the Keyfactor Command contract (external-apis.md section 3 and 8)
# describes. JSON is read with python3 -c; nothing of the double is imported.
# Usage: check_command_with_curl.sh   (env: PYTHON=/usr/bin/python3, CURL=curl, OPENSSL=openssl)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-/usr/bin/python3}"   # the double needs python3 with cryptography
CURL="${CURL:-curl}"
OPENSSL="${OPENSSL:-openssl}"
source "$here/../check_lib.sh" keyfactor-command-check
state="$work/state"

start_double() {
    rm -f "$state/port"
    "$PYTHON" "$here/command_double.py" --dir "$state" --tls "$@" >>"$work/double.out" 2>>"$work/double.err" &
    double_pid=$!
    for _ in $(seq 1 100); do
        [[ -s "$state/port" ]] && break
        kill -0 "$double_pid" 2>/dev/null || { echo "check_command_with_curl: the double exited at start" >&2; tail "$work/double.err" >&2; exit 1; }
        sleep 0.1
    done
    [[ -s "$state/port" ]] || { echo "check_command_with_curl: no port file" >&2; exit 1; }
    base="https://127.0.0.1:$(cat "$state/port")"
}

check() {  # check "description" command...   (passes when the command succeeds)
    local what="$1"; shift
    if "$@"; then
        passed=$((passed + 1)); echo "check_command_with_curl: ok: $what"
    else
        failed=$((failed + 1)); echo "check_command_with_curl: FAIL: $what (status $status, body: $(head -c 400 "$work/body" 2>/dev/null))" >&2
    fi
}

# py FILE EXPR: evaluate EXPR with d = the JSON in FILE and print it (True/False for tests).
py() { "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
is() { [[ "$(py "$1" "$2")" == "True" ]]; }

# req METHOD URL [curl args...]: body -> $work/body, status -> $status, curl's exit code -> $curl_rc.
req() {
    local method="$1" url="$2"; shift 2
    status="$("$CURL" -sS --cacert "$state/tls-ca.pem" -X "$method" -o "$work/body" -w '%{http_code}' "$@" "$url" 2>"$work/curl.err")"
    curl_rc=$?
}
BASIC=(-u 'CORP\signet:signet-password')
KF=(-H 'x-keyfactor-requested-with: APIClient' -H 'x-keyfactor-api-version: 1' -H 'Accept: application/json')
JSON=(-H 'Content-Type: application/json')
api() { local m="$1" u="$2"; shift 2; req "$m" "$base/KeyfactorAPI$u" "${BASIC[@]}" "${KF[@]}" "$@"; }
control() { req "$1" "$base/_double/$2" "${JSON[@]}" ${3:+--data-binary "$3"}; }

# A P-256 key and CSR made by openssl; the body is built with python3 only for JSON quoting.
"$OPENSSL" req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
    -subj "/O=Corp/CN=web.corp.example" -out "$work/csr.pem" 2>/dev/null || { echo "openssl req failed" >&2; exit 1; }
# enroll_body TEMPLATE [INCLUDE_CHAIN] [CA] [SIGNET_ID] -> JSON on stdout
enroll_body() {
    "$PYTHON" -c 'import json,sys
t, chain, ca, sid, csr = sys.argv[1:6]
print(json.dumps({"CSR": open(csr).read(), "Timestamp": "2025-01-16T13:16:16Z", "Template": t,
                  "CertificateAuthority": ca, "IncludeChain": chain == "true",
                  "SANs": {"dns": ["web.corp.example", "www.corp.example"], "ip4": ["192.0.2.10"]},
                  "Metadata": {"SignetRequestId": sid}}))' \
        "$1" "${2:-true}" "${3:-ca.corp.example\\CorpIssuingCA}" "${4:-signet-1}" "$work/csr.pem"
}
enroll() {  # enroll TEMPLATE [INCLUDE_CHAIN] [CA] [SIGNET_ID] [FORMAT]
    api POST /Enrollment/CSR "${JSON[@]}" -H "x-certificateformat: ${5:-PEM}" --data-binary "$(enroll_body "$@")"
}

start_double
check "start-up wrote tls-ca.pem and ca-chain.pem (issuing, then root)" \
    [ -s "$state/tls-ca.pem" -a "$(grep -c 'BEGIN CERTIFICATE' "$state/ca-chain.pem")" = 2 ]

# ---------------------------------------------------------------- common rules and auth
api POST /Enrollment/CSR "${JSON[@]}" --data-binary "$(enroll_body WebServer)"
check "no x-certificateformat -> 400 with exactly the 0xA0110007 body" \
    is "$work/body" "'$status'=='400' and d=={'ErrorCode':'0xA0110007','Message':\"You must supply a certificate format in the 'X-CertificateFormat' header of the request.\"}"
req GET "$base/KeyfactorAPI/Certificates" "${BASIC[@]}"
check "no x-keyfactor-requested-with -> 400 with ErrorCode and Message" \
    is "$work/body" "'$status'=='400' and set(d)=={'ErrorCode','Message'}"
req GET "$base/KeyfactorAPI/Certificates" -u 'CORP\signet:wrong' "${KF[@]}"
check "bad Basic password -> 401" [ "$status" = 401 ]
req GET "$base/KeyfactorAPI/Certificates" "${KF[@]}"
check "no credentials -> 401" [ "$status" = 401 ]
req GET "$base/keyfactorapi/certificates" -u 'corp\SIGNET:signet-password' -H 'x-keyfactor-requested-with: XMLHttpRequest'
check "base path and account name case-insensitive; XMLHttpRequest accepted" [ "$status" = 200 ]

form=(-H 'Content-Type: application/x-www-form-urlencoded')
req POST "$base/oauth2/token" "${form[@]}" --data 'grant_type=client_credentials&client_id=signet-client&client_secret=wrong'
check "token with a wrong client secret -> 401 invalid_client" is "$work/body" "'$status'=='401' and d['error']=='invalid_client'"
req POST "$base/oauth2/token" "${form[@]}" -u 'signet-client:signet-secret' --data 'grant_type=client_credentials'
cp "$work/body" "$work/token.json"
check "client_credentials token (client in Basic) -> Bearer, expires_in 300" \
    is "$work/token.json" "'$status'=='200' and d['token_type']=='Bearer' and d['expires_in']==300 and len(d['access_token'])>20"
token="$(py "$work/token.json" "d['access_token']")"
req GET "$base/KeyfactorAPI/Certificates" -H "Authorization: Bearer $token" "${KF[@]}"
check "the Bearer token works" is "$work/body" "'$status'=='200' and d==[]"
req GET "$base/KeyfactorAPI/Certificates" -H "Authorization: Bearer not-a-token" "${KF[@]}"
check "an unknown Bearer token -> 401" [ "$status" = 401 ]

# ---------------------------------------------------------------- auto-issue enrolment
enroll WebServer true
cp "$work/body" "$work/issued.json"
check "WebServer -> 200 ISSUED, KeyfactorID, request id, leaf + 2 chain certificates, Metadata echoed" \
    is "$work/issued.json" "'$status'=='200' and d['CertificateInformation']['RequestDisposition']=='ISSUED' and d['CertificateInformation']['KeyfactorID']>0 and d['CertificateInformation']['KeyfactorRequestId']>0 and len(d['CertificateInformation']['Certificates'])==3 and d['Metadata']=={'SignetRequestId':'signet-1'} and d['CertificateInformation']['EnrollmentContext']=={}"
py "$work/issued.json" "d['CertificateInformation']['Certificates'][0]" >"$work/leaf.pem"
py "$work/issued.json" "''.join(d['CertificateInformation']['Certificates'][1:])" >"$work/chain.pem"
check "openssl verify -CAfile <returned chain> <leaf>" bash -c '"$0" verify -CAfile "$1" "$2" >/dev/null' "$OPENSSL" "$work/chain.pem" "$work/leaf.pem"
check "the returned chain is DIR/ca-chain.pem" cmp -s <(tr -d '\n' <"$work/chain.pem") <(tr -d '\n' <"$state/ca-chain.pem")
check "the leaf carries the body's SANs and the CSR's key" bash -c '
    text="$("$0" x509 -in "$1" -noout -text)"
    [[ "$text" == *"DNS:web.corp.example, DNS:www.corp.example, IP Address:192.0.2.10"* ]] &&
    [[ "$("$0" x509 -in "$1" -noout -pubkey)" == "$("$0" pkey -in "$2" -pubout)" ]]' "$OPENSSL" "$work/leaf.pem" "$work/key.pem"
serial="$("$OPENSSL" x509 -in "$work/leaf.pem" -noout -serial | cut -d= -f2)"
check "SerialNumber is the leaf's serial, upper-case hex, 16 bytes" \
    is "$work/issued.json" "d['CertificateInformation']['SerialNumber']=='$serial' and len('$serial')==32 and d['CertificateInformation']['IssuerDN']=='CN=CorpIssuingCA, DC=corp, DC=example'"
cert_id="$(py "$work/issued.json" "d['CertificateInformation']['KeyfactorID']")"
api GET "/Certificates/$cert_id"
check "GET Certificates/{id}: contract fields, ContentBytes is the leaf's DER" \
    is "$work/body" "'$status'=='200' and d['Id']==$cert_id and d['SerialNumber']=='$serial' and d['CertState']==1 and d['CertStateString']=='Active' and d['TemplateName']=='WebServer' and d['IssuedCN']=='web.corp.example' and d['CertificateAuthorityName']=='ca.corp.example\\\\CorpIssuingCA' and d['ContentBytes']=='$("$OPENSSL" x509 -in "$work/leaf.pem" -outform DER | base64 -w0)'"
api GET "/Certificates?pq.queryString=SerialNumber%20-eq%20%22$serial%22"
check "search SerialNumber -eq \"HEX\"" is "$work/body" "[c['Id'] for c in d]==[$cert_id]"
api GET "/Certificates/999999"
check "unknown certificate id -> 404 JSON error" is "$work/body" "'$status'=='404' and 'Message' in d and 'ErrorCode' in d"

enroll WebServer false CorpIssuingCA signet-der DER
check "bare logical CA name, DER format, no chain -> one base64 DER certificate" bash -c '
    "$0" -c "import json,sys,base64; d=json.load(open(sys.argv[1])); open(sys.argv[2],\"wb\").write(base64.b64decode(d[\"CertificateInformation\"][\"Certificates\"][0])); assert len(d[\"CertificateInformation\"][\"Certificates\"])==1" "$1" "$2" &&
    "$3" x509 -inform DER -in "$2" -noout' "$PYTHON" "$work/body" "$work/leaf.der" "$OPENSSL"
enroll NoSuchTemplate
check "unknown template -> 400 ErrorCode/Message" is "$work/body" "'$status'=='400' and set(d)=={'ErrorCode','Message'}"
enroll WebServer true 'other.example\OtherCA'
check "unknown CA -> 400 ErrorCode/Message" is "$work/body" "'$status'=='400' and set(d)=={'ErrorCode','Message'}"

# ---------------------------------------------------------------- approval workflow
enroll WebServerApproval true ca.corp.example\\CorpIssuingCA signet-2
cp "$work/body" "$work/pending.json"
check "WebServerApproval -> 200 EXTERNAL_VALIDATION, no certificate, KeyfactorID 0, WorkflowReferenceId" \
    is "$work/pending.json" "'$status'=='200' and d['CertificateInformation']['RequestDisposition']=='EXTERNAL_VALIDATION' and d['CertificateInformation']['DispositionMessage']=='The certificate request is being processed by the CA, and will be available at a later time.' and not d['CertificateInformation']['Certificates'] and d['CertificateInformation']['KeyfactorID']==0 and isinstance(d['CertificateInformation']['WorkflowReferenceId'], int)"
pending_id="$(py "$work/pending.json" "d['CertificateInformation']['KeyfactorRequestId']")"
api GET "/Certificates?pq.queryString=CertRequestId%20-eq%20$pending_id"
check "while pending, CertRequestId -eq N finds nothing" is "$work/body" "d==[]"
control POST approve "{\"request_id\": $pending_id}"
check "control approve -> ISSUED" is "$work/body" "'$status'=='200' and d['state']=='ISSUED'"
api GET "/Certificates?pq.queryString=CertRequestId%20-eq%20$pending_id"
check "after approval, CertRequestId -eq N finds the certificate" \
    is "$work/body" "len(d)==1 and d[0]['CertRequestId']==$pending_id and d[0]['TemplateName']=='WebServerApproval'"
control POST approve "{\"request_id\": $pending_id}"
check "approving twice -> 409" [ "$status" = 409 ]
enroll WebServerApproval true ca.corp.example\\CorpIssuingCA signet-3
denied_id="$(py "$work/body" "d['CertificateInformation']['KeyfactorRequestId']")"
control POST deny "{\"request_id\": $denied_id}"
control GET "requests?request_id=$denied_id"
check "control deny -> the request shows DENIED" is "$work/body" "d['requests'][0]['state']=='DENIED'"
api GET "/Certificates?pq.queryString=certrequestid%20-eq%20%22$denied_id%22&pq.includeRevoked=true"
check "a denied request's certificate never appears" is "$work/body" "d==[]"

# ---------------------------------------------------------------- paging
"$OPENSSL" req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key2.pem" \
    -subj "/CN=paged.corp.example" -out "$work/csr.pem" 2>/dev/null
for i in 1 2 3; do enroll WebServer false ca.corp.example\\CorpIssuingCA "page-$i"; done
api GET "/Certificates?pq.queryString=IssuedCN%20-eq%20paged.corp.example&pq.returnLimit=2&pq.pageReturned=1"
page1="$(py "$work/body" "[c['Id'] for c in d]")"
api GET "/Certificates?pq.queryString=IssuedCN%20-eq%20paged.corp.example&pq.returnLimit=2&pq.pageReturned=2"
page2="$(py "$work/body" "[c['Id'] for c in d]")"
check "3 matches, returnLimit 2: page 1 has 2, page 2 has 1, no overlap" \
    "$PYTHON" -c "a, b = $page1, $page2; assert len(a) == 2 and len(b) == 1 and not set(a) & set(b)"
api GET "/Certificates?pq.queryString=IssuedCN%20-eq%20paged.corp.example%20AND%20Id%20-eq%20$(py "$work/body" "d[0]['Id']")"
check "two terms joined by AND" is "$work/body" "len(d)==1"
api GET "/Certificates?pq.queryString=SignetRequestId%20-eq%20%22signet-1%22"
check "a custom metadata field is searched by its name" is "$work/body" "'$status'=='200' and len(d)==1"
api GET "/Certificates?pq.queryString=Id%20-like%201"
check "an invalid query -> 400 ErrorCode/Message" is "$work/body" "'$status'=='400' and set(d)=={'ErrorCode','Message'}"

# ---------------------------------------------------------------- revoke
api POST /Certificates/Revoke "${JSON[@]}" --data-binary "{\"CertificateIds\":[$cert_id],\"Reason\":1}"
check "revoke without Comment -> 400" is "$work/body" "'$status'=='400' and 'Message' in d"
api POST /Certificates/Revoke "${JSON[@]}" --data-binary "{\"CertificateIds\":[$cert_id],\"Reason\":1,\"Comment\":\"key lost\",\"EffectiveDate\":\"2025-01-16T13:16:16Z\"}"
check "revoke -> 200 RevokedIds, SuspendedCerts []" is "$work/body" "'$status'=='200' and d=={'RevokedIds':[$cert_id],'SuspendedCerts':[]}"
api GET "/Certificates?pq.queryString=Id%20-eq%20$cert_id"
check "a revoked certificate is hidden by default" is "$work/body" "d==[]"
api GET "/Certificates?pq.queryString=Id%20-eq%20$cert_id&pq.includeRevoked=true"
check "includeRevoked=true shows it: CertState 2, reason 1, date" \
    is "$work/body" "len(d)==1 and d[0]['CertState']==2 and d[0]['CertStateString']=='Revoked' and d[0]['RevocationReason']==1 and d[0]['RevocationEffDate'].startswith('2025-01-16T13:16:16')"
api POST /Certificates/Revoke "${JSON[@]}" --data-binary "{\"CertificateIds\":[$cert_id],\"Reason\":4,\"Comment\":\"again\"}"
api GET "/Certificates/$cert_id"
check "revoking again -> still listed, first reason kept" is "$work/body" "d['RevocationReason']==1"

# ---------------------------------------------------------------- download
api POST /Certificates/Download "${JSON[@]}" -H 'x-certificateformat: P7B' \
    --data-binary "{\"CertID\":$cert_id,\"IncludeChain\":true,\"ChainOrder\":\"EndEntityFirst\"}"
py "$work/body" "d['Content']" | base64 -d >"$work/chain.p7b"
check "Download P7B -> PKCS#7 with leaf, issuing and root" \
    [ "$("$OPENSSL" pkcs7 -inform DER -in "$work/chain.p7b" -print_certs 2>/dev/null | grep -c 'BEGIN CERTIFICATE')" = 3 ]

# ---------------------------------------------------------------- faults and stats
control POST faults '[{"path_prefix": "Enrollment/CSR", "status": 503, "count": 1}]'
enroll WebServer
check "503 fault -> 503 with ErrorCode/Message" is "$work/body" "'$status'=='503' and set(d)=={'ErrorCode','Message'}"
enroll WebServer
check "the next enrolment goes through" [ "$status" = 200 ]
control POST faults '{"path_prefix": "/KeyfactorAPI/Certificates", "drop": true}'
api GET /Certificates
check "drop fault: connection closed unanswered" [ "$curl_rc" = 52 ]
control GET stats
check "stats: calls, enrollments, token_grants, statuses" \
    is "$work/body" "d['calls']['POST Enrollment/CSR']==12 and d['enrollments']==8 and d['token_grants']==1 and d['statuses']['503']==1 and d['statuses']['401']==4"
control GET enrollments
check "the enrolment log has each Signet request id" \
    is "$work/body" "[e['metadata']['SignetRequestId'] for e in d['enrollments']].count('signet-1')==2 and d['count']==8"

# ---------------------------------------------------------------- tokens expire; restart keeps state
control POST expire-tokens
req GET "$base/KeyfactorAPI/Certificates" -H "Authorization: Bearer $token" "${KF[@]}"
check "an expired Bearer token -> 401" [ "$status" = 401 ]
tls_before="$(cat "$state/tls-ca.pem")"
stop_double
check "SIGTERM removed the port file" [ ! -e "$state/port" ]
start_double
api GET "/Certificates?pq.queryString=CertRequestId%20-eq%20$pending_id"
check "after a restart: the approved certificate is still found" is "$work/body" "len(d)==1"
check "after a restart: same TLS CA, same issuing chain" bash -c '[ "$0" = "$(cat "$1")" ] && "$2" verify -CAfile "$3" "$4" >/dev/null' \
    "$tls_before" "$state/tls-ca.pem" "$OPENSSL" "$state/ca-chain.pem" "$work/leaf.pem"

echo "check_command_with_curl: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
