#!/usr/bin/env bash
# Drives ejbca_double.py with curl and openssl only (JSON built and read with python3 -c; nothing
# of the double is imported), to show that the double answers as the EJBCA REST v1 contract
# (external-apis.md 3.5 and 8) describes: client-certificate TLS, enrolment, approval, revocation
# with a percent-encoded issuer DN, the CRL and injected faults.
# Usage: check_ejbca_with_curl.sh   (env: PYTHON=/usr/bin/python3 for the double, CURL=curl, OPENSSL=openssl)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-/usr/bin/python3}"   # the double needs the cryptography package
JSONPY="${JSONPY:-python3}"            # only reads and writes JSON (standard library)
CURL="${CURL:-curl}"
OPENSSL="${OPENSSL:-openssl}"
source "$here/../check_lib.sh" ejbca-double-check
state="$work/state"

die() {
    echo "check_ejbca_with_curl: FATAL: $*" >&2
    [[ -f "$work/double.err" ]] && { echo "--- double's log (last lines) ---" >&2; tail -n 20 "$work/double.err" >&2; }
    exit 1
}

start_double() {
    "$PYTHON" "$here/ejbca_double.py" --dir "$state" "$@" >>"$work/double.out" 2>>"$work/double.err" &
    double_pid=$!
    for _ in $(seq 1 200); do
        [[ -s "$state/port" ]] && break
        kill -0 "$double_pid" 2>/dev/null || die "the double exited at start"
        sleep 0.1
    done
    [[ -s "$state/port" ]] || die "no port file"
    port="$(cat "$state/port")"
    base="https://127.0.0.1:$port/ejbca/ejbca-rest-api/v1"
}

check() {  # check "description" command...   (passes when the command succeeds)
    local what="$1"; shift
    if "$@"; then
        passed=$((passed + 1)); echo "check_ejbca_with_curl: ok: $what"
    else
        failed=$((failed + 1)); echo "check_ejbca_with_curl: FAIL: $what (status $status, body: $(head -c 300 "$work/body" 2>/dev/null))" >&2
    fi
}

# py FILE EXPR: evaluate EXPR with d = the JSON in FILE and print it (True/False for tests).
py() { "$JSONPY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
is() { [[ "$(py "$1" "$2")" == "True" ]]; }
b64file() { "$JSONPY" -c 'import base64,json,sys; d=json.load(open(sys.argv[1])); open(sys.argv[3],"wb").write(base64.b64decode(eval(sys.argv[2])))' "$@"; }
quiet() { "$@" >/dev/null 2>&1; }
urlenc() { "$JSONPY" -c 'import urllib.parse,sys;print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# req METHOD URL [curl args...]: body -> $work/body, headers -> $work/headers, status -> $status.
TLS=(--cacert "$state/tls-ca.pem")
ADMIN=(--cert "$state/client.pem" --key "$state/client.key")
UNAUTHORISED=(--cert "$state/unauthorised.pem" --key "$state/unauthorised.key")
req() {
    local method="$1" url="$2"; shift 2
    status="$("$CURL" -sS -X "$method" -o "$work/body" -D "$work/headers" -w '%{http_code}' "${TLS[@]}" "$@" "$url" 2>"$work/curl.err")"
    curl_rc=$?
}
admin() { local m="$1" u="$2"; shift 2; req "$m" "$base$u" "${ADMIN[@]}" "$@"; }
post_json() { local u="$1" d="$2"; shift 2; admin POST "$u" -H 'Content-Type: application/json' --data-binary "$d" "$@"; }
control() { req "$1" "https://127.0.0.1:$port/_double/$2" -H 'Content-Type: application/json' ${3:+--data-binary "$3"}; }
header() { tr -d '\r' <"$work/headers" | awk -v n="$(echo "$1" | tr 'A-Z' 'a-z')" 'BEGIN{FS=": "} tolower($1)==n {sub(/^[^:]*: /,""); print}'; }
is_error() { is "$work/body" "d['error_code']==$1 and isinstance(d['error_message'], str) and d['error_message']!='' and '$status'=='$1'"; }
error_with() { is_error "$1" && grep -q "$2" "$work/body"; }  # error_with STATUS TEXT

# csr NAME OPENSSL-KEY-ARGS... : a CSR for CN=NAME with SANs NAME and alt.NAME -> $work/NAME.csr
csr() {
    local name="$1"; shift
    "$OPENSSL" req -new -nodes "$@" -keyout "$work/$name.key" -out "$work/$name.csr" -subj "/CN=$name" \
        -addext "subjectAltName=DNS:$name,DNS:alt.$name" 2>/dev/null || die "openssl req for $name"
}
# enroll_body CSR-FILE PROFILE USERNAME FORMAT [CA]: the pkcs10enroll JSON body
enroll_body() {
    "$JSONPY" -c 'import json,sys; print(json.dumps({"certificate_request": open(sys.argv[1]).read(),
        "certificate_profile_name": sys.argv[2], "end_entity_profile_name": "SIGNET_EE",
        "certificate_authority_name": sys.argv[5], "username": sys.argv[3], "password": "foo123",
        "include_chain": True, "email": "ops@example.test", "response_format": sys.argv[4]}))' \
        "$1" "$2" "$3" "$4" "${5:-$(cat "$state/ca-name.txt")}"
}

start_double --oauth
issuer_dn="$(cat "$state/issuer-dn.txt")"
issuer_enc="$(urlenc "$issuer_dn")"
check "issuer-dn.txt holds an escaped ', ' and '=' that the URL must percent-encode" \
    bash -c '[[ "$0" == *"\\, "* && "$0" == *"\\="* && "$1" == *%5C%2C%20* && "$1" == *%5C%3D* ]]' "$issuer_dn" "$issuer_enc"

# ---------------------------------------------------------------- authentication
req GET "$base/ca"
check "TLS without a client certificate completes; the request gets 403 with EJBCA's error body" is_error 403
req GET "$base/ca" "${UNAUTHORISED[@]}"
check "a client certificate not mapped to a role -> 403 Not authorized" error_with 403 "Not authorized"
admin GET /certificate/status
check "admin certificate: GET certificate/status -> OK, version 1.0" \
    is "$work/body" "'$status'=='200' and d['status']=='OK' and d['version']=='1.0' and d['revision']!=''"
"$OPENSSL" req -new -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj /CN=stranger \
    -keyout "$work/stranger.key" -out "$work/stranger.pem" -days 1 2>/dev/null
req GET "$base/ca" --cert "$work/stranger.pem" --key "$work/stranger.key"
check "a client certificate from an unknown CA fails the TLS handshake" [ "$status" = 000 ]

# ---------------------------------------------------------------- enrolment
csr www.example.test -newkey ec -pkeyopt ec_paramgen_curve:prime256v1
post_json /certificate/pkcs10enroll "$(enroll_body "$work/www.example.test.csr" SERVER web-1 DER)"
cp "$work/body" "$work/enrolled.json"
check "pkcs10enroll SERVER, DER -> 201 with certificate, serial, chain of two, profile names" \
    is "$work/enrolled.json" "'$status'=='201' and d['response_format']=='DER' and len(d['certificate_chain'])==2 and d['certificate_profile']=='SERVER' and d['end_entity_profile']=='SIGNET_EE' and d['serial_number']==d['serial_number'].upper()"
b64file "$work/enrolled.json" "d['certificate']" "$work/leaf.der"
b64file "$work/enrolled.json" "d['certificate_chain'][0]" "$work/issuing.der"
b64file "$work/enrolled.json" "d['certificate_chain'][1]" "$work/root.der"
"$OPENSSL" x509 -inform DER -in "$work/leaf.der" -out "$work/leaf.pem" 2>/dev/null
"$OPENSSL" x509 -inform DER -in "$work/issuing.der" -out "$work/issuing.pem" 2>/dev/null
"$OPENSSL" x509 -inform DER -in "$work/root.der" -out "$work/root.pem" 2>/dev/null
check "the DER certificate verifies against the returned chain (openssl verify)" \
    quiet "$OPENSSL" verify -CAfile "$work/root.pem" -untrusted "$work/issuing.pem" "$work/leaf.pem"
check "the returned chain is DIR/ca-chain.pem (issuing CA, then root)" \
    cmp -s <(cat "$work/issuing.pem" "$work/root.pem") "$state/ca-chain.pem"
leaf_text="$("$OPENSSL" x509 -in "$work/leaf.pem" -noout -text)"
check "the leaf has the CSR's subject and SANs and the CSR's key" \
    bash -c '[[ "$0" == *"Subject: CN = www.example.test"* && "$0" == *"DNS:www.example.test, DNS:alt.www.example.test"* ]] &&
             cmp -s <("$1" x509 -in "$2" -noout -pubkey) <("$1" pkey -in "$3" -pubout)' \
    "$leaf_text" "$OPENSSL" "$work/leaf.pem" "$work/www.example.test.key"
serial="$(py "$work/enrolled.json" "d['serial_number']")"
openssl_serial="$("$OPENSSL" x509 -in "$work/leaf.pem" -noout -serial | sed 's/^serial=0*//')"
check "serial_number is the certificate's serial (hex, upper case, no prefix)" [ "$serial" = "$openssl_serial" ]
post_json /certificate/search '{"max_number_of_results": 10, "criteria": [{"property": "QUERY", "value": "web-1", "operation": "EQUAL"}]}'
check "search by username finds the certificate enrolled for it" \
    is "$work/body" "'$status'=='200' and [c['serial_number'] for c in d['certificates']]==['$serial'] and d['more_results'] is False"

post_json /certificate/pkcs10enroll "$(enroll_body "$work/www.example.test.csr" SERVER web-1 PEM)"
check "response_format PEM -> 400 with an error body naming the format" error_with 400 PEM
post_json /certificate/pkcs10enroll "$(enroll_body "$work/www.example.test.csr" SERVER web-2 PKCS7)"
cp "$work/body" "$work/p7.json"
b64file "$work/p7.json" "d['certificate']" "$work/leaf.p7b"
check "response_format PKCS7 -> 201; openssl reads a PKCS#7 with leaf, issuing CA and root" \
    bash -c '[[ "$0" == 201 ]] && [[ $("$1" pkcs7 -inform DER -in "$2" -print_certs | grep -c BEGIN) == 3 ]]' \
    "$status" "$OPENSSL" "$work/leaf.p7b"
serial2="$(py "$work/p7.json" "d['serial_number']")"
csr weak.example.test -newkey rsa:1024
post_json /certificate/pkcs10enroll "$(enroll_body "$work/weak.example.test.csr" SERVER weak DER)"
check "an RSA 1024 key -> 422" is_error 422
csr forbidden.example.test -newkey ec -pkeyopt ec_paramgen_curve:prime256v1
post_json /certificate/pkcs10enroll "$(enroll_body "$work/forbidden.example.test.csr" SERVER forbidden DER)"
check "an illegal name (CN with 'forbidden') -> 422" is_error 422
post_json /certificate/pkcs10enroll "$(enroll_body "$work/www.example.test.csr" SERVER web-1 DER "No Such CA")"
check "an unknown CA name -> 404" is_error 404
post_json /certificate/pkcs10enroll "$(enroll_body "$work/www.example.test.csr" NO_SUCH_PROFILE web-1 DER)"
check "an unknown certificate profile -> 404" is_error 404

# ---------------------------------------------------------------- approval
csr approval.example.test -newkey ec -pkeyopt ec_paramgen_curve:prime256v1
post_json /certificate/pkcs10enroll "$(enroll_body "$work/approval.example.test.csr" SERVER_APPROVAL appr-1 DER)"
cp "$work/body" "$work/accepted.json"
check "SERVER_APPROVAL -> 202 {status_code, info_message, link to .../v1/certificate/<id>/finalize}" \
    is "$work/accepted.json" "'$status'=='202' and d['status_code']==202 and d['info_message']!='' and d['link'].startswith('$base/certificate/') and d['link'].endswith('/finalize')"
link="$(py "$work/accepted.json" "d['link']")"
approval_id="$(py "$work/accepted.json" "d['link'].split('/')[-2]")"
finalize() { req POST "$link" "${ADMIN[@]}" -H 'Content-Type: application/json' --data-binary '{"response_format":"DER","password":"foo123"}'; }
finalize
check "finalize before approval is refused: no certificate, still waiting (202 info)" \
    is "$work/body" "'$status'=='202' and 'certificate' not in d and 'waiting for approval' in d['info_message']"
control POST approve "{\"id\": $approval_id}"
check "control: approve" [ "$status" = 200 ]
finalize
cp "$work/body" "$work/finalized.json"
check "finalize after approval -> 201 with certificate and serial, no chain" \
    is "$work/finalized.json" "'$status'=='201' and d['response_format']=='DER' and d['certificate_chain'] is None and len(d['serial_number'])>30"
b64file "$work/finalized.json" "d['certificate']" "$work/approved.der"
"$OPENSSL" x509 -inform DER -in "$work/approved.der" -out "$work/approved.pem" 2>/dev/null
check "the finalized certificate verifies against DIR/ca-chain.pem" \
    quiet "$OPENSSL" verify -CAfile "$work/root.pem" -untrusted "$work/issuing.pem" "$work/approved.pem"
finalize
check "a second finalize -> 400 already finalized" error_with 400 "already been finalized"
post_json /certificate/pkcs10enroll "$(enroll_body "$work/approval.example.test.csr" SERVER_APPROVAL appr-2 DER)"
link="$(py "$work/body" "d['link']")"
control POST reject "{\"id\": $(py "$work/body" "d['link'].split('/')[-2]")}"
finalize
check "finalize after rejection -> 400 rejected" error_with 400 rejected

# ---------------------------------------------------------------- revocation and CRL
when="$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%SZ)"
admin PUT "/certificate/$issuer_enc/$serial/revoke?reason=KEY_COMPROMISE&date=$when"
cp "$work/body" "$work/revoked.json"
check "revoke with the percent-encoded DN -> 200 Successfully revoked" \
    is "$work/revoked.json" "'$status'=='200' and d=={'issuer_dn':open('$state/issuer-dn.txt').read().strip(),'serial_number':'$serial','revocation_reason':'KEY_COMPROMISE','revocation_date':'$when','message':'Successfully revoked','revoked':True}"
admin PUT "/certificate/$issuer_enc/$serial/revoke?reason=KEY_COMPROMISE"
check "revoking again -> 409" is_error 409
admin PUT "/certificate/$(urlenc "CN=Signet Test CA,O=Example Corp,C=SE")/$serial/revoke?reason=KEY_COMPROMISE"
check "a wrong issuer DN -> a bare 400 (empty body)" bash -c '[[ "$0" == 400 && ! -s "$1" ]]' "$status" "$work/body"
admin PUT "/certificate/$issuer_enc/00$(echo "$serial2" | tr 'A-F' 'a-f')/revoke?reason=SUPERSEDED"
check "the serial is case-insensitive with leading zeros tolerated" [ "$status" = 200 ]
admin PUT "/certificate/$issuer_enc/0BADC0DE/revoke?reason=KEY_COMPROMISE"
check "an unknown serial -> 404" is_error 404
admin PUT "/certificate/$issuer_enc/$serial/revoke?reason=BROKEN"
check "an unknown reason -> 400" is_error 400
admin GET "/certificate/$issuer_enc/$serial/revocationstatus"
check "revocationstatus -> revoked, KEY_COMPROMISE" \
    is "$work/body" "'$status'=='200' and d['revoked'] is True and d['revocation_reason']=='KEY_COMPROMISE' and d['serial_number']=='$serial'"
req GET "$base/ca/$issuer_enc/getLatestCrl?deltaCrl=false" "${UNAUTHORISED[@]}"
cp "$work/body" "$work/crl.json"
check "getLatestCrl (any client certificate) -> {crl, response_format DER}" \
    is "$work/crl.json" "'$status'=='200' and d['response_format']=='DER' and len(d['crl'])>100"
b64file "$work/crl.json" "d['crl']" "$work/crl.der"
crl_text="$("$OPENSSL" crl -inform DER -in "$work/crl.der" -noout -text 2>&1)"
check "the CRL lists the revoked serial with reason Key Compromise" \
    bash -c '[[ "$0" == *"Serial Number: $1"* && "$0" == *"Key Compromise"* ]]' "$crl_text" "$(printf '%s' "$serial" | sed 's/^\(.\(..\)*\)$/0\1/')"
check "the CRL's signature verifies with the issuing CA" \
    bash -c '"$0" crl -inform DER -in "$1" -CAfile "$2" -noout 2>&1 | grep -q "verify OK"' "$OPENSSL" "$work/crl.der" "$state/ca-chain.pem"
admin GET "/ca/$issuer_enc/certificate/download"
check "ca/{dn}/certificate/download -> the PEM chain (issuing, root) as an attachment" \
    bash -c '[[ "$0" == 200 && $(grep -c "BEGIN CERTIFICATE" "$1") == 2 ]] && grep -qi "^content-disposition: attachment" "$2"' \
    "$status" "$work/body" "$work/headers"

# ---------------------------------------------------------------- faults and offline
control POST faults '[{"path_prefix":"certificate/pkcs10enroll","status":503,"count":1}]'
post_json /certificate/pkcs10enroll "$(enroll_body "$work/www.example.test.csr" SERVER fault-1 DER)"
check "a 503 fault -> EJBCA's error body (CA offline)" error_with 503 offline
post_json /certificate/pkcs10enroll "$(enroll_body "$work/www.example.test.csr" SERVER fault-1 DER)"
check "the next enrolment goes through" [ "$status" = 201 ]
control POST faults '[{"path_prefix":"certificate/pkcs10enroll","drop":true}]'
post_json /certificate/pkcs10enroll "$(enroll_body "$work/www.example.test.csr" SERVER dropped-1 DER)"
check "a drop fault: the connection closes unanswered" [ "$curl_rc" = 52 ]
control POST offline '{"on":true}'
admin PUT "/certificate/$issuer_enc/$serial2/revoke?reason=KEY_COMPROMISE"
check "offline: revocation -> 503" is_error 503
control POST offline '{"on":false}'

# ---------------------------------------------------------------- OAuth, stats, enrolment log
req POST "https://127.0.0.1:$port/oauth2/token" --data 'grant_type=client_credentials&client_id=signet-client&client_secret=signet-secret'
token="$(py "$work/body" "d['access_token']")"
check "--oauth: POST /oauth2/token (client_credentials) -> Bearer token" is "$work/body" "'$status'=='200' and d['token_type']=='Bearer' and d['expires_in']==300"
req GET "$base/ca" -H "Authorization: Bearer $token"
check "a Bearer token replaces the client certificate" [ "$status" = 200 ]
control GET stats
check "stats: calls per route, enrolments, token grants, statuses" \
    is "$work/body" "d['calls']['POST certificate/pkcs10enroll']==12 and d['enrollments']==5 and d['token_grants']==1 and d['statuses']['422']==2"
control GET enrollments
check "the enrolment log counts web-1 once and fault-1 once" is "$work/body" "d['per_username']['web-1']==1 and d['per_username']['fault-1']==1 and 'dropped-1' not in d['per_username']"

# ---------------------------------------------------------------- restart
stop_double
check "SIGTERM removed the port file" [ ! -e "$state/port" ]
start_double
admin GET "/certificate/$issuer_enc/$serial/revocationstatus"
check "after a restart: same CA, same admin certificate, the revocation kept" is "$work/body" "'$status'=='200' and d['revoked'] is True"
check "the double's log never shows the token" bash -c '! grep -qF "$0" "$1"' "$token" "$work/double.err"

echo "check_ejbca_with_curl: $passed passed, $failed failed"
[[ $failed -eq 0 ]] || { echo "check_ejbca_with_curl: FAILED" >&2; exit 1; }
