#include "pipeline/runner.hpp"

#include <deque>
#include <filesystem>
#include <gtest/gtest.h>
#include <thread>

#include "db/tenants.hpp"
#include "postgres_server.hpp"
#include "services/logger.hpp"
#include "services/metrics.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

// A step that answers from a queue and remembers what it was shown.
class ScriptedStep final : public Step {
 public:
  ScriptedStep(std::string name, std::deque<StepOutcome> outcomes) : name_(std::move(name)), outcomes_(std::move(outcomes)) {}
  std::string name() const override { return name_; }
  StepOutcome run(RequestRecord& q) override {
    tickets_seen.push_back(q.ticket);
    q.state.unknown[name_] = static_cast<int>(tickets_seen.size());
    if (outcomes_.empty()) return StepOutcome::done();
    StepOutcome next = outcomes_.front();
    outcomes_.pop_front();
    return next;
  }
  std::vector<std::string> tickets_seen;

 private:
  std::string name_;
  std::deque<StepOutcome> outcomes_;
};

Error transient() { return make_error(ErrorCode::unavailable, "backend down"); }

// On a real SQLite file and a real PostgreSQL server.
class RunnerTest : public ::testing::TestWithParam<test::TestDatabase> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / new_id("runner-test");
    std::filesystem::create_directories(dir_);
    const std::string url = test::fresh_database_url(GetParam(), dir_.string());
    ASSERT_FALSE(url.empty()) << test::shared_postgres_server().log();
    auto db = Database::open(url, 4);
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->migrate());
    tenant_ = ensure_tenant(*db_, "default", "Default").value().id;
    config_.initial_backoff = std::chrono::milliseconds(40);
    config_.max_backoff = std::chrono::milliseconds(160);
    config_.max_attempts = 4;
  }
  void TearDown() override {
    pool_.join();  // work posted by the runner finishes before the runner goes
    runner_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  void make_runner(std::vector<std::shared_ptr<Step>> steps) {
    Pipelines pipelines{{"issue", std::make_shared<const Pipeline>("issue", std::move(steps))}};
    runner_ = std::make_unique<Runner>(*db_, pipelines, config_, pool_, log_, metrics_);
  }

  RequestRecord submit(std::chrono::milliseconds budget = std::chrono::seconds(5)) {
    const RequestRecord q = record("");
    auto result = runner_->submit(q, budget);
    EXPECT_TRUE(result) << (result ? "" : result.error().message);
    return result ? result.value() : q;
  }

  // A request as a worker holds it after a claim: persisted, running.
  RequestRecord record(const std::string& step, const std::string& operation = "issue") {
    RequestRecord q;
    q.id = new_id("req");
    q.tenant_id = tenant_;
    q.operation = operation;
    q.principal = "tok_test";
    q.status = RequestStatus::running;
    q.step = step;
    q.created_at = q.updated_at = q.next_attempt_at = Clock::now();
    return q;
  }

  RequestRecord stored(const std::string& id) { return *RequestRepo(*db_).load(id).value(); }

  std::filesystem::path dir_;
  std::unique_ptr<Database> db_;
  std::string tenant_;
  RunnerConfig config_;
  boost::asio::thread_pool pool_{1};
  JsonLogger log_{LogLevel::error};
  MetricsRegistry metrics_;
  std::unique_ptr<Runner> runner_;
};

TEST_P(RunnerTest, FinishesEveryStepAndPersistsTheState) {
  make_runner({std::make_shared<ScriptedStep>("a", std::deque<StepOutcome>{}),
               std::make_shared<ScriptedStep>("b", std::deque<StepOutcome>{})});
  const RequestRecord q = submit();
  EXPECT_EQ(q.status, RequestStatus::succeeded);
  const RequestRecord saved = stored(q.id);
  EXPECT_EQ(saved.status, RequestStatus::succeeded);
  EXPECT_EQ(saved.step, "done");
  EXPECT_EQ(saved.step_index, 2);
  EXPECT_EQ(saved.state.unknown.value("a", 0), 1);
  EXPECT_EQ(saved.state.unknown.value("b", 0), 1);
}

TEST_P(RunnerTest, WaitsWithATicketAndResumesWithIt) {
  auto step = std::make_shared<ScriptedStep>("sign", std::deque<StepOutcome>{StepOutcome::wait("ticket-1", std::chrono::seconds(1))});
  make_runner({step});
  const RequestRecord q = submit();
  EXPECT_EQ(q.status, RequestStatus::waiting);
  RequestRecord saved = stored(q.id);
  EXPECT_EQ(saved.status, RequestStatus::waiting);
  EXPECT_EQ(saved.ticket, "ticket-1");
  // The plugin asked for 1 s; backoff.max (160 ms here) caps the hint.
  EXPECT_EQ(saved.next_attempt_at - saved.updated_at, std::chrono::milliseconds(160));
  EXPECT_EQ(runner_->run_due_once(), 0) << "not due before its retry time";
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(runner_->run_due_once(), 1);
  saved = stored(q.id);
  EXPECT_EQ(saved.status, RequestStatus::succeeded);
  EXPECT_EQ(saved.ticket, "");
  EXPECT_EQ(step->tickets_seen, (std::vector<std::string>{"", "ticket-1"}));
}

TEST_P(RunnerTest, RetriesATransientFailureWithBackoff) {
  make_runner({std::make_shared<ScriptedStep>("sign", std::deque<StepOutcome>{StepOutcome::fail(transient())})});
  const RequestRecord q = submit();
  RequestRecord saved = stored(q.id);
  EXPECT_EQ(saved.status, RequestStatus::pending);
  EXPECT_EQ(saved.attempts, 1);
  EXPECT_EQ(saved.error_code, "unavailable");
  EXPECT_EQ(saved.error_message, "backend down");
  EXPECT_EQ(saved.next_attempt_at - saved.updated_at, std::chrono::milliseconds(40));
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(runner_->run_due_once(), 1);
  saved = stored(q.id);
  EXPECT_EQ(saved.status, RequestStatus::succeeded);
  EXPECT_EQ(saved.attempts, 0);
  EXPECT_EQ(saved.error_code, "");
}

TEST_P(RunnerTest, BackoffDoublesUpToTheCapThenGivesUp) {
  make_runner({std::make_shared<ScriptedStep>(
      "sign", std::deque<StepOutcome>(4, StepOutcome::fail(transient())))});
  const RequestRecord q = submit();
  std::vector<long long> delays;
  for (int i = 0; i < 4; ++i) {
    const RequestRecord saved = stored(q.id);
    if (saved.status != RequestStatus::pending) break;
    delays.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(saved.next_attempt_at - saved.updated_at).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(delays.back() + 20));
    ASSERT_EQ(runner_->run_due_once(), 1);
  }
  EXPECT_EQ(delays, (std::vector<long long>{40, 80, 160}));
  const RequestRecord saved = stored(q.id);
  EXPECT_EQ(saved.status, RequestStatus::failed) << "max_attempts is 4";
  EXPECT_EQ(saved.attempts, 4);
  EXPECT_EQ(saved.error_code, "unavailable");
}

TEST_P(RunnerTest, AFinalFailureStopsAtOnce) {
  auto after = std::make_shared<ScriptedStep>("after", std::deque<StepOutcome>{});
  make_runner({std::make_shared<ScriptedStep>("sign", std::deque<StepOutcome>{StepOutcome::fail(
                   make_error(ErrorCode::rejected, "policy says no"))}),
               after});
  const RequestRecord q = submit();
  EXPECT_EQ(q.status, RequestStatus::failed);
  const RequestRecord saved = stored(q.id);
  EXPECT_EQ(saved.status, RequestStatus::failed);
  EXPECT_EQ(saved.error_code, "rejected");
  EXPECT_EQ(saved.step, "sign");
  EXPECT_TRUE(after->tickets_seen.empty()) << "no later step runs";
}

// A step that takes its time, like a slow remote CA.
class SlowStep final : public Step {
 public:
  std::string name() const override { return "slow"; }
  StepOutcome run(RequestRecord&) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    return StepOutcome::done();
  }
};

TEST_P(RunnerTest, AnswersWhenTheBudgetRunsOutAndFinishesInTheBackground) {
  make_runner({std::make_shared<SlowStep>()});
  const RequestRecord q = submit(std::chrono::milliseconds(50));
  EXPECT_EQ(q.status, RequestStatus::running) << "persisted before the step finished";
  EXPECT_EQ(stored(q.id).status, RequestStatus::running);
  for (int i = 0; i < 50 && stored(q.id).status != RequestStatus::succeeded; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(stored(q.id).status, RequestStatus::succeeded);
}

TEST_P(RunnerTest, HandsOverToThePollerWhenAClaimedRunOutlivesItsDeadline) {
  auto second = std::make_shared<ScriptedStep>("second", std::deque<StepOutcome>{});
  make_runner({std::make_shared<ScriptedStep>("first", std::deque<StepOutcome>{}), second});
  RequestRecord q = record("first");
  RequestRepo repo(*db_);
  q.lease_token = repo.new_lease_token(runner_->owner());
  ASSERT_TRUE(repo.create_claimed(q, Clock::now() + std::chrono::seconds(30)));
  const RequestRecord after = runner_->advance(q, Clock::now());  // a deadline already past
  EXPECT_EQ(after.status, RequestStatus::pending);
  EXPECT_EQ(stored(q.id).step, "second") << "progress so far is persisted";
  EXPECT_TRUE(second->tickets_seen.empty());
  EXPECT_EQ(runner_->run_due_once(), 1);
  EXPECT_EQ(stored(q.id).status, RequestStatus::succeeded);
  EXPECT_EQ(second->tickets_seen.size(), 1u);
}

TEST_P(RunnerTest, AnExpiredLeaseIsReclaimedAndTheOldOwnerCannotWrite) {
  make_runner({std::make_shared<ScriptedStep>("sign", std::deque<StepOutcome>{})});
  RequestRepo repo(*db_);
  RequestRecord q = record("sign");
  // Claimed by a host that then died: its lease ran out a second ago.
  q.lease_token = repo.new_lease_token("host_dead");
  ASSERT_TRUE(repo.create_claimed(q, Clock::now() - std::chrono::seconds(1)));
  auto claimed = repo.claim_due("host_new", Clock::now(), Clock::now() + std::chrono::seconds(30), 10);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed.value().size(), 1u);
  EXPECT_NE(claimed.value()[0].lease_token, q.lease_token);
  auto old_write = repo.save(q, Clock::now());
  ASSERT_TRUE(old_write);
  EXPECT_FALSE(old_write.value()) << "the dead host lost its lease";
  auto again = repo.claim_due("host_third", Clock::now(), Clock::now() + std::chrono::seconds(30), 10);
  EXPECT_TRUE(again.value().empty()) << "a live lease is not taken";
}

TEST_P(RunnerTest, TwoClaimsOfOneHostHaveDifferentLeases) {
  make_runner({std::make_shared<ScriptedStep>("sign", std::deque<StepOutcome>{})});
  RequestRepo repo(*db_);
  RequestRecord q = record("sign");
  q.lease_token = repo.new_lease_token(runner_->owner());
  ASSERT_TRUE(repo.create_claimed(q, Clock::now() - std::chrono::seconds(1)));
  // The same host reclaims its own expired request (a step outran the lease):
  // the first worker must not be able to write any more.
  auto claimed = repo.claim_due(runner_->owner(), Clock::now(), Clock::now() + std::chrono::seconds(30), 10);
  ASSERT_EQ(claimed.value().size(), 1u);
  EXPECT_FALSE(repo.save(q, Clock::now()).value());
  EXPECT_TRUE(repo.save(claimed.value()[0], Clock::now()).value());
}

// A step that throws.
class ThrowingStep final : public Step {
 public:
  std::string name() const override { return "boom"; }
  StepOutcome run(RequestRecord&) override { throw std::runtime_error("kaboom"); }
};

TEST_P(RunnerTest, AStepThatThrowsFailsTheRequestNotTheWorker) {
  make_runner({std::make_shared<ThrowingStep>()});
  const RequestRecord q = submit();
  EXPECT_EQ(q.status, RequestStatus::failed);
  EXPECT_EQ(stored(q.id).error_code, "internal");
  EXPECT_EQ(stored(q.id).error_message, "step boom failed unexpectedly");
}

TEST_P(RunnerTest, ARequestWhoseStepLeftThePipelineFails) {
  make_runner({std::make_shared<ScriptedStep>("sign", std::deque<StepOutcome>{})});
  RequestRepo repo(*db_);
  RequestRecord q = record("notify:removed");
  q.step_index = 3;
  q.lease_token = repo.new_lease_token(runner_->owner());
  ASSERT_TRUE(repo.create_claimed(q, Clock::now() + std::chrono::seconds(30)));
  runner_->advance(q, Clock::now() + std::chrono::seconds(5));
  EXPECT_EQ(stored(q.id).status, RequestStatus::failed);
  EXPECT_EQ(stored(q.id).error_code, "invalid_config");
}

TEST_P(RunnerTest, AnUnknownOperationIsRefused) {
  make_runner({std::make_shared<ScriptedStep>("sign", std::deque<StepOutcome>{})});
  auto result = runner_->submit(record("", "revoke"), std::chrono::seconds(1));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::unsupported);
}

INSTANTIATE_TEST_SUITE_P(Engines, RunnerTest,
                         ::testing::Values(test::TestDatabase::sqlite, test::TestDatabase::postgresql),
                         [](const auto& info) { return test::name_of(info.param); });

}  // namespace
}  // namespace signet::host
