#!/usr/bin/env python3
"""servicenow_double.py - a loopback stand-in for the ServiceNow instance Signet talks to.

One plain-HTTP server on 127.0.0.1 answers as a ServiceNow instance does on the wire:
  * OAuth: POST /oauth_token.do (form-encoded; grants client_credentials, password, refresh_token);
  * Table API: /api/now[/v1|/v2]/table/{table}[/{sys_id}] on any table, with encoded queries,
    Link/X-Total-Count pagination, reference links, journal fields (work_notes, comments ->
    sys_journal_field), catalogue variables on sc_req_item and the stock "Task Closer" rule;
  * Attachment API: POST /api/now/attachment/file, GET /api/now/attachment[/{id}[/file]], DELETE;
  * test controls under /_double/ (no auth): faults, ACL short pages, token expiry, stats, journal.

It follows ServiceNow's published API reference (Table API, Attachment API, OAuth request
parameters, inbound REST rate limiting), not what any one client expects.  A real instance is
never contacted.  Python 3 standard library only (3.11, Debian's /usr/bin/python3 works).
"""

import argparse
import base64
import binascii
import gzip
import json
import os
import re
import secrets
import sys
import threading
import time
import traceback
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import serving  # noqa: E402  (tests/doubles/serving.py)

# ----------------------------------------------------------------------------- constants

# Task-derived tables get a number with these prefixes (ServiceNow's default number formats).
TASK_PREFIXES = {"sc_req_item": "RITM", "sc_task": "SCTASK", "sc_request": "REQ", "incident": "INC",
                 "task": "TASK", "change_request": "CHG", "problem": "PRB"}
SEEDED_TABLES = ("sc_req_item", "sc_task", "sc_request", "incident", "cmdb_ci_certificate",
                 "sys_journal_field", "sys_user")
# Tables the Table API may read but never write: journal rows come only from journal fields,
# attachment rows only from the Attachment API.
READ_ONLY_TABLES = ("sys_journal_field", "sys_attachment")
JOURNAL_FIELDS = ("work_notes", "comments")
CLOSED_STATES = ("3", "4", "7")
STATE_LABELS = {"-5": "Pending", "1": "Open", "2": "Work in Progress", "3": "Closed Complete",
                "4": "Closed Incomplete", "6": "On Hold", "7": "Closed Skipped"}
APPROVAL_LABELS = {"requested": "Requested", "approved": "Approved", "rejected": "Rejected",
                   "not requested": "Not Yet Requested"}
# Reference fields (stored as sys_id strings, rendered as {"link","value"}) and their target table.
TASK_REFERENCES = {"assigned_to": "sys_user", "opened_by": "sys_user", "assignment_group": "sys_user_group",
                   "parent": "task"}
REFERENCES = {
    "sc_task": dict(TASK_REFERENCES, request_item="sc_req_item", request="sc_request"),
    "sc_req_item": dict(TASK_REFERENCES, request="sc_request", cat_item="sc_cat_item"),
    "sc_request": dict(TASK_REFERENCES, requested_for="sys_user"),
    "incident": dict(TASK_REFERENCES, cmdb_ci="cmdb_ci", caller_id="sys_user"),
    "cmdb_ci_certificate": {"issuer": "cmdb_ci_certificate"},
}
# Columns every record of a table shows even when never written (a stand-in for the schema, so
# that sysparm_fields and queries on them are valid rather than silently ignored).
TASK_COLUMNS = ("number", "state", "active", "short_description", "description", "correlation_id",
                "correlation_display", "work_notes", "comments", "approval", "assigned_to",
                "assignment_group", "opened_by", "opened_at", "closed_at", "parent", "sys_class_name")
TABLE_COLUMNS = {
    "sc_req_item": ("request", "cat_item", "stage"),
    "sc_task": ("request_item", "request"),
    "sc_request": ("request_state", "requested_for"),
    "incident": ("cmdb_ci", "caller_id", "impact", "urgency", "priority", "category"),
    "cmdb_ci_certificate": ("name", "subject_common_name", "subject_organization", "subject_alternative_name",
                            "issuer", "issuer_common_name", "serial_number", "valid_from", "valid_to",
                            "is_self_signed", "state", "fingerprint", "fingerprint_algorithm",
                            "signature_algorithm", "key_size", "version", "discovery_source", "sys_class_name"),
    "sys_journal_field": ("element_id", "element", "name", "value"),
    "sys_user": ("user_name", "name", "email", "active"),
}
SYS_COLUMNS = ("sys_id", "sys_created_on", "sys_created_by", "sys_updated_on", "sys_updated_by", "sys_mod_count")
RATE_LIMIT_RULE = "c1ec4e2b1b8e3010a5a4d9b1dc4bcb6e"  # sys_id of the (pretend) rate limit rule
MAX_BODY = 64 * 1024 * 1024
DEFAULT_USERS = {"signet.integration": "integration-password"}
DEFAULT_CLIENTS = {"signet-client": "signet-secret"}
REFRESH_LIFETIME = 100 * 24 * 3600  # ServiceNow's default refresh token lifespan (8,640,000 s)

# Query operators, longest first so that e.g. ISNOTEMPTY is not read as ISEMPTY... or IN.
QUERY_OPERATORS = ("ISNOTEMPTY", "ISEMPTY", "NOT LIKE", "NOTLIKE", "NOT IN", "NOTIN", "STARTSWITH",
                   "ENDSWITH", "ANYTHING", "LIKE", "IN", "!=", ">=", "<=", "=", ">", "<")
FIELD_RE = re.compile(r"[a-z0-9_]+(?:\.[A-Za-z0-9_]+)*")
TABLE_RE = re.compile(r"^[a-z0-9_]+$")
SYS_ID_RE = re.compile(r"^[0-9a-f]{32}$")
DATE_GENERATE_RE = re.compile(r"^javascript:gs\.dateGenerate\('([^']*)',\s*'([^']*)'\)$")
TABLE_PATH_RE = re.compile(r"^/api/now(?:/(v\d+))?/table/([^/]+)(?:/([^/]+))?/?$")
ATTACHMENT_PATH_RE = re.compile(r"^/api/now(?:/(v\d+))?/attachment(?:/([^/]+))?(?:/(file))?/?$")
FAULT_KINDS = ("status", "drop", "reset", "lost", "delay")


class ApiError(Exception):
    """An answer in ServiceNow's error envelope."""

    def __init__(self, status, message, detail=None, headers=()):
        super().__init__(message)
        self.status, self.message, self.detail, self.headers = status, message, detail, list(headers)


DropConnection = serving.DropConnection


class Reply(serving.Reply):
    content_type_default = "application/json;charset=UTF-8"


def json_reply(status, obj, headers=(), note=""):
    # Compact, as an instance sends it.
    return Reply(status, json.dumps(obj, separators=(",", ":")).encode(), headers=headers, note=note)


def error_reply(err):
    return json_reply(err.status, {"error": {"message": err.message, "detail": err.detail}, "status": "failure"},
                      err.headers)


def not_found():
    return ApiError(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")


def now_text(at=None):
    # ServiceNow's API values are "YYYY-MM-DD HH:MM:SS" in UTC.
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() if at is None else at))


def to_text(value):
    """Field values are strings in ServiceNow; coerce what JSON clients send the way it does."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, dict) and "value" in value:  # a {"value": sys_id} reference object
        return to_text(value["value"])
    return json.dumps(value)


def is_true(text):
    return (text or "").lower() == "true"


# ----------------------------------------------------------------------------- encoded queries

def parse_condition(token):
    """'stateIN1,2' -> ('state', 'IN', '1,2'); None when no operator follows a field name."""
    match = FIELD_RE.match(token)
    if not match:
        return None
    field, rest = match.group(0), token[match.end():]
    for op in QUERY_OPERATORS:
        if rest.startswith(op):
            value = rest[len(op):]
            generated = DATE_GENERATE_RE.match(value)
            if generated:  # the form UI filters produce for dates
                value = "%s %s" % generated.groups()
            return field, op, value
    return None


def parse_encoded_query(text):
    """An encoded query -> (queries, order, bad).

    queries: list (joined by ^NQ, i.e. OR) of AND-lists of OR-groups of (field, op, value);
    ^OR binds tighter than ^, as in ServiceNow: a^b^ORc means a AND (b OR c).
    order: [(field, descending)]; bad: tokens that did not parse."""
    queries, order, bad = [[]], [], []
    for token in (text or "").split("^"):
        if token in ("", "EQ"):
            continue
        if token.startswith("ORDERBYDESC"):
            order.append((token[len("ORDERBYDESC"):], True))
            continue
        if token.startswith("ORDERBY"):
            order.append((token[len("ORDERBY"):], False))
            continue
        joins_or = False
        if token.startswith("NQ"):
            queries.append([])
            token = token[2:]
        elif token.startswith("OR"):
            joins_or, token = True, token[2:]
        cond = parse_condition(token)
        if cond is None:
            bad.append(token)
            continue
        current = queries[-1]
        if joins_or and current:
            current[-1].append(cond)
        else:
            current.append([cond])
    return [q for q in queries if q] or [[]], order, bad


def _number(text):
    try:
        return float(text)
    except ValueError:
        return None


def _items(operand):
    return [item.strip() for item in operand.split(",")]


MATCHERS = {
    "=": lambda actual, operand: actual == operand,
    "!=": lambda actual, operand: actual != operand,
    "LIKE": lambda actual, operand: operand in actual,
    "NOT LIKE": lambda actual, operand: operand not in actual,
    "STARTSWITH": lambda actual, operand: actual.startswith(operand),
    "ENDSWITH": lambda actual, operand: actual.endswith(operand),
    "ISEMPTY": lambda actual, operand: actual == "",
    "ISNOTEMPTY": lambda actual, operand: actual != "",
    "ANYTHING": lambda actual, operand: True,
    "IN": lambda actual, operand: actual in _items(operand),
    "NOT IN": lambda actual, operand: actual not in _items(operand),
}
MATCHERS.update(NOTLIKE=MATCHERS["NOT LIKE"], NOTIN=MATCHERS["NOT IN"])


def condition_matches(actual, op, operand):
    if op in MATCHERS:
        return MATCHERS[op](actual, operand)
    if actual == "":
        return False  # an empty value is neither greater nor less than anything
    # Ordering: numbers compare as numbers, everything else (dates included) as text.
    left, right = _number(actual), _number(operand)
    if left is None or right is None:
        left, right = actual, operand
    return {">": left > right, "<": left < right, ">=": left >= right, "<=": left <= right}[op]


def sort_key(value):
    number = _number(value)
    return (0, number, "") if number is not None else (1, 0, value)


# ----------------------------------------------------------------------------- the instance's data

class Store:
    """Every table, counter, attachment body and OAuth token, persisted to DIR/state.json."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.RLock()
        self.data = {"tables": {}, "counters": {}, "attachments": {}, "access_tokens": {}, "refresh_tokens": {}}
        if os.path.exists(path):
            with open(path, "rb") as handle:
                self.data.update(json.load(handle))
        for name in SEEDED_TABLES:
            self.data["tables"].setdefault(name, {})

    def save(self):
        serving.write_atomic(self.path, json.dumps(self.data, indent=1).encode())

    def table(self, name):
        return self.data["tables"].setdefault(name, {})

    def columns(self, table):
        """The table's known columns: built-in ones plus every field any record was given."""
        cols = list(SYS_COLUMNS)
        if table in TASK_PREFIXES:
            cols += TASK_COLUMNS
        cols += TABLE_COLUMNS.get(table, ())
        seen = set(cols)
        for rec in self.table(table).values():
            for key in rec:
                if key not in seen and key != "variables":
                    seen.add(key)
                    cols.append(key)
        return cols

    def find(self, table, sys_id):
        """A referenced record: in its table, else anywhere (cmdb_ci may point at a child class)."""
        rec = self.table(table).get(sys_id)
        if rec is not None:
            return table, rec
        for name, rows in self.data["tables"].items():
            if sys_id in rows:
                return name, rows[sys_id]
        return table, None

    def resolve(self, table, rec, path, columns=None):
        """Value of a field, a dot-walk (request_item.number) or variables.<name> on sc_req_item.

        Returns (value, owning_table, last_field), or None when the field is not valid for the
        table -- ServiceNow then ignores the query part or omits the field."""
        if table == "sc_req_item" and path.startswith("variables.") and path.count(".") == 1:
            return to_text(rec.get("variables", {}).get(path.split(".", 1)[1], "")), table, path
        if "." in path:
            head, rest = path.split(".", 1)
            target = REFERENCES.get(table, {}).get(head)
            if target is None:
                return None
            ref_id = rec.get(head, "")
            target_table, ref = self.find(target, ref_id) if ref_id else (target, None)
            if ref is None:
                return "", target_table, rest.rsplit(".", 1)[-1]
            return self.resolve(target_table, ref, rest)
        if path in rec and path != "variables":
            return rec[path], table, path
        if path in (columns if columns is not None else self.columns(table)):
            return "", table, path
        return None

    def next_number(self, table):
        prefix = TASK_PREFIXES[table]
        counter = self.data["counters"].get(prefix, 10001)
        self.data["counters"][prefix] = counter + 1
        return "%s%07d" % (prefix, counter)

    def journal(self, table, sys_id, element, value, user):
        row = {"sys_id": secrets.token_hex(16), "element_id": sys_id, "element": element, "name": table,
               "value": value, "sys_created_on": now_text(), "sys_created_by": user}
        self.table("sys_journal_field")[row["sys_id"]] = row

    def touch(self, rec, user):
        rec["sys_updated_on"] = now_text()
        rec["sys_updated_by"] = user
        rec["sys_mod_count"] = str(int(rec.get("sys_mod_count", "0") or 0) + 1)

    @staticmethod
    def set_state(rec, state):
        """Set a task's state and what the platform derives from it (active, closed_at)."""
        rec["state"] = state
        closed = state in CLOSED_STATES
        rec["active"] = "false" if closed else "true"
        if closed and not rec.get("closed_at"):
            rec["closed_at"] = now_text()
        elif not closed:
            rec["closed_at"] = ""

    def apply_fields(self, table, rec, body):
        """Copy a request body onto a record; returns the journal entries to write."""
        entries = []
        for key, value in body.items():
            if key == "variables" and table == "sc_req_item" and isinstance(value, dict):
                rec.setdefault("variables", {}).update({k: to_text(v) for k, v in value.items()})
            elif key.startswith("sys_"):
                continue  # system fields are generated, not written (sys_id handled on insert)
            elif key in JOURNAL_FIELDS and table in TASK_PREFIXES:
                text = to_text(value)
                if text:
                    entries.append((key, text))
                rec[key] = ""  # journal fields read back empty through the record
            elif key == "state" and table in TASK_PREFIXES:
                self.set_state(rec, to_text(value))
            else:
                rec[key] = to_text(value)
        return entries

    # -- business rules -------------------------------------------------------------------------

    def implied_ritm_state(self, ritm_id):
        """What the Task Closer rule makes of a RITM's tasks: None (no tasks), 'open', '3' or '4'."""
        states = [t.get("state", "") for t in self.table("sc_task").values() if t.get("request_item") == ritm_id]
        if not states:
            return None
        if any(s not in CLOSED_STATES for s in states):
            return "open"
        return "3" if all(s == "3" for s in states) else "4"

    def close_ritm_from_tasks(self, ritm_id, user):
        """The stock Task Closer rule: once every sc_task of a RITM is closed, the RITM follows."""
        ritm = self.table("sc_req_item").get(ritm_id)
        implied = self.implied_ritm_state(ritm_id) if ritm is not None else None
        if implied in ("3", "4") and ritm.get("state") != implied:
            self.set_state(ritm, implied)
            self.touch(ritm, user)
            self.close_request_from_items(ritm.get("request", ""), user)

    def close_request_from_items(self, request_id, user):
        """Closing the last RITM of a request closes the sc_request (stock request rules)."""
        request = self.table("sc_request").get(request_id) if request_id else None
        if request is None:
            return
        items = [r for r in self.table("sc_req_item").values() if r.get("request") == request_id]
        states = [r.get("state", "") for r in items]
        if not items or any(s not in CLOSED_STATES for s in states):
            return
        target = "3" if all(s == "3" for s in states) else "4"
        if request.get("state") != target:
            self.set_state(request, target)
            request["request_state"] = "closed_complete" if target == "3" else "closed_incomplete"
            self.touch(request, user)

    # -- writes ---------------------------------------------------------------------------------

    def insert(self, table, body, user):
        rows = self.table(table)
        wanted = str(body.get("sys_id", ""))
        sys_id = wanted if SYS_ID_RE.match(wanted) and wanted not in rows else secrets.token_hex(16)
        stamp = now_text()
        rec = {"sys_id": sys_id}
        if table in TASK_PREFIXES:
            rec.update(number="", state="1", active="true", approval="not requested", correlation_id="",
                       correlation_display="", work_notes="", comments="", opened_at=stamp,
                       sys_class_name=table)
        entries = self.apply_fields(table, rec, body)
        if table in TASK_PREFIXES and not rec.get("number"):
            rec["number"] = self.next_number(table)
        rec.update(sys_created_on=stamp, sys_created_by=user, sys_updated_on=stamp, sys_updated_by=user,
                   sys_mod_count="0")
        rows[sys_id] = rec
        for element, text in entries:
            self.journal(table, sys_id, element, text, user)
        self.after_write(table, rec, {}, user)
        return rec

    def update(self, table, rec, body, user):
        before = dict(rec)
        entries = self.apply_fields(table, rec, body)
        note = ""
        if table == "sc_req_item" and rec.get("state") in CLOSED_STATES and rec.get("state") != before.get("state") \
                and self.implied_ritm_state(rec["sys_id"]) == "open":
            # Task Closer: while catalogue tasks are open the tasks imply an open RITM, so closing
            # it directly is accepted but overwritten back.  Close the sc_task instead.
            prior = before.get("state", "1")
            self.set_state(rec, prior if prior not in CLOSED_STATES else "2")
            note = "state reverted by Task Closer"
        for element, text in entries:
            self.journal(table, rec["sys_id"], element, text, user)
        self.touch(rec, user)
        self.after_write(table, rec, before, user)
        return note

    def after_write(self, table, rec, before, user):
        if table == "sc_task":
            for ritm_id in {before.get("request_item", ""), rec.get("request_item", "")} - {""}:
                self.close_ritm_from_tasks(ritm_id, user)
        elif table == "sc_req_item" and rec.get("state") != before.get("state"):
            self.close_request_from_items(rec.get("request", ""), user)


# ----------------------------------------------------------------------------- the double

class Double:
    def __init__(self, args):
        self.args = args
        self.store = Store(os.path.join(args.dir, "state.json"))
        self.users = load_json(args.users, DEFAULT_USERS)
        self.clients = {}
        for client_id, entry in load_json(args.oauth_clients, DEFAULT_CLIENTS).items():
            if isinstance(entry, str):  # {"client": "secret"}: runs as the first configured user
                entry = {"secret": entry, "user": next(iter(self.users))}
            self.clients[client_id] = entry
        self.faults = []
        self.short_pages = {}
        self.stats = {"calls": {}, "tokens_issued": {"client_credentials": 0, "password": 0, "refresh_token": 0},
                      "status_401": 0, "status_429": 0, "faults_served": 0}

    def count_call(self, method, label):
        key = "%s %s" % (method, label)
        with self.store.lock:
            self.stats["calls"][key] = self.stats["calls"].get(key, 0) + 1

    # -- faults ---------------------------------------------------------------------------------

    def take_fault(self, method, path):
        """The first queued fault matching this request (count consumed), or None."""
        unversioned = re.sub(r"^/api/now/v\d+/", "/api/now/", path)
        with self.store.lock:
            for fault in self.faults:
                if fault["method"] not in ("*", method):
                    continue
                prefix = fault["path_prefix"]
                if not (path.startswith(prefix) or unversioned.startswith(prefix)):
                    continue
                fault["count"] -= 1
                if fault["count"] <= 0:
                    self.faults.remove(fault)
                self.stats["faults_served"] += 1
                return fault
        return None

    def fault_before(self, fault, path):
        """Act on a fault before the request is processed; 'lost' acts afterwards."""
        if fault is None or fault["kind"] == "lost":
            return
        if serving.transport_fault(fault):
            return
        status = fault["status"]
        if status == 429:
            limit = int(fault.get("limit", 100))
            retry = int(fault.get("retry_after", 60))
            api = "Attachment API" if "/attachment" in path else "Table API"
            raise ApiError(429, "Rate limit exceeded",
                           "Rate limit of %d requests per hour for %s exceeded" % (limit, api),
                           [("Retry-After", str(retry)), ("X-RateLimit-Limit", str(limit)),
                            ("X-RateLimit-Reset", str(int(time.time()) + retry)),
                            ("X-RateLimit-Rule", RATE_LIMIT_RULE)])
        defaults = {400: ("Exception while reading request", "Injected fault"),
                    403: ("Operation Failed", "ACL Exception Update Failed due to security constraints"),
                    500: ("Internal server error", "Injected fault"),
                    503: ("Service Unavailable", "Injected fault")}
        message, detail = defaults.get(status, ("Injected fault", None))
        headers = [("Retry-After", str(fault["retry_after"]))] if "retry_after" in fault else []
        raise ApiError(status, fault.get("message", message), fault.get("detail", detail), headers)

    # -- authentication -------------------------------------------------------------------------

    def authenticate(self, header):
        """The user an Authorization header stands for; ApiError(401) otherwise."""
        scheme, _, credential = (header or "").partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(credential.strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, password = None, None
            if user in self.users and secrets.compare_digest(self.users[user], password):
                return user
        elif scheme.lower() == "bearer":
            with self.store.lock:
                token = self.store.data["access_tokens"].get(credential.strip())
            if token is not None and token["expires_at"] > time.time():
                return token["user"]
        raise ApiError(401, "User Not Authenticated", "Required to provide Auth information",
                       [("WWW-Authenticate", 'BASIC realm="Service-now"')])

    def handle_oauth(self, method, headers, body):
        """POST /oauth_token.do: ServiceNow reads form fields only; every failure is access_denied."""
        denied = json_reply(401, {"error_description": "access_denied", "error": "server_error"})
        content_type = headers.get("Content-Type", "").lower()
        if method != "POST" or not content_type.startswith("application/x-www-form-urlencoded"):
            return denied  # a JSON body "results in an unspecified error"
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        scheme, _, credential = headers.get("Authorization", "").partition(" ")
        if not client_id and scheme.lower() == "basic":  # RFC 6749 client authentication
            try:
                client_id, _, secret = base64.b64decode(credential).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                pass
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client["secret"], secret):
            return denied
        grant = form.get("grant_type", "")
        now = time.time()
        with self.store.lock:
            data = self.store.data
            if grant == "client_credentials":
                user, refresh = client["user"], None
            elif grant == "password":
                user = form.get("username", "")
                if user not in self.users or not secrets.compare_digest(self.users[user], form.get("password", "")):
                    return denied
                refresh = self.current_token(data["refresh_tokens"], client_id, user, now)
                if refresh is None:
                    refresh = secrets.token_urlsafe(64)
                    data["refresh_tokens"][refresh] = {"client_id": client_id, "user": user,
                                                       "expires_at": now + REFRESH_LIFETIME}
            elif grant == "refresh_token":
                refresh = form.get("refresh_token", "")
                entry = data["refresh_tokens"].get(refresh)
                if entry is None or entry["client_id"] != client_id or entry["expires_at"] <= now:
                    return denied
                user = entry["user"]
            else:
                return denied
            # "Access requests made within the expiration time of the access token always return
            # the current access token."
            access = self.current_token(data["access_tokens"], client_id, user, now)
            if access is None:
                access = secrets.token_urlsafe(64)
                data["access_tokens"][access] = {"client_id": client_id, "user": user, "grant": grant,
                                                 "expires_at": now + self.args.token_lifetime}
                self.stats["tokens_issued"][grant] += 1
            self.store.save()
            answer = {"access_token": access, "refresh_token": refresh, "scope": "useraccount",
                      "token_type": "Bearer",
                      "expires_in": max(0, int(data["access_tokens"][access]["expires_at"] - now - 1))}
        if refresh is None:
            del answer["refresh_token"]  # client_credentials: no refresh token (RFC 6749 4.4.3)
        return json_reply(200, answer)

    @staticmethod
    def current_token(tokens, client_id, user, now):
        for token, entry in tokens.items():
            if entry["client_id"] == client_id and entry["user"] == user and entry["expires_at"] > now:
                return token
        return None

    # -- the REST API ---------------------------------------------------------------------------

    def handle_api(self, req):
        """Every /api path: authenticate, apply a queued fault, then route."""
        table_match = TABLE_PATH_RE.match(req.path)
        attach_match = ATTACHMENT_PATH_RE.match(req.path)
        label = table_match.group(2) if table_match else ("attachment" if attach_match else req.path)
        self.count_call(req.method, label)
        user = self.authenticate(req.headers.get("Authorization"))
        fault = self.take_fault(req.method, req.path)
        self.fault_before(fault, req.path)
        accept = req.headers.get("Accept", "")
        if accept and "json" not in accept and "*/*" not in accept and not (attach_match and attach_match.group(3)):
            raise ApiError(406, "Not Acceptable", "Only application/json responses are modelled by the double")
        if table_match and table_match.group(1) in (None, "v1", "v2"):
            reply = self.handle_table(req, user, *table_match.groups())
        elif attach_match and attach_match.group(1) in (None, "v1", "v2"):
            reply = self.handle_attachment(req, user, attach_match.group(2), attach_match.group(3))
        else:
            raise ApiError(400, "Requested URI does not represent any resource", None)
        if fault is not None and fault["kind"] == "lost":
            raise DropConnection()  # the work is done (and saved); the answer never arrives
        return reply

    def base_url(self, req):
        host = req.headers.get("Host", "")
        if not re.match(r"^[A-Za-z0-9.\-:\[\]]+$", host):
            host = "127.0.0.1:%d" % req.server_port
        return "http://" + host

    def read_json_body(self, req):
        content_type = req.headers.get("Content-Type", "application/json").lower()
        if "json" not in content_type:
            raise ApiError(415, "Unsupported Media Type", "Content-Type %s is not supported; send application/json"
                           % content_type.split(";")[0])
        if not req.body.strip():
            raise ApiError(400, "Exception while reading request", "Empty request body")
        try:
            body = json.loads(req.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, "Exception while reading request", "The payload is not valid JSON: %s" % exc)
        if isinstance(body, list):  # only one record per request; extra records are ignored
            body = body[0] if body else {}
        if not isinstance(body, dict):
            raise ApiError(400, "Exception while reading request", "The payload is not a JSON object")
        return body

    def handle_table(self, req, user, version, table, sys_id):
        if not TABLE_RE.match(table):
            raise ApiError(400, "Invalid table %s" % table, None)
        store, method = self.store, req.method
        if method in ("POST", "PUT", "PATCH", "DELETE") and table in READ_ONLY_TABLES:
            action = {"POST": "Insert", "DELETE": "Delete"}.get(method, "Update")
            raise ApiError(403, "Operation Failed", "ACL Exception %s Failed due to security constraints" % action)
        if sys_id is None and method == "GET":
            return self.list_records(req, version, table)
        if sys_id is None and method == "POST":
            body = self.read_json_body(req)
            with store.lock:
                rec = store.insert(table, body, user)
                store.save()
                result = self.render(req, table, rec)
            location = "%s/api/now/table/%s/%s" % (self.base_url(req), table, rec["sys_id"])
            return self.record_reply(req, 201, result, [("Location", location)])
        if sys_id is not None and method in ("GET", "PUT", "PATCH", "DELETE"):
            body = self.read_json_body(req) if method in ("PUT", "PATCH") else None
            with store.lock:
                rec = store.table(table).get(sys_id)
                if rec is None:
                    raise not_found()
                if method == "GET":
                    return json_reply(200, {"result": self.render(req, table, rec)})
                if method == "DELETE":
                    del store.table(table)[sys_id]
                    store.after_write(table, {}, rec, user)
                    store.save()
                    return Reply(204, b"", content_type=None)
                note = store.update(table, rec, body, user)
                store.save()
                result = self.render(req, table, rec)
            return self.record_reply(req, 200, result, note=note)
        raise ApiError(405, "Method not Supported", "%s is not supported for this resource" % method)

    @staticmethod
    def record_reply(req, status, result, headers=(), note=""):
        if is_true(req.headers.get("X-no-response-body")):
            return Reply(status, b"", headers=headers, note=note)
        return json_reply(status, {"result": result}, headers, note)

    def list_records(self, req, version, table):
        """GET a table: filter, order, page (the limit applies before ACLs), render."""
        params = req.params
        if "sysparm_query" in params:
            query_text = params["sysparm_query"]
        else:  # name-value pairs are the alternative to sysparm_query
            query_text = "^".join("%s=%s" % (k, v) for k, v in params.items() if not k.startswith("sysparm_"))
        queries, order, bad = parse_encoded_query(query_text)
        limit = self.int_param(params, "sysparm_limit", 10000, 1)
        offset = self.int_param(params, "sysparm_offset", 0, 0)
        with self.store.lock:
            columns = self.store.columns(table)
            matched, ignored = self.run_query(table, queries, order, columns)
            ignored += bad
            if ignored and self.args.invalid_query_returns_no_rows:
                matched = []
            total = len(matched)
            every = self.short_pages.get(table, 0)
            page = [rec for pos, rec in enumerate(matched[offset:offset + limit], start=offset + 1)
                    if not (every and pos % every == 0)]
            result = [self.render(req, table, rec, columns) for rec in page]
        if version == "v1" and total == 0:
            raise not_found()  # v1 answers an empty result with 404; v2 (the default) with []
        headers = []
        if not is_true(params.get("sysparm_no_count")):
            headers.append(("X-Total-Count", str(total)))
        if not is_true(params.get("sysparm_suppress_pagination_header")) and (offset > 0 or total > limit):
            headers.append(("Link", self.link_header(req, offset, limit, total)))
        note = ("ignored query parts: %s" % ", ".join(ignored)) if ignored else ""
        return json_reply(200, {"result": result}, headers, note)

    def run_query(self, table, queries, order, columns):
        """Records matching the query, ordered; plus the conditions ignored as invalid."""
        store, ignored = self.store, []

        def valid(cond):
            field = cond[0]
            ok = field in columns or (table == "sc_req_item" and field.startswith("variables.")) or \
                ("." in field and field.split(".", 1)[0] in REFERENCES.get(table, {}))
            if not ok:
                ignored.append("".join(cond))
            return ok

        # Invalid parts (unknown fields) are dropped, as ServiceNow does by default.
        cleaned = [[[c for c in group if valid(c)] for group in q] for q in queries]
        cleaned = [[g for g in q if g] for q in cleaned]

        def value(rec, field):
            found = store.resolve(table, rec, field, columns)
            return found[0] if found is not None else ""

        def matches(rec):
            return any(all(any(condition_matches(value(rec, f), op, v) for f, op, v in group) for group in q)
                       for q in cleaned)

        rows = [rec for rec in store.table(table).values() if matches(rec)]
        for field, descending in reversed(order):
            if field in columns or "." in field:  # (unknown ORDERBY fields are ignored too)
                rows.sort(key=lambda rec: sort_key(value(rec, field)), reverse=descending)
            else:
                ignored.append("ORDERBY" + field)
        return rows, ignored

    @staticmethod
    def int_param(params, name, default, minimum):
        try:
            return max(minimum, int(params.get(name, default)))
        except ValueError:
            return default

    def link_header(self, req, offset, limit, total):
        """first/prev/next/last URLs: the request's own parameters with sysparm_offset/limit redone."""
        kept = [part for part in req.raw_query.split("&")
                if part and part.split("=", 1)[0] not in ("sysparm_offset", "sysparm_limit")]
        base = "%s%s?" % (self.base_url(req), req.path)

        def url(at):
            return base + "&".join(kept + ["sysparm_offset=%d" % at, "sysparm_limit=%d" % limit])

        links = [(url(0), "first")]
        if offset > 0:
            links.append((url(max(0, offset - limit)), "prev"))
        if offset + limit < total:
            links.append((url(offset + limit), "next"))
        links.append((url(max(0, (total - 1) // limit * limit)), "last"))
        return ",".join('<%s>;rel="%s"' % pair for pair in links)

    def render(self, req, table, rec, columns=None):
        """A record as the Table API shows it: strings, reference links, sysparm_fields/display_value."""
        params = req.params
        exclude_links = is_true(params.get("sysparm_exclude_reference_link"))
        mode = params.get("sysparm_display_value", "false").lower()
        columns = columns if columns is not None else self.store.columns(table)
        wanted = [f.strip() for f in params.get("sysparm_fields", "").split(",") if f.strip()]
        out = {}
        for field in wanted or columns:
            found = self.store.resolve(table, rec, field, columns)
            if found is None:
                continue  # invalid fields are ignored
            value, owner, last = found
            target = REFERENCES.get(owner, {}).get(last)
            out[field] = self.render_value(req, owner, last, value, target, mode, exclude_links)
        return out

    def render_value(self, req, owner, field, value, target, mode, exclude_links):
        display = value
        if target and value:
            _, ref = self.store.find(target, value)
            display = (ref or {}).get("number") or (ref or {}).get("name") or value
        elif field == "state" and owner in TASK_PREFIXES:
            display = STATE_LABELS.get(value, value)
        elif field == "approval":
            display = APPROVAL_LABELS.get(value, value)
        if mode not in ("true", "all"):
            display = None
        if target and value and not exclude_links:
            link = "%s/api/now/table/%s/%s" % (self.base_url(req), target, value)
            if mode == "true":
                return {"display_value": display, "link": link}
            obj = {"display_value": display, "link": link, "value": value} if mode == "all" else \
                {"link": link, "value": value}
            return obj
        if mode == "all":
            return {"display_value": display, "value": value}
        return display if mode == "true" else value

    # -- the Attachment API ---------------------------------------------------------------------

    def attachment_meta(self, req, meta):
        out = dict(meta)
        out["download_link"] = "%s/api/now/attachment/%s/file" % (self.base_url(req), meta["sys_id"])
        return out

    def handle_attachment(self, req, user, sys_id, file_part):
        store, method = self.store, req.method
        if sys_id == "file" and file_part is None and method == "POST":
            return self.upload(req, user)
        if sys_id is None and method == "GET":
            queries, order, _ = parse_encoded_query(req.params.get("sysparm_query", ""))
            limit = self.int_param(req.params, "sysparm_limit", 1000, 1)
            offset = self.int_param(req.params, "sysparm_offset", 0, 0)
            with store.lock:
                rows, _ = self.run_query("sys_attachment", queries, order, store.columns("sys_attachment"))
                result = [self.attachment_meta(req, m) for m in rows[offset:offset + limit]]
            headers = [("X-Total-Count", str(len(rows)))]
            if offset > 0 or len(rows) > limit:
                headers.append(("Link", self.link_header(req, offset, limit, len(rows))))
            return json_reply(200, {"result": result}, headers)
        if sys_id is None or sys_id == "file":
            raise ApiError(405, "Method not Supported", "%s is not supported for this resource" % method)
        with store.lock:
            meta = store.table("sys_attachment").get(sys_id)
            if meta is None:
                raise not_found()
            if method == "GET" and file_part:
                data = base64.b64decode(store.data["attachments"].get(sys_id, ""))
                header = json.dumps(self.attachment_meta(req, meta))
                return Reply(200, data, content_type=meta["content_type"] or "application/octet-stream",
                             headers=[("X-Attachment-Metadata", header)])
            if method == "GET":
                return json_reply(200, {"result": self.attachment_meta(req, meta)})
            if method == "DELETE" and not file_part:
                del store.table("sys_attachment")[sys_id]
                store.data["attachments"].pop(sys_id, None)
                store.save()
                return Reply(204, b"", content_type=None)
        raise ApiError(405, "Method not Supported", "%s is not supported for this resource" % method)

    def upload(self, req, user):
        """POST /api/now/attachment/file?table_name=&table_sys_id=&file_name= with the raw bytes."""
        params = req.params
        missing = [p for p in ("table_name", "table_sys_id", "file_name") if not params.get(p)]
        if missing:
            raise ApiError(400, "Missing parameter: %s" % missing[0], None)
        content_type = req.headers.get("Content-Type", "")
        if not content_type:
            raise ApiError(400, "Content-Type header is required", "Specify the content type of the file")
        with self.store.lock:
            if not TABLE_RE.match(params["table_name"]) or \
                    params["table_sys_id"] not in self.store.table(params["table_name"]):
                raise ApiError(404, "Invalid table_sys_id or table_name",
                               "Record doesn't exist or ACL restricts the record retrieval")
            stamp = now_text()
            meta = {"sys_id": secrets.token_hex(16), "file_name": params["file_name"],
                    "table_name": params["table_name"], "table_sys_id": params["table_sys_id"],
                    "content_type": content_type, "size_bytes": str(len(req.body)), "compressed": "true",
                    "size_compressed": str(len(gzip.compress(req.body))), "average_image_color": "",
                    "image_height": "", "image_width": "", "sys_tags": "", "sys_created_on": stamp,
                    "sys_created_by": user, "sys_updated_on": stamp, "sys_updated_by": user,
                    "sys_mod_count": "0", "created_by_name": user, "updated_by_name": user}
            self.store.table("sys_attachment")[meta["sys_id"]] = meta
            self.store.data["attachments"][meta["sys_id"]] = base64.b64encode(req.body).decode()
            self.store.save()
            result = self.attachment_meta(req, meta)
        location = "%s/api/now/attachment/%s" % (self.base_url(req), meta["sys_id"])
        return json_reply(201, {"result": result}, [("Location", location)])

    # -- test controls --------------------------------------------------------------------------

    def handle_control(self, req):
        method, path = req.method, req.path.rstrip("/")
        store = self.store
        try:
            body = json.loads(req.body.decode("utf-8")) if req.body.strip() else {}
        except (ValueError, UnicodeDecodeError) as exc:
            return json_reply(400, {"error": "body is not JSON: %s" % exc})
        with store.lock:
            if path == "/_double/faults" and method == "POST":
                added = []
                for spec in body if isinstance(body, list) else [body]:
                    fault, problem = self.make_fault(spec)
                    if problem:
                        return json_reply(400, {"error": problem})
                    added.append(fault)
                self.faults.extend(added)
                return json_reply(200, {"faults": self.faults})
            if path == "/_double/faults" and method == "GET":
                return json_reply(200, {"faults": self.faults})
            if path == "/_double/faults" and method == "DELETE":
                self.faults.clear()
                return json_reply(200, {"faults": []})
            if path == "/_double/short-pages" and method == "POST":
                every = body.get("hidden_every") if isinstance(body, dict) else None
                if not isinstance(every, int) or every < 0 or not TABLE_RE.match(str(body.get("table", ""))):
                    return json_reply(400, {"error": 'expected {"table": name, "hidden_every": N >= 0}'})
                if every:
                    self.short_pages[body["table"]] = every
                else:
                    self.short_pages.pop(body["table"], None)
                return json_reply(200, {"short_pages": self.short_pages})
            if path == "/_double/short-pages" and method in ("GET", "DELETE"):
                if method == "DELETE":
                    self.short_pages.clear()
                return json_reply(200, {"short_pages": self.short_pages})
            if path == "/_double/expire-tokens" and method == "POST":
                now = time.time()
                kinds = ["access_tokens"] + (["refresh_tokens"] if isinstance(body, dict) and body.get("refresh")
                                             else [])
                expired = 0
                for kind in kinds:
                    for entry in store.data[kind].values():
                        if entry["expires_at"] > now:
                            entry["expires_at"], expired = now - 1, expired + 1
                store.save()
                return json_reply(200, {"expired": expired})
            if path == "/_double/stats" and method == "GET":
                return json_reply(200, self.stats)
            if path == "/_double/journal" and method == "GET":
                rows = [r for r in store.table("sys_journal_field").values()
                        if r.get("element_id") == req.params.get("element_id", r.get("element_id"))]
                return json_reply(200, {"result": rows})
        return json_reply(404, {"error": "no such control: %s %s" % (method, path)})

    @staticmethod
    def make_fault(spec):
        if not isinstance(spec, dict) or spec.get("kind") not in FAULT_KINDS:
            return None, "each fault needs kind: one of %s" % ", ".join(FAULT_KINDS)
        fault = dict(spec, method=str(spec.get("method", "*")).upper(), path_prefix=str(spec.get("path_prefix", "/")))
        try:
            fault["count"] = int(spec.get("count", 1))
            for key in ("retry_after", "limit", "seconds"):
                if key in spec:
                    fault[key] = float(spec[key]) if key == "seconds" else int(spec[key])
        except (TypeError, ValueError):
            return None, "count, retry_after, limit and seconds must be numbers"
        if fault["kind"] == "status" and (not isinstance(spec.get("status"), int) or not 400 <= spec["status"] <= 599):
            return None, "a status fault needs status: 400..599"
        return fault, None


def load_json(path, default):
    if not path:
        return dict(default)
    with open(path, "rb") as handle:
        value = json.load(handle)
    if not isinstance(value, dict) or not value:
        raise SystemExit("servicenow-double: %s must hold a non-empty JSON object" % path)
    return value


# ----------------------------------------------------------------------------- HTTP plumbing

class Request:
    """What a handler needs from one HTTP request, parsed once."""

    def __init__(self, handler, body):
        split = urlsplit(handler.path)
        self.method, self.path, self.raw_query, self.body = handler.command, split.path, split.query, body
        self.headers = handler.headers
        self.params = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        self.server_port = handler.server.server_address[1]


class Handler(serving.LoggingHandler):
    max_body = MAX_BODY
    log_name = "servicenow-double"

    protocol_version = "HTTP/1.1"  # keep-alive, like an instance; every answer has a length
    server_version = "ServiceNow"
    sys_version = ""

    def version_string(self):
        return self.server_version

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def dispatch(self):
        double = self.server.double
        self.note = ""
        try:
            body = self.read_body()
        except ValueError:
            self.close_connection = True
            return self.send(Reply(400, b"Bad Request", "text/plain"))
        req = Request(self, body)
        try:
            if req.path == "/oauth_token.do":
                double.count_call(req.method, "oauth_token.do")
                fault = double.take_fault(req.method, req.path)
                double.fault_before(fault, req.path)
                reply = double.handle_oauth(req.method, req.headers, body)
                if fault is not None and fault["kind"] == "lost":
                    raise DropConnection()
                if reply.status == 200:
                    reply.headers += [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
            elif req.path.startswith("/_double/"):
                reply = double.handle_control(req)
            elif req.path.startswith("/api/"):
                reply = double.handle_api(req)
            else:
                reply = Reply(404, b"Not Found", "text/plain")
        except ApiError as err:
            reply = error_reply(err)
        except DropConnection as drop:
            return self.drop(drop)
        except Exception:  # a bug in the double: say so loudly rather than hang the client
            traceback.print_exc()
            self.close_connection = True
            reply = Reply(500, b"internal error in servicenow_double.py (see its log)", "text/plain")
        with double.store.lock:
            if reply.status in (401, 429):
                double.stats["status_%d" % reply.status] += 1
        self.send(reply)



Server = serving.QuietServer


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Loopback ServiceNow instance double (Table, Attachment, OAuth).")
    parser.add_argument("--dir", required=True, help="state directory (state.json, port file)")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (written to DIR/port)")
    parser.add_argument("--token-lifetime", type=int, default=1800, help="OAuth access token lifetime, seconds")
    parser.add_argument("--users", help='JSON file {"user": "password", ...} for Basic and the password grant')
    parser.add_argument("--oauth-clients", help='JSON file {"client_id": "secret" | {"secret": s, "user": u}}')
    parser.add_argument("--invalid-query-returns-no-rows", action="store_true",
                        help="as glide.invalid_query.returns_no_rows=true: an invalid query part returns nothing")
    return parser.parse_args(argv)


def save_seeded(double):
    with double.store.lock:
        double.store.save()  # the seeded tables exist on disk from the start


def main(argv=None):
    args = parse_args(argv)
    return serving.serve("servicenow-double", args.dir, args.port, Server, Handler, lambda: Double(args),
                         on_bound=save_seeded)


if __name__ == "__main__":
    sys.exit(main())
