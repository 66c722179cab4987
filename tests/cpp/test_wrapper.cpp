// Tests of the C++ wrapper (bindings/cpp/vwo_fme.hpp): RAII and moves, errors, decisions and
// typed getters, contexts, events, settings, close, every callback including throwing ones,
// re-entrant callbacks, threads. Offline on examples/settings.json; the flush test uses the
// loopback mock server (VWO_MOCK_URL, from tests/c/with_mock_server.sh). Run from the
// repository root.
#include "vwo_fme.hpp"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#ifndef VWO_EXPECTED_VERSION
#define VWO_EXPECTED_VERSION "0.1.0"
#endif

static int checks = 0, failures = 0;

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        ++checks;                                                                              \
        if (!(cond)) {                                                                         \
            ++failures;                                                                        \
            std::fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                      \
    } while (0)

#define CHECK_EQ(actual, expected)                                                             \
    do {                                                                                       \
        ++checks;                                                                              \
        auto a_ = (actual);                                                                    \
        auto e_ = (expected);                                                                  \
        if (!(a_ == e_)) {                                                                     \
            ++failures;                                                                        \
            std::ostringstream m_;                                                             \
            m_ << #actual << " is " << show(a_) << ", expected " << show(e_);                  \
            std::fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, m_.str().c_str());    \
        }                                                                                      \
    } while (0)

// Runs `body`, which must throw vwo::Error with `status`; returns the error's message.
#define CHECK_THROWS(body, expected_status)                                                    \
    [&]() -> std::string {                                                                     \
        ++checks;                                                                              \
        try {                                                                                  \
            body;                                                                              \
        } catch (const vwo::Error& e_) {                                                       \
            if (e_.status() != (expected_status)) {                                            \
                ++failures;                                                                    \
                std::fprintf(stderr, "FAIL %s:%d: %s threw %s (%s), expected %s\n", __FILE__,  \
                             __LINE__, #body, e_.status_name(), e_.message().c_str(),          \
                             vwo_status_name(expected_status));                                \
            }                                                                                  \
            return e_.message();                                                               \
        }                                                                                      \
        ++failures;                                                                            \
        std::fprintf(stderr, "FAIL %s:%d: %s did not throw\n", __FILE__, __LINE__, #body);    \
        return std::string();                                                                  \
    }()

template <class T>
static std::string show(const T& v) {
    std::ostringstream o;
    o << v;
    return o.str();
}
static std::string show(const std::optional<std::string>& v) { return v ? "\"" + *v + "\"" : "nullopt"; }
static std::string show(const std::string& v) { return "\"" + v + "\""; }
static std::string show(vwo::Reason r) { return std::to_string(static_cast<int>(r)); }

static bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

static std::string read_file(const char* path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream o;
    o << in.rdbuf();
    return o.str();
}

static const std::string DEMO_SETTINGS = read_file("examples/settings.json");
static const std::string OFFLINE = R"({"sdk_key":"demo0000000000000000000000000000","account_id":123456,)"
                                   R"("offline":true,"settings":)" + DEMO_SETTINGS + "}";
static const char* const UUID_ALICE = "3021035F151B5E9191BE243366302B14";
static const char* const VARS_CONTROL =
    R"([{"id":1,"value":"Checkout","type":"string","key":"title"},)"
    R"({"id":2,"value":0,"type":"integer","key":"discount_percent"},)"
    R"({"id":3,"value":false,"type":"boolean","key":"show_banner"},)"
    R"({"id":4,"value":{"steps":3},"type":"json","key":"layout"},)"
    R"({"id":5,"value":1.0,"type":"double","key":"button_scale"}])";
static const char* const RECORD_ALICE =
    R"({"featureKey":"new_checkout","userId":"alice","rolloutId":101,)"
    R"("rolloutKey":"new_checkout_rolloutRule1","rolloutVariationId":1,"experimentId":102,)"
    R"("experimentKey":"new_checkout_testingRule1","experimentVariationId":1,)"
    R"("isInHoldoutId":null,"notInHoldoutId":[]})";
static const char* const ALICE = R"({"id":"alice"})";
static const char* const BOB =
    R"({"id":"bob","custom_variables":{"country":"DE","plan":"Premium","beta":true,"app_version":"4.3.1"}})";

// Callbacks whose log discards everything (keeps the console quiet).
static vwo::Callbacks quiet() {
    vwo::Callbacks cb;
    cb.log = [](vwo::LogLevel, std::string_view) {};
    return cb;
}

// ---- types, versions, errors ----------------------------------------------------------

static_assert(!std::is_copy_constructible_v<vwo::Client> && !std::is_copy_assignable_v<vwo::Client>);
static_assert(!std::is_copy_constructible_v<vwo::Flag> && !std::is_copy_assignable_v<vwo::Flag>);
static_assert(!std::is_copy_constructible_v<vwo::Context> && !std::is_copy_assignable_v<vwo::Context>);
static_assert(std::is_nothrow_move_constructible_v<vwo::Client> && std::is_nothrow_move_assignable_v<vwo::Client>);
static_assert(std::is_nothrow_move_constructible_v<vwo::Flag> && std::is_nothrow_move_assignable_v<vwo::Flag>);
static_assert(std::is_nothrow_move_constructible_v<vwo::Context> && std::is_nothrow_move_assignable_v<vwo::Context>);
static_assert(std::is_base_of_v<std::runtime_error, vwo::Error>);

static void test_versions_and_errors() {
    CHECK_EQ(std::string(vwo::version()), std::string(VWO_EXPECTED_VERSION));
    CHECK_EQ(vwo::abi_version(), (static_cast<std::uint32_t>(VWO_ABI_MAJOR) << 16) | VWO_ABI_MINOR);
    vwo::check_abi();

    std::string m = CHECK_THROWS(vwo::Client("{"), VWO_ERR_INVALID_JSON);
    CHECK(contains(m, "options_json is not valid JSON"));
    try {
        vwo::Client c(R"({"sdk_key":"demo0000000000000000000000000000"})");
        CHECK(false);
    } catch (const vwo::Error& e) {
        CHECK_EQ(e.status(), VWO_ERR_INIT);
        CHECK_EQ(std::string(e.status_name()), std::string("VWO_ERR_INIT"));
        CHECK_EQ(e.message(), std::string("Account ID is required to initialize VWO. Please provide "
                                          "the account_id in the options."));
        CHECK_EQ(std::string(e.what()), "VWO_ERR_INIT: " + e.message());
    }
    m = CHECK_THROWS(vwo::Client(std::string_view("{\"a\":1}\0x", 9)), VWO_ERR_INVALID_ARGUMENT);
    CHECK_EQ(m, std::string("options_json contains a NUL byte"));
}

// ---- decisions -----------------------------------------------------------------------

static void test_decisions() {
    vwo::Client client(OFFLINE, quiet());
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));

    vwo::Flag alice = client.get_flag("new_checkout", ALICE);
    CHECK(alice.is_enabled());
    CHECK_EQ(alice.reason(), vwo::Reason::Evaluated);
    CHECK_EQ(alice.status(), VWO_OK);
    CHECK_EQ(alice.error(), std::string());
    CHECK_EQ(alice.get_string("title", "x"), std::string("Checkout"));
    CHECK_EQ(alice.get_int("discount_percent", -1), 0);
    CHECK_EQ(alice.get_bool("show_banner", true), false);
    CHECK_EQ(alice.get_double("button_scale", -1.0), 1.0);
    CHECK_EQ(alice.get_int("button_scale", -1), 1); // 1.0 has no fraction
    CHECK_EQ(alice.variable_json("layout"), std::optional<std::string>(R"({"steps":3})"));
    CHECK_EQ(alice.variables_json(), std::string(VARS_CONTROL));
    CHECK_EQ(alice.uuid(), std::optional<std::string>(UUID_ALICE));
    CHECK(alice.session_id() >= now - 2 && alice.session_id() <= now + 2);

    vwo::Flag bob = client.get_flag("new_checkout", BOB);
    CHECK_EQ(bob.get_string("title", "x"), std::string("Quick checkout"));
    CHECK_EQ(bob.get_int("discount_percent", -1), 10);
    CHECK_EQ(bob.get_bool("show_banner", false), true);
    CHECK_EQ(bob.get_double("button_scale", -1.0), 1.25);
    CHECK_EQ(bob.variable_json("title"), std::optional<std::string>("\"Quick checkout\""));

    // Defaults: missing variables, other types, a key with a NUL byte.
    CHECK_EQ(bob.get_string("nope", "fallback"), std::string("fallback"));
    CHECK_EQ(bob.get_string("discount_percent", "fallback"), std::string("fallback"));
    CHECK_EQ(bob.get_int("button_scale", 7), 7);
    CHECK_EQ(bob.get_bool("title", true), true);
    CHECK_EQ(bob.get_double("layout", 2.5), 2.5);
    CHECK_EQ(bob.get_int(std::string_view("discount_percent\0x", 18), 3), 3);
    CHECK_EQ(bob.variable_json("nope"), std::optional<std::string>());

    // Holdout, missing feature, session id from the context.
    vwo::Flag carol = client.get_flag("dark_mode", R"({"id":"carol","session_id":1700000000})");
    CHECK(!carol.is_enabled());
    CHECK_EQ(carol.reason(), vwo::Reason::Holdout);
    CHECK_EQ(carol.session_id(), 1700000000);
    vwo::Flag missing = client.get_flag("no_such_flag", ALICE);
    CHECK(!missing.is_enabled());
    CHECK_EQ(missing.status(), VWO_OK);
    CHECK_EQ(missing.reason(), vwo::Reason::FeatureNotFound);
    CHECK_EQ(missing.variables_json(), std::string("[]"));

    // get_flag never throws for evaluation problems.
    vwo::Flag bad = client.get_flag("new_checkout", "{");
    CHECK(!bad.is_enabled());
    CHECK_EQ(bad.status(), VWO_ERR_INVALID_JSON);
    CHECK(contains(bad.error(), "context_json is not valid JSON"));
    CHECK_EQ(bad.reason(), vwo::Reason::Error);
    vwo::Flag nul = client.get_flag(std::string_view("new_checkout\0", 13), ALICE);
    CHECK_EQ(nul.status(), VWO_ERR_INVALID_ARGUMENT);
    CHECK_EQ(nul.error(), std::string("an argument contains a NUL byte"));
    CHECK(!nul.is_enabled());
    vwo::Flag big = client.get_flag(std::string(5000, 'k'), ALICE);
    CHECK_EQ(big.status(), VWO_ERR_TOO_LARGE);

    // An empty flag.
    vwo::Flag empty;
    CHECK(!empty.is_enabled());
    CHECK_EQ(empty.reason(), vwo::Reason::Error);
    CHECK_EQ(empty.variables_json(), std::string("[]"));
    CHECK_EQ(empty.uuid(), std::optional<std::string>());
    CHECK_EQ(empty.session_id(), 0);
    CHECK_EQ(empty.get_string("title", "d"), std::string("d"));

    // Moves.
    vwo::Flag moved = std::move(alice);
    CHECK(moved.is_enabled());
    CHECK(alice.handle() == nullptr); // NOLINT(bugprone-use-after-move): checking the moved-from state
    CHECK(!alice.is_enabled());
    empty = std::move(bob);
    CHECK_EQ(empty.get_int("discount_percent", -1), 10);

    // Contexts.
    vwo::Context ctx(BOB);
    vwo::Flag via_ctx = client.get_flag("new_checkout", ctx);
    CHECK_EQ(via_ctx.get_string("title", "x"), std::string("Quick checkout"));
    std::string m = CHECK_THROWS(vwo::Context("{"), VWO_ERR_INVALID_JSON);
    CHECK(contains(m, "context_json is not valid JSON"));
    CHECK_THROWS(vwo::Context("{}"), VWO_ERR_INVALID_ARGUMENT);
    vwo::Context ctx2 = std::move(ctx);
    CHECK(ctx.handle() == nullptr); // NOLINT(bugprone-use-after-move)
    vwo::Flag from_moved = client.get_flag("new_checkout", ctx);
    CHECK_EQ(from_moved.status(), VWO_ERR_NULL_ARGUMENT);
    CHECK_EQ(client.get_flag("new_checkout", ctx2).get_int("discount_percent", -1), 10);

    // A flag outlives its client.
    vwo::Flag survivor;
    {
        vwo::Client scoped(OFFLINE, quiet());
        survivor = scoped.get_flag("new_checkout", ALICE);
    }
    CHECK_EQ(survivor.variables_json(), std::string(VARS_CONTROL));

    // get_uuid.
    CHECK_EQ(vwo::get_uuid("user-123", "123456"), std::string("CC25A368ADA0542699EAD62489811105"));
    m = CHECK_THROWS(vwo::get_uuid("", "1"), VWO_ERR_INVALID_ARGUMENT);
    CHECK_EQ(m, std::string("user_id and account_id must be non-empty"));
}

// ---- events, settings, close ----------------------------------------------------------

static void test_events_settings_close() {
    vwo::Client client(OFFLINE, quiet());
    vwo::Context alice(ALICE);
    CHECK(client.track_event("purchase", ALICE));
    CHECK(client.track_event("purchase", ALICE, R"({"revenue":12.5})"));
    CHECK(!client.track_event("not_a_metric", ALICE));
    CHECK(client.track_event("hero_click", alice));
    std::string m = CHECK_THROWS(client.track_event("purchase", ALICE, "[1]"), VWO_ERR_INVALID_ARGUMENT);
    CHECK_EQ(m, std::string("properties_json must be a JSON object"));
    CHECK_THROWS(client.track_event("purchase", "{"), VWO_ERR_INVALID_JSON);
    CHECK_THROWS(client.track_event(std::string_view("a\0b", 3), ALICE), VWO_ERR_INVALID_ARGUMENT);

    client.set_attribute("plan", "\"pro\"", ALICE);
    client.set_attributes(R"({"plan":"pro","visits":3})", ALICE);
    client.set_attributes(R"({"beta":true})", alice);
    m = CHECK_THROWS(client.set_attribute("plan", "\"\"", ALICE), VWO_ERR_INVALID_ARGUMENT);
    CHECK_EQ(m, std::string("value must not be an empty string"));
    CHECK_THROWS(client.set_attributes("{}", ALICE), VWO_ERR_INVALID_ARGUMENT);
    CHECK(client.flush_events());
    CHECK(client.flush_events(std::chrono::milliseconds(0)));

    // Settings: replace, refuse invalid ones, no refetch offline.
    client.update_settings(read_file("tests/fixtures/conformance/settings/s1_rollout_only.json"));
    CHECK_EQ(client.get_flag("new_checkout", ALICE).reason(), vwo::Reason::FeatureNotFound);
    CHECK_EQ(client.get_flag("rollout_basic", ALICE).get_string("string_var", ""), std::string("basic-on"));
    m = CHECK_THROWS(client.update_settings(R"({"features":3})"), VWO_ERR_FAILED);
    CHECK(contains(m, "settings failed schema validation at $.features"));
    CHECK_THROWS(client.fetch_settings(), VWO_ERR_FAILED);
    client.update_settings(DEMO_SETTINGS);
    CHECK(client.get_flag("new_checkout", ALICE).is_enabled());
    m = CHECK_THROWS(client.set_alias("alice", "alias"), VWO_ERR_FAILED);
    CHECK_EQ(m, std::string("aliasing is not enabled (is_aliasing_enabled)"));

    // Close: idempotent; later calls fail with VWO_ERR_CLOSED, get_flag included (no throw).
    CHECK(client.close());
    CHECK(client.close());
    vwo::Flag after = client.get_flag("new_checkout", ALICE);
    CHECK_EQ(after.status(), VWO_ERR_CLOSED);
    CHECK(!after.is_enabled());
    CHECK_THROWS(client.track_event("purchase", ALICE), VWO_ERR_CLOSED);
    CHECK_THROWS(client.set_attribute("plan", "\"pro\"", ALICE), VWO_ERR_CLOSED);
    CHECK_THROWS(client.flush_events(), VWO_ERR_CLOSED);
    CHECK_THROWS(client.update_settings(DEMO_SETTINGS), VWO_ERR_CLOSED);

    // A moved-from client: NULL handle.
    vwo::Client a(OFFLINE, quiet());
    vwo::Client b = std::move(a);
    CHECK(a.handle() == nullptr); // NOLINT(bugprone-use-after-move)
    CHECK_EQ(a.get_flag("new_checkout", ALICE).status(), VWO_ERR_NULL_ARGUMENT);
    m = CHECK_THROWS(a.track_event("purchase", ALICE), VWO_ERR_NULL_ARGUMENT);
    CHECK_EQ(m, std::string("client is NULL"));
    CHECK(b.get_flag("new_checkout", ALICE).is_enabled());
    a = std::move(b);
    CHECK(a.get_flag("new_checkout", ALICE).is_enabled());
}

// ---- callbacks -------------------------------------------------------------------------

struct Recorder {
    std::mutex lock;
    std::map<std::string, std::string> store;
    std::vector<std::string> writes, logs, payloads, errors;
    void log(vwo::LogLevel level, std::string_view m) {
        std::lock_guard<std::mutex> g(lock);
        logs.push_back(std::to_string(static_cast<int>(level)) + " " + std::string(m));
    }
    int logs_with(const std::string& part) {
        std::lock_guard<std::mutex> g(lock);
        int n = 0;
        for (auto& l : logs) n += contains(l, part);
        return n;
    }
};

static vwo::Callbacks recording(Recorder& r) {
    vwo::Callbacks cb;
    cb.storage_get = [&r](std::string_view key, std::string_view user) -> std::optional<std::string> {
        std::lock_guard<std::mutex> g(r.lock);
        auto it = r.store.find(std::string(key) + "/" + std::string(user));
        if (it == r.store.end()) return std::nullopt;
        return it->second;
    };
    cb.storage_set = [&r](std::string_view record) {
        std::lock_guard<std::mutex> g(r.lock);
        r.writes.emplace_back(record);
        // featureKey and userId are the first two members of every record.
        std::string rec(record);
        auto field = [&](const std::string& name) {
            auto at = rec.find("\"" + name + "\":\"") + name.size() + 4;
            return rec.substr(at, rec.find('"', at) - at);
        };
        r.store[field("featureKey") + "/" + field("userId")] = rec;
    };
    cb.log = [&r](vwo::LogLevel level, std::string_view m) { r.log(level, m); };
    cb.integrations = [&r](std::string_view p) {
        std::lock_guard<std::mutex> g(r.lock);
        r.payloads.emplace_back(p);
    };
    cb.on_callback_error = [&r](std::string_view which, std::string_view what) {
        std::lock_guard<std::mutex> g(r.lock);
        r.errors.push_back(std::string(which) + ": " + std::string(what));
    };
    return cb;
}

static void test_callbacks() {
    // Storage round trip, integrations payload, log lines at info.
    {
        Recorder r;
        vwo::Callbacks cb = recording(r);
        cb.log_level = vwo::LogLevel::Info;
        vwo::Client client(OFFLINE, cb);
        CHECK_EQ(r.logs_with("2 VWO client initialized"), 1);
        vwo::Flag first = client.get_flag("new_checkout", ALICE);
        CHECK_EQ(first.reason(), vwo::Reason::Evaluated);
        CHECK_EQ(r.writes.size(), 1u);
        CHECK_EQ(r.writes.at(0), std::string(RECORD_ALICE));
        CHECK_EQ(r.payloads.size(), 1u);
        CHECK(contains(r.payloads.at(0), R"("featureKey":"new_checkout","userId":"alice")"));
        vwo::Flag second = client.get_flag("new_checkout", ALICE);
        CHECK_EQ(second.reason(), vwo::Reason::StoredExperiment);
        CHECK_EQ(second.variables_json(), std::string(VARS_CONTROL));
        CHECK_EQ(client.callback_errors(), 0u);
        // A stored decision is served as is (variation 3, Two-page).
        r.store["new_checkout/carol"] =
            R"({"featureKey":"new_checkout","userId":"carol","rolloutId":101,"rolloutKey":"new_checkout_rolloutRule1",)"
            R"("rolloutVariationId":1,"experimentId":102,"experimentKey":"new_checkout_testingRule1","experimentVariationId":3})";
        CHECK_EQ(client.get_flag("new_checkout", R"({"id":"carol"})").get_string("title", ""),
                 std::string("Quick checkout"));
    }

    // Throwing callbacks: caught in the trampolines, reported, and the library goes on.
    {
        Recorder r;
        vwo::Callbacks cb = recording(r);
        cb.storage_get = [](std::string_view, std::string_view) -> std::optional<std::string> {
            throw std::runtime_error("disk on fire");
        };
        cb.storage_set = [](std::string_view) { throw std::runtime_error("disk full"); };
        cb.integrations = [](std::string_view) { throw std::logic_error("integration down"); };
        vwo::Client client(OFFLINE, cb);
        vwo::Flag f = client.get_flag("new_checkout", ALICE);
        CHECK(f.is_enabled());
        CHECK_EQ(f.reason(), vwo::Reason::Evaluated);
        CHECK_EQ(f.variables_json(), std::string(VARS_CONTROL));
        CHECK_EQ(client.callback_errors(), 3u);
        CHECK_EQ(r.errors.size(), 3u);
        CHECK_EQ(r.errors.at(0), std::string("storage_get: disk on fire"));
        CHECK_EQ(r.errors.at(1), std::string("storage_set: disk full"));
        CHECK_EQ(r.errors.at(2), std::string("integrations: integration down"));
        CHECK_EQ(r.logs_with("Error reading data from storage. Error:the storage_get callback threw"), 1);
        CHECK_EQ(r.logs_with("Error storing data into storage. Error: storage_set returned 1"), 1);
    }

    // A log callback throwing a non-std exception, an error handler that throws too.
    {
        std::atomic<int> handler_calls{0};
        vwo::Callbacks cb;
        cb.log = [](vwo::LogLevel, std::string_view) { throw 42; };
        cb.on_callback_error = [&](std::string_view which, std::string_view what) {
            if (which == "log" && what == "unknown exception") ++handler_calls;
            throw std::runtime_error("handler failed");
        };
        cb.log_level = vwo::LogLevel::Info;
        vwo::Client client(OFFLINE, cb);
        CHECK(client.get_flag("new_checkout", ALICE).is_enabled());
        CHECK(handler_calls.load() >= 2);
        CHECK_EQ(client.callback_errors(), static_cast<std::uint64_t>(handler_calls.load()));
    }

    // No error handler: one line on std::cerr.
    {
        std::ostringstream captured;
        std::streambuf* old = std::cerr.rdbuf(captured.rdbuf());
        {
            vwo::Callbacks cb = quiet();
            cb.integrations = [](std::string_view) { throw std::runtime_error("boom"); };
            vwo::Client client(OFFLINE, cb);
            client.get_flag("new_checkout", ALICE);
        }
        std::cerr.rdbuf(old);
        CHECK_EQ(captured.str(), std::string("vwo: the integrations callback threw: boom\n"));
    }

    // Re-entrant callbacks: the integrations callback decides another flag and derives a UUID.
    {
        vwo::Client* self = nullptr;
        std::string nested_theme, nested_uuid;
        int depth = 0;
        vwo::Callbacks cb = quiet();
        cb.integrations = [&](std::string_view) {
            if (depth++ == 0 && self) {
                nested_theme = self->get_flag("dark_mode", ALICE).get_string("theme", "light");
                nested_uuid = vwo::get_uuid("alice", "123456");
            }
            --depth;
        };
        vwo::Client client(OFFLINE, cb);
        self = &client;
        CHECK(client.get_flag("new_checkout", ALICE).is_enabled());
        CHECK_EQ(nested_theme, std::string("dark"));
        CHECK_EQ(nested_uuid, std::string(UUID_ALICE));
    }

    // The callbacks (and what they captured) are released with the client, and on a failed
    // construction, whichever way it fails.
    {
        auto token = std::make_shared<int>(7);
        auto holding = [&token] {
            vwo::Callbacks cb = quiet();
            cb.integrations = [token](std::string_view) {};
            return cb;
        };
        {
            vwo::Client client(OFFLINE, holding());
            CHECK_EQ(token.use_count(), 2);
            client.close();
            CHECK_EQ(token.use_count(), 2); // still held until the client goes
        }
        CHECK_EQ(token.use_count(), 1);
        CHECK_THROWS(vwo::Client("{", holding()), VWO_ERR_INVALID_JSON);
        CHECK_EQ(token.use_count(), 1);
        CHECK_THROWS(vwo::Client(R"({"sdk_key":"x"})", holding()), VWO_ERR_INIT);
        CHECK_EQ(token.use_count(), 1);
    }
}

// ---- threads and the flush callback ---------------------------------------------------

static void test_threads() {
    vwo::Client client(OFFLINE, quiet());
    vwo::Context bob(BOB);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                if (client.get_flag("new_checkout", bob).get_int("discount_percent", -1) != 10) ++wrong;
                if (client.get_flag("new_checkout", ALICE).get_string("title", "") != "Checkout") ++wrong;
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK_EQ(wrong.load(), 0);
}

static void test_flush_callback() {
    const char* url = std::getenv("VWO_MOCK_URL");
    if (!url) {
        std::printf("  flush callback: SKIPPED (run under tests/c/with_mock_server.sh)\n");
        return;
    }
    std::mutex lock;
    int impressions = 0, on_main = 0, calls = 0;
    const std::thread::id main_thread = std::this_thread::get_id();
    vwo::Callbacks cb = quiet();
    std::vector<std::string> reported;
    cb.flush = [&](std::optional<std::string_view> error, std::string_view events) {
        std::lock_guard<std::mutex> g(lock);
        ++calls;
        if (std::this_thread::get_id() == main_thread) ++on_main;
        if (!error) {
            for (std::size_t at = 0; (at = events.find("\"name\":\"vwo_variationShown\"", at)) != std::string_view::npos; ++at)
                ++impressions;
        }
        if (calls == 1) throw std::runtime_error("first batch callback throws");
    };
    cb.on_callback_error = [&](std::string_view which, std::string_view what) {
        std::lock_guard<std::mutex> g(lock);
        reported.push_back(std::string(which) + ": " + std::string(what));
    };
    vwo::Client client(std::string(R"({"sdk_key":"demo0000000000000000000000000000","account_id":123456,)") +
                           R"("proxy_url":")" + url + R"(","batch_event_data":{"events_per_request":4,"request_time_interval":60}})",
                       cb);
    for (int i = 0; i < 10; ++i) {
        CHECK(client.get_flag("new_checkout", R"({"id":"cpp-)" + std::to_string(i) + "\"}").is_enabled());
    }
    CHECK(client.flush_events(std::chrono::seconds(20)));
    CHECK(client.close());
    std::lock_guard<std::mutex> g(lock);
    CHECK_EQ(impressions, 20);
    CHECK_EQ(on_main, 0);
    CHECK(calls >= 5);
    CHECK_EQ(reported.size(), 1u);
    CHECK_EQ(reported.at(0), std::string("flush: first batch callback throws"));
}

int main() {
    test_versions_and_errors();
    test_decisions();
    test_events_settings_close();
    test_callbacks();
    test_threads();
    test_flush_callback();
    std::printf("test-cpp: %d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
