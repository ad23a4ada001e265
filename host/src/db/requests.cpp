#include "db/requests.hpp"

#include <algorithm>

#include "db/filter_query.hpp"
#include "db/paging.hpp"
#include "db/prepared.hpp"

namespace signet::host {
namespace {

const char* kColumns =
    "id, tenant_id, operation, status, step, step_index, attempts, next_attempt_at, ticket, principal, input, state, "
    "error_code, error_message, certificate_id, created_at, updated_at";

// Never throws on the JSON columns: a row is read inside the claim of due
// requests, where one that cannot be read must not stop every claim. An
// unreadable input (never written by the host) comes back as an empty
// object, with `input_readable` false.
RequestRecord from_row(const soci::row& r, bool* input_readable = nullptr) {
  RequestRecord q;
  q.id = r.get<std::string>(0);
  q.tenant_id = r.get<std::string>(1);
  q.operation = r.get<std::string>(2);
  q.status = request_status_from(r.get<std::string>(3));
  q.step = r.get<std::string>(4);
  q.step_index = r.get<int>(5);
  q.attempts = r.get<int>(6);
  q.next_attempt_at = from_unix_ms(r.get<long long>(7));
  q.ticket = text_at(r, 8);
  q.principal = r.get<std::string>(9);
  q.input = nlohmann::json::parse(r.get<std::string>(10), nullptr, false);
  if (input_readable) *input_readable = !q.input.is_discarded();
  if (q.input.is_discarded()) q.input = nlohmann::json::object();
  q.state = request_state_from(nlohmann::json::parse(r.get<std::string>(11), nullptr, false));
  q.error_code = text_at(r, 12);
  q.error_message = text_at(r, 13);
  q.certificate_id = text_at(r, 14);
  q.created_at = from_unix_ms(r.get<long long>(15));
  q.updated_at = from_unix_ms(r.get<long long>(16));
  return q;
}

}  // namespace

const char* to_string(RequestStatus status) {
  switch (status) {
    case RequestStatus::pending: return "pending";
    case RequestStatus::running: return "running";
    case RequestStatus::waiting: return "waiting";
    case RequestStatus::succeeded: return "succeeded";
    case RequestStatus::failed: return "failed";
    case RequestStatus::pending_approval: return "pending_approval";
  }
  return "failed";
}

RequestStatus request_status_from(const std::string& text) {
  for (auto s : {RequestStatus::pending, RequestStatus::running, RequestStatus::waiting, RequestStatus::succeeded,
                 RequestStatus::pending_approval})
    if (text == to_string(s)) return s;
  return RequestStatus::failed;
}

std::string RequestRepo::new_lease_token(const std::string& owner) {
  return owner + "." + std::to_string(++claims_);
}

namespace {

// A request as the columns take it, serialised before the write starts:
// the work inside a (group) commit should be binding and executing only.
struct RequestColumns {
  explicit RequestColumns(const RequestRecord& q, TimePoint lease_until)
      : status(to_string(q.status)),
        input(q.input.dump()),
        // Plugins may hand back bytes that are not UTF-8; store them replaced rather than never save.
        state(to_json(q.state).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)),
        next(to_unix_ms(q.next_attempt_at)), lease(to_unix_ms(lease_until)), created(to_unix_ms(q.created_at)),
        updated(to_unix_ms(q.updated_at)) {}
  // The message goes with the code: NULL when there is no error.
  static SqlParam error_message(const RequestRecord& q) {
    return q.error_code.empty() ? SqlParam::null_text() : SqlParam(q.error_message);
  }
  std::string status, input, state;
  long long next, lease, created, updated;
};

void insert_request(soci::session& s, const RequestRecord& q, const RequestColumns& c) {
  execute(s,
          "INSERT INTO requests (id, tenant_id, operation, status, step, step_index, attempts, next_attempt_at, "
          "lease_owner, lease_until, principal, input, state, created_at, updated_at, ticket, error_code, "
          "error_message, certificate_id) VALUES (:id, :tenant, :op, :status, :step, :idx, :attempts, :next, :owner, "
          ":lease, :principal, :input, :state, :created, :updated, :ticket, :code, :message, :cert)",
          {q.id, q.tenant_id, q.operation, c.status, q.step, q.step_index, q.attempts, c.next, q.lease_token, c.lease,
           q.principal, c.input, c.state, c.created, c.updated, SqlParam::text_or_null(q.ticket),
           SqlParam::text_or_null(q.error_code), c.error_message(q), SqlParam::text_or_null(q.certificate_id)});
}

// Progress under the claim's lease; false when another claim took it over.
bool update_request(soci::session& s, const RequestRecord& q, const RequestColumns& c) {
  const long long changed = execute(
      s,
      "UPDATE requests SET status = :status, step = :step, step_index = :idx, attempts = :attempts, "
      "next_attempt_at = :next, ticket = :ticket, state = :state, error_code = :code, error_message = :message, "
      "certificate_id = :cert, updated_at = :updated, lease_until = :lease WHERE id = :id AND lease_owner = :owner",
      {c.status, q.step, q.step_index, q.attempts, c.next, SqlParam::text_or_null(q.ticket), c.state,
       SqlParam::text_or_null(q.error_code), c.error_message(q), SqlParam::text_or_null(q.certificate_id), c.updated,
       c.lease, q.id, q.lease_token});
  return changed == 1;
}

}  // namespace

Result<void> RequestRepo::create_claimed(const RequestRecord& q, TimePoint lease_until) {
  RequestColumns columns(q, lease_until);
  return db_.write([&](soci::session& s) { insert_request(s, q, columns); });
}

Result<std::optional<RequestRecord>> RequestRepo::load(const std::string& id) {
  return read(db_, [&](soci::session& s) -> Result<std::optional<RequestRecord>> {
    soci::row row;
    s << "SELECT " << kColumns << " FROM requests WHERE id = :id", soci::use(id), soci::into(row);
    if (!s.got_data()) return std::optional<RequestRecord>();
    return std::optional<RequestRecord>(from_row(row));
  });
}

namespace {

// Due: its time has come (a held approval's time is its expiry), or its
// claim's lease ran out (the host died).
constexpr const char* kDue =
    "((status IN ('pending', 'waiting', 'pending_approval') AND next_attempt_at <= :now) OR "
    "(status = 'running' AND lease_until < :now2))";

}  // namespace

Result<std::optional<RequestRecord>> RequestRepo::claim(const std::string& id, const std::string& owner, TimePoint now,
                                                        TimePoint lease_until) {
  std::optional<RequestRecord> claimed;
  const long long now_ms = to_unix_ms(now), lease = to_unix_ms(lease_until);
  auto written = db_.write([&](soci::session& s) {
    claimed.reset();
    const std::string token = new_lease_token(owner);
    const long long changed = execute(s,
                                      std::string("UPDATE requests SET status = 'running', lease_owner = :owner, "
                                                  "lease_until = :lease WHERE id = :id AND ") + kDue,
                                      {token, lease, id, now_ms, now_ms});
    if (changed != 1) return;
    soci::row row;
    s << "SELECT " << kColumns << " FROM requests WHERE id = :id", soci::use(id), soci::into(row);
    if (!s.got_data()) return;
    claimed = from_row(row);
    claimed->lease_token = token;
  });
  if (!written) return std::move(written).error();
  return claimed;
}

Result<std::vector<RequestRecord>> RequestRepo::claim_due(const std::string& owner, TimePoint now,
                                                          TimePoint lease_until, int limit) {
  std::vector<RequestRecord> claimed;
  const long long now_ms = to_unix_ms(now), lease = to_unix_ms(lease_until);
  const char* due = kDue;
  // On PostgreSQL hosts claim at the same time: rows another host is
  // claiming right now are skipped, not waited for. (SQLite's writer is
  // alone anyway.) The UPDATE's condition still decides each claim.
  const char* lock = db_.is_sqlite() ? "" : " FOR UPDATE SKIP LOCKED";
  auto written = db_.write([&](soci::session& s) {
    claimed.clear();  // a redone batch runs this again
    soci::rowset<soci::row> rows = (s.prepare << "SELECT " << kColumns << " FROM requests WHERE " << due
                                              << " ORDER BY next_attempt_at LIMIT :limit" << lock,
                                    soci::use(now_ms), soci::use(now_ms), soci::use(limit));
    std::vector<RequestRecord> candidates;
    std::vector<std::string> unreadable;
    for (const auto& row : rows) {
      bool readable = true;
      candidates.push_back(from_row(row, &readable));
      if (readable) continue;
      unreadable.push_back(candidates.back().id);
      candidates.pop_back();
    }
    // Nothing can run a request whose input cannot be read: it fails, once.
    for (const auto& id : unreadable)
      execute(s,
              "UPDATE requests SET status = 'failed', error_code = 'internal', error_message = :message, "
              "updated_at = :now WHERE id = :id",
              {"the stored input of this request is not JSON", now_ms, id});
    for (auto& q : candidates) {
      q.lease_token = new_lease_token(owner);
      soci::statement update = (s.prepare << "UPDATE requests SET status = 'running', lease_owner = :owner, "
                                             "lease_until = :lease WHERE id = :id AND " << due,
                                soci::use(q.lease_token), soci::use(lease), soci::use(q.id), soci::use(now_ms), soci::use(now_ms));
      update.execute(true);
      if (update.get_affected_rows() == 1) {
        q.status = RequestStatus::running;
        claimed.push_back(std::move(q));
      }
    }
  });
  if (!written) return std::move(written).error();
  return claimed;
}

Result<bool> RequestRepo::save(const RequestRecord& q, TimePoint lease_until) {
  return save_with(q, lease_until, false, {});
}

Result<bool> RequestRepo::save_with(const RequestRecord& q, TimePoint lease_until, bool create,
                                    const std::vector<TransactionWork>& writes) {
  bool kept = false;
  RequestColumns columns(q, lease_until);
  auto written = db_.write([&](soci::session& s) {
    if (create) insert_request(s, q, columns);
    kept = create || update_request(s, q, columns);
    if (!kept) return;  // another claim owns the request now: its writes are not ours to make
    for (const auto& w : writes) w(s);
  });
  if (!written) return std::move(written).error();
  return kept;
}

Result<RequestPage> list_requests(Database& db, const std::string& tenant_id, const RequestFilter& f) {
  FilterQuery q;
  q.also("tenant_id = " + q.bind(tenant_id));
  if (!f.status.empty()) q.also("status = " + q.bind(f.status));
  if (!f.cursor.empty()) {
    const auto cursor = decode_cursor(f.cursor);
    if (!cursor) return make_error(ErrorCode::invalid_argument, "the cursor is not one this API gave out");
    const auto& [created, id] = *cursor;
    q.also("(created_at < " + q.bind(created) + " OR (created_at = " + q.bind(created) + " AND id < " + q.bind(id) + "))");
  }
  const int limit = std::clamp(f.limit, 1, 1000);
  return read(db, [&](soci::session& s) -> Result<RequestPage> {
    RequestPage page;
    // One more than a page: whether there is a next one.
    q.run(s,
          std::string("SELECT ") + kColumns + " FROM requests WHERE " + q.where() +
              " ORDER BY created_at DESC, id DESC LIMIT " + std::to_string(limit + 1),
          [&](const soci::row& r) { page.items.push_back(from_row(r)); });
    if (page.items.size() > static_cast<std::size_t>(limit)) {
      page.items.pop_back();
      page.next_cursor = encode_cursor(to_unix_ms(page.items.back().created_at), page.items.back().id);
    }
    return page;
  });
}

Result<bool> request_exists(Database& db, const std::string& id) {
  return read(db, [&](soci::session& s) -> Result<bool> {
    return query_number(s, "SELECT COUNT(*) FROM requests WHERE id = :id", {id}).value_or(0) > 0;
  });
}

Result<RequestCounts> request_counts(Database& db, const std::vector<std::string>& tenant_ids, TimePoint since) {
  const long long from = to_unix_ms(since);
  return read(db, [&](soci::session& s) -> Result<RequestCounts> {
    RequestCounts out;
    const std::pair<const char*, long long*> under_way[] = {{"pending", &out.pending}, {"running", &out.running},
                                                            {"waiting", &out.waiting}, {"pending_approval", &out.pending_approval}};
    for (const auto& tenant : tenant_ids) {
      for (const auto& [status, into] : under_way) {
        // One range of requests_tenant_status, which ends with created_at.
        const std::string st = status;
        soci::row r;
        s << "SELECT COUNT(*), MIN(created_at) FROM requests WHERE tenant_id = :t AND status = :s", soci::use(tenant),
            soci::use(st), soci::into(r);
        *into += number_at(r, 0);
        const auto first = time_at(r, 1);  // NULL when none is open
        if (!first) continue;
        const auto [at, added] = out.oldest.emplace(status, *first);
        if (!added) at->second = std::min(at->second, *first);
      }
      out.failed_recently += query_number(s, "SELECT COUNT(*) FROM requests WHERE tenant_id = :t AND status = 'failed' "
                                             "AND created_at >= :since", {tenant, from}).value_or(0);
    }
    return out;
  });
}

}  // namespace signet::host
