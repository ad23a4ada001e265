#!/usr/bin/env bash
# Drives servicenow_double.py with curl only (JSON read with python3 -c; nothing of the double is
# imported), to show that the double answers as ServiceNow's API reference describes.
# Usage: check_with_curl.sh   (env: PYTHON=python3, CURL=curl)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
CURL="${CURL:-curl}"
source "$here/../check_lib.sh" servicenow-double-check

start_double() {
    "$PYTHON" "$here/servicenow_double.py" --dir "$work/state" "$@" >>"$work/double.out" 2>>"$work/double.err" &
    double_pid=$!
    for _ in $(seq 1 100); do
        [[ -s "$work/state/port" ]] && break
        kill -0 "$double_pid" 2>/dev/null || { echo "check_with_curl: the double exited at start" >&2; tail "$work/double.err" >&2; exit 1; }
        sleep 0.1
    done
    [[ -s "$work/state/port" ]] || { echo "check_with_curl: no port file" >&2; exit 1; }
    base="http://127.0.0.1:$(cat "$work/state/port")"
}

check() {  # check "description" command...   (passes when the command succeeds)
    local what="$1"; shift
    if "$@"; then
        passed=$((passed + 1)); echo "check_with_curl: ok: $what"
    else
        failed=$((failed + 1)); echo "check_with_curl: FAIL: $what" >&2
    fi
}

# py FILE EXPR: evaluate EXPR with d = the JSON in FILE and print it (True/False for tests).
py() { "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
is() { [[ "$(py "$1" "$2")" == "True" ]]; }

# req METHOD URL [curl args...]: body -> $work/body, headers -> $work/headers, status -> $status.
AUTH=(-u "signet.integration:integration-password")
req() {
    local method="$1" url="$2"; shift 2
    status="$("$CURL" -sS -X "$method" -o "${OUT:-$work/body}" -D "$work/headers" -w '%{http_code}' "$@" "$url" 2>"$work/curl.err")"
    curl_rc=$?
}
api() { local m="$1" u="$2"; shift 2; req "$m" "$base$u" "${AUTH[@]}" "$@"; }
json() { local m="$1" u="$2" d="$3"; shift 3; api "$m" "$u" -H 'Content-Type: application/json' --data-binary "$d" "$@"; }
header() { tr -d '\r' <"$work/headers" | awk -v n="$(echo "$1" | tr 'A-Z' 'a-z')" 'BEGIN{FS=": "} tolower($1)==n {sub(/^[^:]*: /,""); print}'; }
# next_link: the rel="next" URL of the last response's Link header, or nothing.
next_link() { header Link | "$PYTHON" -c 'import re,sys
for url, rel in re.findall(r"<([^>]*)>;rel=\"(\w+)\"", sys.stdin.read()):
    if rel == "next": print(url)'; }
control() { req "$1" "$base/_double/$2" -H 'Content-Type: application/json' ${3:+--data-binary "$3"}; }

start_double --token-lifetime 1800

# ---------------------------------------------------------------- OAuth
form=(-H 'Content-Type: application/x-www-form-urlencoded')
req POST "$base/oauth_token.do" "${form[@]}" --data 'grant_type=client_credentials&client_id=signet-client&client_secret=signet-secret'
cp "$work/body" "$work/cc.json"
check "client_credentials with a form body -> 200 Bearer, scope useraccount, expires_in 1799" \
    is "$work/cc.json" "'$status'=='200' and d['token_type']=='Bearer' and d['scope']=='useraccount' and d['expires_in']==1799 and len(d['access_token'])>20"
token="$(py "$work/cc.json" "d['access_token']")"
req POST "$base/oauth_token.do" "${form[@]}" --data 'grant_type=client_credentials&client_id=signet-client&client_secret=signet-secret'
check "a repeated request within the lifetime returns the same current token" is "$work/body" "d['access_token']=='$token'"
req POST "$base/oauth_token.do" -H 'Content-Type: application/json' \
    --data '{"grant_type":"client_credentials","client_id":"signet-client","client_secret":"signet-secret"}'
check "a JSON body to /oauth_token.do fails (401 access_denied)" is "$work/body" "'$status'=='401' and d['error_description']=='access_denied'"
req POST "$base/oauth_token.do" "${form[@]}" --data 'grant_type=client_credentials&client_id=signet-client&client_secret=wrong'
check "a wrong client secret fails" [ "$status" = 401 ]
req GET "$base/api/now/table/sc_req_item" -H "Authorization: Bearer $token"
check "Bearer token reads the Table API" is "$work/body" "'$status'=='200' and d['result']==[]"
control POST expire-tokens
req GET "$base/api/now/table/sc_req_item" -H "Authorization: Bearer $token"
check "an expired token -> 401 User Not Authenticated" \
    is "$work/body" "'$status'=='401' and d=={'error':{'message':'User Not Authenticated','detail':'Required to provide Auth information'},'status':'failure'}"
req POST "$base/oauth_token.do" "${form[@]}" \
    --data 'grant_type=password&client_id=signet-client&client_secret=signet-secret&username=signet.integration&password=integration-password'
cp "$work/body" "$work/pw.json"
check "password grant -> access and refresh token" is "$work/pw.json" "'$status'=='200' and len(d['refresh_token'])>20 and d['access_token']!='$token'"
control POST expire-tokens
req POST "$base/oauth_token.do" "${form[@]}" --data-urlencode grant_type=refresh_token --data client_id=signet-client \
    --data client_secret=signet-secret --data-urlencode "refresh_token=$(py "$work/pw.json" "d['refresh_token']")"
check "refresh_token grant after expiry -> a new access token" \
    is "$work/body" "'$status'=='200' and d['access_token'] not in ('$token', '$(py "$work/pw.json" "d['access_token']")')"
req GET "$base/api/now/table/incident" -H "Authorization: Bearer $(py "$work/body" "d['access_token']")"
check "the refreshed token works" [ "$status" = 200 ]
req GET "$base/api/now/table/incident" -u "signet.integration:wrong"
check "Basic with a wrong password -> 401" [ "$status" = 401 ]

# ---------------------------------------------------------------- RITM, journal, variables
json POST /api/now/table/sc_req_item '{"short_description":"TLS cert for a.example","approval":"approved","variables":{"common_name":"a.example","key_type":"EC"}}'
cp "$work/body" "$work/ritm.json"
ritm="$(py "$work/ritm.json" "d['result']['sys_id']")"
check "POST sc_req_item -> 201, RITM number, Location, no variables key" \
    is "$work/ritm.json" "'$status'=='201' and d['result']['number'].startswith('RITM') and 'variables' not in d['result'] and len('$ritm')==32"
check "Location header names the record" [ "$(header Location)" = "$base/api/now/table/sc_req_item/$ritm" ]
api GET "/api/now/table/sc_req_item?sysparm_query=variables.common_name=a.example&sysparm_fields=sys_id,variables.common_name"
check "variables.common_name in sysparm_query and sysparm_fields" \
    is "$work/body" "d['result']==[{'sys_id':'$ritm','variables.common_name':'a.example'}]"
json PATCH "/api/now/table/sc_req_item/$ritm" '{"work_notes":"Certificate issued: serial 01:02","comments":"Your certificate is ready"}'
check "PATCH work_notes -> 200, read back as empty string" is "$work/body" "'$status'=='200' and d['result']['work_notes']=='' and d['result']['comments']==''"
api GET "/api/now/table/sys_journal_field?sysparm_query=element_id=$ritm^element=work_notes"
check "work_notes became a sys_journal_field row" \
    is "$work/body" "len(d['result'])==1 and d['result'][0]['value']=='Certificate issued: serial 01:02' and d['result'][0]['name']=='sc_req_item' and d['result'][0]['sys_created_by']=='signet.integration'"
control GET "journal?element_id=$ritm"
check "/_double/journal shows both journal rows" is "$work/body" "sorted(r['element'] for r in d['result'])==['comments','work_notes']"
json POST /api/now/table/sys_journal_field '{"element_id":"x","value":"y"}'
check "sys_journal_field is read-only (403)" is "$work/body" "'$status'=='403' and d['status']=='failure'"

# ---------------------------------------------------------------- Task Closer
json POST /api/now/table/sc_task "{\"request_item\":\"$ritm\",\"short_description\":\"Issue certificate\"}"
task="$(py "$work/body" "d['result']['sys_id']")"
check "sc_task -> SCTASK number, request_item rendered as a reference link" \
    is "$work/body" "d['result']['number'].startswith('SCTASK') and d['result']['request_item']=={'link':'$base/api/now/table/sc_req_item/$ritm','value':'$ritm'}"
api GET "/api/now/table/sc_task/$task?sysparm_exclude_reference_link=true&sysparm_fields=request_item,request_item.number"
check "sysparm_exclude_reference_link=true -> plain sys_id; dot-walk request_item.number" \
    is "$work/body" "d['result']=={'request_item':'$ritm','request_item.number':'$(py "$work/ritm.json" "d['result']['number']")'}"
json PATCH "/api/now/table/sc_req_item/$ritm" '{"state":"3"}'
check "PATCH RITM state=3 while its task is open -> accepted but reverted" is "$work/body" "'$status'=='200' and d['result']['state']=='1'"
json PATCH "/api/now/table/sc_task/$task" '{"state":"3","work_notes":"done"}'
api GET "/api/now/table/sc_req_item/$ritm"
check "closing the only task (3) -> RITM state 3, inactive" is "$work/body" "d['result']['state']=='3' and d['result']['active']=='false'"
json POST /api/now/table/sc_req_item '{"short_description":"second"}'; ritm2="$(py "$work/body" "d['result']['sys_id']")"
json POST /api/now/table/sc_task "{\"request_item\":\"$ritm2\",\"state\":\"3\"}"
json POST /api/now/table/sc_task "{\"request_item\":\"$ritm2\"}"; task2b="$(py "$work/body" "d['result']['sys_id']")"
json PATCH "/api/now/table/sc_task/$task2b" '{"state":"4"}'
api GET "/api/now/table/sc_req_item/$ritm2?sysparm_fields=state"
check "tasks closed 3 and 4 -> RITM state 4" is "$work/body" "d['result']=={'state':'4'}"

# ---------------------------------------------------------------- pagination
for i in $(seq 1 25); do
    json POST /api/now/table/incident "{\"short_description\":\"batch $i\",\"u_batch\":\"p1\",\"u_idx\":$i,\"category\":\"$([[ $((i % 2)) = 0 ]] && echo even || echo odd)\"}"
    [[ "$status" = 201 ]] || echo "check_with_curl: incident $i -> $status" >&2
done
url="$base/api/now/table/incident?sysparm_query=u_batch%3Dp1&sysparm_limit=10&sysparm_fields=sys_id"
pages=0; : >"$work/ids"; totals=""
while [[ -n "$url" && $pages -lt 10 ]]; do
    req GET "$url" "${AUTH[@]}"
    py "$work/body" "'\n'.join(r['sys_id'] for r in d['result'])" >>"$work/ids"
    totals="$totals $(header X-Total-Count)"; pages=$((pages + 1)); url="$(next_link)"
done
check "25 records, sysparm_limit=10: Link rel=next chain visits all in 3 pages, X-Total-Count 25" \
    [ "$pages $(sort -u "$work/ids" | grep -c .)$totals" = "3 25 25 25 25" ]
api GET "/api/now/table/incident?sysparm_query=u_batch%3Dp1&sysparm_limit=10&sysparm_offset=10"
check "Link has first, prev, next and last (last offset 20)" \
    bash -c '[[ "$0" == *'"'"'rel="first"'"'"'* && "$0" == *'"'"'rel="prev"'"'"'* && "$0" == *sysparm_offset=20\&sysparm_limit=10\>\;rel=\"last\"* ]]' "$(header Link)"
control POST short-pages '{"table":"incident","hidden_every":2}'
api GET "/api/now/table/incident?sysparm_query=u_batch%3Dp1&sysparm_limit=10"
check "short-page mode: a page with fewer rows than the limit, Link next still present, total 25" \
    [ "$(py "$work/body" "len(d['result'])") $(header X-Total-Count) $(next_link | grep -c sysparm_offset=10)" = "5 25 1" ]
api GET "/api/now/table/incident?sysparm_query=u_batch%3Dp1&sysparm_limit=1&sysparm_offset=1"
check "short-page mode: an empty page while more remain" [ "$(py "$work/body" "len(d['result'])") $(next_link | grep -c .)" = "0 1" ]
control DELETE short-pages

# ---------------------------------------------------------------- encoded queries
q() { api GET "/api/now/table/incident?sysparm_fields=u_idx&sysparm_query=$1"; py "$work/body" "','.join(r['u_idx'] for r in d['result'])"; }
check "^ AND, ^OR and ORDERBYDESC" [ "$(q 'u_batch=p1%5Eu_idx=3%5EORu_idx=17%5EORu_idx=7%5EORDERBYDESCu_idx')" = "17,7,3" ]
check "LIKE, STARTSWITH, IN, != and ORDERBY" \
    [ "$(q 'short_descriptionLIKEatch%201%5Eu_idxIN10,12,14%5Ecategory!=odd%5EORDERBYu_idx')|$(q 'short_descriptionSTARTSWITHbatch%202%5Eu_idx!=20%5EORDERBYDESCu_idx')" = "10,12,14|25,24,23,22,21,2" ]
check "ISEMPTY / ISNOTEMPTY" [ "$(q 'u_batch=p1%5Ecorrelation_idISNOTEMPTY')|$(q 'u_batch=p1%5Ecorrelation_idISEMPTY%5Eu_idx%3C3')" = "|1,2" ]

# ---------------------------------------------------------------- attachments
head -c 5000 /dev/urandom >"$work/blob.bin"
api POST "/api/now/attachment/file?table_name=sc_req_item&table_sys_id=$ritm&file_name=cert.der" \
    -H 'Content-Type: application/pkix-cert' --data-binary "@$work/blob.bin"
cp "$work/body" "$work/att.json"
check "attachment upload -> 201 with sys_id, size_bytes, download_link" \
    is "$work/att.json" "'$status'=='201' and d['result']['size_bytes']=='5000' and d['result']['table_sys_id']=='$ritm' and d['result']['content_type']=='application/pkix-cert'"
OUT="$work/download.bin" req GET "$(py "$work/att.json" "d['result']['download_link']")" "${AUTH[@]}"
check "attachment download is byte-exact" cmp -s "$work/blob.bin" "$work/download.bin"
api GET "/api/now/attachment?sysparm_query=table_sys_id=$ritm"
check "attachment metadata list by table_sys_id" is "$work/body" "[r['file_name'] for r in d['result']]==['cert.der']"

# ---------------------------------------------------------------- faults
control POST faults '[{"path_prefix":"/api/now/table/incident","method":"POST","kind":"status","status":429,"retry_after":2,"count":1}]'
json POST /api/now/table/incident '{"short_description":"throttled"}'
check "429 fault: Retry-After, X-RateLimit-* and ServiceNow's error body" \
    is "$work/body" "'$status'=='429' and d['error']['message']=='Rate limit exceeded' and d['status']=='failure' and '$(header Retry-After)'=='2' and '$(header X-RateLimit-Limit)'!='' and '$(header X-RateLimit-Reset)'!='' and '$(header X-RateLimit-Rule)'!=''"
json POST /api/now/table/incident '{"short_description":"after throttle"}'
check "the next request goes through" [ "$status" = 201 ]
control POST faults '[{"path_prefix":"/api/now/table/incident","method":"POST","kind":"lost"}]'
json POST /api/now/table/incident '{"short_description":"lost answer","correlation_id":"lost-1"}'
lost_rc=$curl_rc
api GET "/api/now/table/incident?sysparm_query=correlation_id=lost-1"
check "lost fault: curl saw no answer, yet the record exists" [ "$lost_rc $(py "$work/body" "len(d['result'])")" = "52 1" ]
control POST faults '{"path_prefix":"/api/now/table/incident","method":"POST","kind":"drop"}'
json POST /api/now/table/incident '{"correlation_id":"dropped-1"}'
drop_rc=$curl_rc
api GET "/api/now/table/incident?sysparm_query=correlation_id=dropped-1"
check "drop fault: no answer and no record" [ "$drop_rc $(py "$work/body" "len(d['result'])")" = "52 0" ]
control GET stats
check "stats count calls, tokens, 401s and 429s" \
    is "$work/body" "d['calls']['POST incident']==29 and d['tokens_issued']['client_credentials']==1 and d['tokens_issued']['refresh_token']==1 and d['status_401']>=4 and d['status_429']==1"

# ---------------------------------------------------------------- errors, versions
api GET "/api/now/table/incident/0123456789abcdef0123456789abcdef"
check "unknown sys_id -> 404 No Record found" is "$work/body" "'$status'=='404' and d['error']['message']=='No Record found'"
json POST /api/now/table/incident '{"short_description": '
check "bad JSON -> 400 Exception while reading request" is "$work/body" "'$status'=='400' and d['error']['message']=='Exception while reading request'"
api GET "/api/now/v2/table/sc_req_item/$ritm?sysparm_fields=number"
check "/api/now/v2/table is the same API" [ "$status" = 200 ]
api GET "/api/now/v1/table/incident?sysparm_query=correlation_id=nothing-matches"
check "v1 answers an empty result with 404, v2 with []" [ "$status" = 404 ]
json POST /api/now/table/incident '{"short_description":"to delete"}'; victim="$(py "$work/body" "d['result']['sys_id']")"
api DELETE "/api/now/table/incident/$victim"
check "DELETE -> 204" [ "$status" = 204 ]

# ---------------------------------------------------------------- restart
stop_double
check "SIGTERM removed the port file" [ ! -e "$work/state/port" ]
start_double
api GET "/api/now/table/sc_req_item/$ritm?sysparm_fields=state,number"
check "after a restart the RITM is still there, closed" is "$work/body" "'$status'=='200' and d['result']['state']=='3'"
api GET "/api/now/table/incident?sysparm_query=u_batch%3Dp1&sysparm_limit=1"
check "after a restart: 25 batch incidents, journal rows and the attachment kept" \
    [ "$(header X-Total-Count)" = 25 ]
api GET "/api/now/table/sys_journal_field?sysparm_query=element_id=$ritm"
check "after a restart: journal rows kept" is "$work/body" "len(d['result'])==2"
OUT="$work/download2.bin" req GET "$(py "$work/att.json" "d['result']['download_link']" | sed "s#http://127.0.0.1:[0-9]*#$base#")" "${AUTH[@]}"
check "after a restart: attachment bytes kept" cmp -s "$work/blob.bin" "$work/download2.bin"
json POST /api/now/table/sc_req_item '{"short_description":"third"}'
check "after a restart: numbering continues (RITM0010003)" is "$work/body" "d['result']['number']=='RITM0010003'"

echo "check_with_curl: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
