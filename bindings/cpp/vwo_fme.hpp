// vwo_fme.hpp - header-only C++17 wrapper over the vwo-fme C ABI (vwo_fme.h).
//
//   vwo::Client client(R"({"sdk_key": "...", "account_id": 123456})");
//   vwo::Flag flag = client.get_flag("new_checkout", R"({"id": "alice"})");
//   if (flag.is_enabled()) show(flag.get_string("title", "Checkout"));
//   client.track_event("purchase", R"({"id": "alice"})", R"({"revenue": 12.5})");
//
// Conventions
// * RAII, move-only handles: vwo::Client, vwo::Flag, vwo::Context free their C handle.
// * Strings: std::string_view in (copied into a NUL-terminated buffer for the call; a view
//   holding a NUL byte is refused), std::string out. JSON stays JSON text: contexts,
//   options, properties and variables are passed and returned as JSON strings.
// * Errors: a failed call throws vwo::Error, carrying the C status (VWO_ERR_*) and the
//   library's message. Two deliberate exceptions, as in the C ABI and the official SDKs:
//   - Client::get_flag never throws for evaluation problems (bad context, closed client, no
//     settings...): it returns a disabled Flag; Flag::status() and Flag::error() say why.
//   - The typed getters (get_bool, get_int, get_double, get_string) never throw: a missing
//     variable or one of another type gives the default, like the SDKs' get_variable.
//   std::bad_alloc may still escape from any function that builds a std::string.
// * Callbacks are std::function members of vwo::Callbacks; each runs on the thread the C
//   header documents (storage/integrations: the calling thread; log: any thread; flush: an
//   event worker thread). They may call back into the client. An exception thrown by a
//   callback is caught before it reaches the library (it must never unwind through C): it
//   is passed to Callbacks::on_callback_error (default: one line on std::cerr), and a
//   throwing storage_get / storage_set counts as a failed read / write (the library logs it
//   and goes on as documented).
// * Thread safety: as the C ABI. A Client may be used by any number of threads; a Flag and a
//   Context are immutable. Moving or destroying a handle while another thread uses it is
//   not allowed.
//
// Licence: Apache-2.0.
#ifndef VWO_FME_HPP
#define VWO_FME_HPP

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "vwo_fme.h"

static_assert(VWO_ABI_MAJOR == 1, "vwo_fme.hpp is written for the vwo-fme C ABI 1.x");

namespace vwo {

/// A failed call: the C status (`VWO_ERR_*`) and the library's message.
class Error : public std::runtime_error {
public:
    Error(vwo_status status, std::string message)
        : std::runtime_error(std::string(vwo_status_name(status)) + ": " + message),
          status_(status),
          message_(std::move(message)) {}

    /// The C status, e.g. `VWO_ERR_INVALID_JSON`.
    vwo_status status() const noexcept { return status_; }
    /// Its name, e.g. `"VWO_ERR_INVALID_JSON"`.
    const char* status_name() const noexcept { return vwo_status_name(status_); }
    /// The library's message (vwo_last_error_message at the time of the failure).
    const std::string& message() const noexcept { return message_; }

private:
    vwo_status status_;
    std::string message_;
};

/// Log levels of the log callback.
enum class LogLevel : int32_t { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4 };

/// How a decision was reached.
enum class Reason : int32_t {
    Evaluated = VWO_REASON_EVALUATED,
    StoredExperiment = VWO_REASON_STORED_EXPERIMENT,
    StoredHoldout = VWO_REASON_STORED_HOLDOUT,
    Holdout = VWO_REASON_HOLDOUT,
    FeatureNotFound = VWO_REASON_FEATURE_NOT_FOUND,
    Error = VWO_REASON_ERROR,
};

/// The library's version, e.g. "0.1.0".
inline std::string_view version() noexcept { return vwo_version(); }

/// The C ABI version of the loaded library, `(major << 16) | minor`.
inline std::uint32_t abi_version() noexcept { return vwo_abi_version(); }

/// Throws when the loaded library's ABI major differs from the header's.
inline void check_abi() {
    if ((vwo_abi_version() >> 16) != static_cast<std::uint32_t>(VWO_ABI_MAJOR)) {
        throw Error(VWO_ERR_INIT, "the vwo-fme library has C ABI " +
                                      std::to_string(vwo_abi_version() >> 16) +
                                      ".x; this vwo_fme.hpp needs " +
                                      std::to_string(VWO_ABI_MAJOR) + ".x");
    }
}

/// Host callbacks; leave a member empty to not receive it.
struct Callbacks {
    /// Storage read: the record stored for (`key`, `user_id`) as JSON object text, or
    /// std::nullopt when there is none. Throw to report a failed read.
    std::function<std::optional<std::string>(std::string_view key, std::string_view user_id)>
        storage_get;
    /// Storage write of a record (a JSON object with featureKey, userId and the decision).
    /// Throw to report a failed write.
    std::function<void(std::string_view record_json)> storage_set;
    /// A log line (raw text, the SDK key masked).
    std::function<void(LogLevel level, std::string_view message)> log;
    /// Minimum level passed to `log`; std::nullopt: the options' logger level.
    std::optional<LogLevel> log_level;
    /// The integrations payload (JSON object) of each decision and tracked event.
    std::function<void(std::string_view properties_json)> integrations;
    /// A batch outcome: `error` std::nullopt when delivered; the events as a JSON array.
    std::function<void(std::optional<std::string_view> error, std::string_view events_json)> flush;
    /// Called with the callback's name ("storage_get", ...) and the exception's message when
    /// one of the callbacks above throws. Empty: the message goes to std::cerr.
    std::function<void(std::string_view callback, std::string_view what)> on_callback_error;
};

namespace detail {

/// A NUL-terminated copy of a view, or a note that the view holds a NUL byte.
class CStr {
public:
    explicit CStr(std::string_view v) : s_(v), ok_(v.find('\0') == std::string_view::npos) {}
    bool ok() const noexcept { return ok_; }
    const char* c_str() const noexcept { return s_.c_str(); }

private:
    std::string s_;
    bool ok_;
};

/// A NUL-terminated copy for a call that reports errors by throwing.
inline CStr arg(std::string_view v, const char* what) {
    CStr c(v);
    if (!c.ok()) throw Error(VWO_ERR_INVALID_ARGUMENT, std::string(what) + " contains a NUL byte");
    return c;
}

[[noreturn]] inline void raise(vwo_status status) { throw Error(status, vwo_last_error_message()); }

inline void check(vwo_status status) {
    if (status != VWO_OK) raise(status);
}

/// Takes ownership of a library string.
inline std::string take(char* s) {
    if (!s) return std::string();
    struct Free {
        void operator()(char* p) const noexcept { vwo_string_free(p); }
    };
    std::unique_ptr<char, Free> owner(s);
    return std::string(s);
}

/// The callbacks and bookkeeping the library holds as `user_data`; freed by the library
/// (free_user_data: vwo_hpp_free) once no callback can run any more.
struct Host {
    explicit Host(Callbacks c) : cb(std::move(c)) {}
    Callbacks cb;
    std::atomic<std::uint64_t> errors{0};
    bool* released = nullptr; // set while vwo_client_new runs (see Client::Client)

    void report(const char* callback, const char* what) noexcept {
        errors.fetch_add(1, std::memory_order_relaxed);
        try {
            if (cb.on_callback_error) {
                cb.on_callback_error(callback, what);
            } else {
                std::cerr << "vwo: the " << callback << " callback threw: " << what << '\n';
            }
        } catch (...) {
            // A throwing error handler is ignored: nothing may unwind into the library.
        }
    }

    /// Runs `f`, reporting anything it throws; returns whether it returned normally.
    template <class F>
    bool guard(const char* callback, F&& f) noexcept {
        try {
            f();
            return true;
        } catch (const std::exception& e) {
            report(callback, e.what());
        } catch (...) {
            report(callback, "unknown exception");
        }
        return false;
    }
};

// Trampolines from the C callbacks to the std::function members. C language linkage (the
// type the C header declares) and internal linkage (no symbol leaves the translation unit).
extern "C" {
static void vwo_hpp_free(void* user_data) {
    Host* h = static_cast<Host*>(user_data);
    if (h->released) *h->released = true;
    delete h;
}

static int32_t vwo_hpp_storage_get(void* user_data, const char* key, const char* user_id,
                                   vwo_storage_result* result) {
    Host* h = static_cast<Host*>(user_data);
    int32_t rc = 0;
    bool ok = h->guard("storage_get", [&] {
        std::optional<std::string> record = h->cb.storage_get(key, user_id);
        if (record && vwo_storage_result_set_json(result, record->data(), record->size()) != VWO_OK) {
            rc = 1;
        }
    });
    if (!ok) {
        vwo_storage_result_set_error(result, "the storage_get callback threw");
        return 1;
    }
    return rc;
}

static int32_t vwo_hpp_storage_set(void* user_data, const char* record_json) {
    Host* h = static_cast<Host*>(user_data);
    return h->guard("storage_set", [&] { h->cb.storage_set(record_json); }) ? 0 : 1;
}

static void vwo_hpp_log(void* user_data, int32_t level, const char* message) {
    Host* h = static_cast<Host*>(user_data);
    h->guard("log", [&] { h->cb.log(static_cast<LogLevel>(level), message); });
}

static void vwo_hpp_integrations(void* user_data, const char* properties_json) {
    Host* h = static_cast<Host*>(user_data);
    h->guard("integrations", [&] { h->cb.integrations(properties_json); });
}

static void vwo_hpp_flush(void* user_data, const char* error, const char* events_json) {
    Host* h = static_cast<Host*>(user_data);
    h->guard("flush", [&] {
        std::optional<std::string_view> e;
        if (error) e = std::string_view(error);
        h->cb.flush(e, events_json);
    });
}
} // extern "C"

} // namespace detail

/// A parsed user context (JSON with `id` and optionally `custom_variables`, `user_agent`,
/// `ip_address`, ...), reusable for any number of decisions on any thread.
class Context {
public:
    /// Parses `context_json`; throws vwo::Error (VWO_ERR_INVALID_JSON, ...).
    explicit Context(std::string_view context_json) {
        detail::CStr c = detail::arg(context_json, "context_json");
        detail::check(vwo_context_new(c.c_str(), &h_));
    }
    ~Context() { vwo_context_free(h_); }
    Context(Context&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    Context& operator=(Context&& o) noexcept {
        if (this != &o) {
            vwo_context_free(h_);
            h_ = std::exchange(o.h_, nullptr);
        }
        return *this;
    }
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    /// The C handle (NULL after a move).
    const vwo_context* handle() const noexcept { return h_; }

private:
    vwo_context* h_ = nullptr;
};

/// A flag decision: enabled or not, and its variables. Immutable; outlives its client.
class Flag {
public:
    /// A disabled flag with no variables.
    Flag() noexcept = default;
    ~Flag() { vwo_flag_free(h_); }
    Flag(Flag&& o) noexcept
        : h_(std::exchange(o.h_, nullptr)), status_(std::exchange(o.status_, VWO_OK)),
          error_(std::move(o.error_)) {}
    Flag& operator=(Flag&& o) noexcept {
        if (this != &o) {
            vwo_flag_free(h_);
            h_ = std::exchange(o.h_, nullptr);
            status_ = std::exchange(o.status_, VWO_OK);
            error_ = std::move(o.error_);
        }
        return *this;
    }
    Flag(const Flag&) = delete;
    Flag& operator=(const Flag&) = delete;

    bool is_enabled() const noexcept { return vwo_flag_is_enabled(h_) != 0; }
    /// How the decision was reached (Reason::Error for an empty flag).
    Reason reason() const noexcept { return static_cast<Reason>(vwo_flag_reason(h_)); }
    /// The status vwo_get_flag returned (VWO_OK, or why the flag is disabled).
    vwo_status status() const noexcept { return status_; }
    /// The message that came with a non-OK status ("" otherwise).
    const std::string& error() const noexcept { return error_; }
    /// The visitor UUID of the decision, when one was derived.
    std::optional<std::string> uuid() const {
        const char* u = vwo_flag_uuid(h_);
        if (!u) return std::nullopt;
        return std::string(u);
    }
    /// The session id (unix seconds); 0 for an empty flag.
    std::int64_t session_id() const noexcept { return vwo_flag_session_id(h_); }

    /// A boolean variable, else `default_value`.
    bool get_bool(std::string_view key, bool default_value) const {
        detail::CStr k(key);
        int32_t out = default_value ? 1 : 0;
        if (!k.ok()) return default_value;
        vwo_flag_get_bool(h_, k.c_str(), out, &out);
        return out != 0;
    }
    /// An integer variable (a number with no fraction), else `default_value`.
    std::int64_t get_int(std::string_view key, std::int64_t default_value) const {
        detail::CStr k(key);
        int64_t out = default_value;
        if (!k.ok()) return default_value;
        vwo_flag_get_int(h_, k.c_str(), default_value, &out);
        return out;
    }
    /// A number variable, else `default_value`.
    double get_double(std::string_view key, double default_value) const {
        detail::CStr k(key);
        double out = default_value;
        if (!k.ok()) return default_value;
        vwo_flag_get_double(h_, k.c_str(), default_value, &out);
        return out;
    }
    /// A string variable, else `default_value`.
    std::string get_string(std::string_view key, std::string_view default_value) const {
        detail::CStr k(key);
        char* out = nullptr;
        if (k.ok() && vwo_flag_get_string(h_, k.c_str(), nullptr, &out) == VWO_OK) {
            return detail::take(out);
        }
        detail::take(out);
        return std::string(default_value);
    }
    /// The raw value of a variable as JSON text (objects for `json` variables).
    std::optional<std::string> variable_json(std::string_view key) const {
        detail::CStr k(key);
        char* out = nullptr;
        if (k.ok() && vwo_flag_variable_json(h_, k.c_str(), &out) == VWO_OK) {
            return detail::take(out);
        }
        detail::take(out);
        return std::nullopt;
    }
    /// All variables as a JSON array of {"id", "value", "type", "key"} ("[]" for none).
    std::string variables_json() const {
        char* out = nullptr;
        if (vwo_flag_variables_json(h_, &out) != VWO_OK) {
            detail::take(out);
            return "[]";
        }
        return detail::take(out);
    }

    /// The C handle (NULL for an empty flag).
    const vwo_flag* handle() const noexcept { return h_; }

private:
    friend class Client;
    Flag(vwo_flag* h, vwo_status status, std::string error) noexcept
        : h_(h), status_(status), error_(std::move(error)) {}

    vwo_flag* h_ = nullptr;
    vwo_status status_ = VWO_OK;
    std::string error_;
};

/// A VWO FME client. Thread-safe; move-only. Destroying it closes it (pending events are
/// delivered within the shutdown timeout) and releases the callbacks.
class Client {
public:
    /// Creates a client from options JSON (the official SDKs' keys, e.g. sdk_key,
    /// account_id, settings, offline, proxy_url, ...) and callbacks. Blocks while it fetches
    /// the settings, unless the options carry them. Throws vwo::Error (VWO_ERR_INIT,
    /// VWO_ERR_INVALID_JSON, ...) and when the library's ABI major differs.
    explicit Client(std::string_view options_json, Callbacks callbacks = {}) {
        check_abi();
        detail::CStr opts = detail::arg(options_json, "options_json");
        auto host = std::make_unique<detail::Host>(std::move(callbacks));
        const Callbacks& cb = host->cb;
        vwo_callbacks c;
        std::memset(&c, 0, sizeof c);
        c.struct_size = sizeof c;
        c.user_data = host.get();
        c.free_user_data = &detail::vwo_hpp_free;
        if (cb.storage_get) c.storage_get = &detail::vwo_hpp_storage_get;
        if (cb.storage_set) c.storage_set = &detail::vwo_hpp_storage_set;
        if (cb.log) c.log = &detail::vwo_hpp_log;
        c.log_level = cb.log_level ? static_cast<int32_t>(*cb.log_level) : -1;
        if (cb.integrations) c.integrations = &detail::vwo_hpp_integrations;
        if (cb.flush) c.flush = &detail::vwo_hpp_flush;
        // Whether the library released user_data on a failed creation differs between
        // failures (it does after VWO_ERR_INIT, not after an argument error): track it.
        bool released = false;
        host->released = &released;
        vwo_status status = vwo_client_new(opts.c_str(), &c, &h_);
        if (status != VWO_OK) {
            std::string message = vwo_last_error_message();
            if (released) (void)host.release(); // already deleted by the library
            throw Error(status, std::move(message));
        }
        host->released = nullptr;
        host_ = host.release(); // the library owns it now (host_free)
    }
    ~Client() { vwo_client_free(h_); }
    Client(Client&& o) noexcept
        : h_(std::exchange(o.h_, nullptr)), host_(std::exchange(o.host_, nullptr)) {}
    Client& operator=(Client&& o) noexcept {
        if (this != &o) {
            vwo_client_free(h_);
            h_ = std::exchange(o.h_, nullptr);
            host_ = std::exchange(o.host_, nullptr);
        }
        return *this;
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Decides `feature_key` for the user in `context_json`. Never throws for evaluation
    /// problems: they give a disabled Flag whose status() and error() say why. A missing
    /// feature is a disabled flag with status VWO_OK and Reason::FeatureNotFound.
    Flag get_flag(std::string_view feature_key, std::string_view context_json) const {
        detail::CStr k(feature_key), c(context_json);
        if (!k.ok() || !c.ok()) return nul_byte_flag();
        vwo_flag* f = nullptr;
        vwo_status s = vwo_get_flag(h_, k.c_str(), c.c_str(), &f);
        return Flag(f, s, s == VWO_OK ? std::string() : vwo_last_error_message());
    }
    /// get_flag with a parsed context.
    Flag get_flag(std::string_view feature_key, const Context& context) const {
        detail::CStr k(feature_key);
        if (!k.ok()) return nul_byte_flag();
        vwo_flag* f = nullptr;
        vwo_status s = vwo_get_flag_ctx(h_, k.c_str(), context.handle(), &f);
        return Flag(f, s, s == VWO_OK ? std::string() : vwo_last_error_message());
    }

    /// Tracks an event; true when it is one of the settings' metrics and was queued.
    /// `properties_json`: a JSON object, or std::nullopt.
    bool track_event(std::string_view event_name, std::string_view context_json,
                     std::optional<std::string_view> properties_json = std::nullopt) const {
        detail::CStr e = detail::arg(event_name, "event_name");
        detail::CStr c = detail::arg(context_json, "context_json");
        std::optional<detail::CStr> p;
        if (properties_json) p.emplace(detail::arg(*properties_json, "properties_json"));
        int32_t tracked = 0;
        detail::check(vwo_track_event(h_, e.c_str(), c.c_str(), p ? p->c_str() : nullptr, &tracked));
        return tracked != 0;
    }
    bool track_event(std::string_view event_name, const Context& context,
                     std::optional<std::string_view> properties_json = std::nullopt) const {
        detail::CStr e = detail::arg(event_name, "event_name");
        std::optional<detail::CStr> p;
        if (properties_json) p.emplace(detail::arg(*properties_json, "properties_json"));
        int32_t tracked = 0;
        detail::check(
            vwo_track_event_ctx(h_, e.c_str(), context.handle(), p ? p->c_str() : nullptr, &tracked));
        return tracked != 0;
    }

    /// Sets one attribute; `value_json` is a JSON string, number or boolean ("\"pro\"", "3").
    void set_attribute(std::string_view key, std::string_view value_json,
                       std::string_view context_json) const {
        detail::CStr k = detail::arg(key, "key"), v = detail::arg(value_json, "value_json"),
                     c = detail::arg(context_json, "context_json");
        detail::check(vwo_set_attribute(h_, k.c_str(), v.c_str(), c.c_str()));
    }
    /// Sets several attributes from a JSON object.
    void set_attributes(std::string_view attributes_json, std::string_view context_json) const {
        detail::CStr a = detail::arg(attributes_json, "attributes_json"),
                     c = detail::arg(context_json, "context_json");
        detail::check(vwo_set_attributes(h_, a.c_str(), c.c_str()));
    }
    void set_attributes(std::string_view attributes_json, const Context& context) const {
        detail::CStr a = detail::arg(attributes_json, "attributes_json");
        detail::check(vwo_set_attributes_ctx(h_, a.c_str(), context.handle()));
    }

    /// Sends queued events and waits up to `timeout`; true when all were delivered.
    bool flush_events(std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
        long long ms = timeout.count();
        if (ms < 0) ms = 0;
        if (ms > 0xFFFFFFFFLL) ms = 0xFFFFFFFFLL;
        int32_t delivered = 0;
        detail::check(vwo_flush_events(h_, static_cast<uint32_t>(ms), &delivered));
        return delivered != 0;
    }

    /// Installs new settings (validated first; on failure the current ones stay).
    void update_settings(std::string_view settings_json) const {
        detail::CStr s = detail::arg(settings_json, "settings_json");
        detail::check(vwo_update_settings(h_, s.c_str(), 0));
    }
    /// Fetches the settings from VWO again (the webhook endpoint when `via_webhook`).
    void fetch_settings(bool via_webhook = false) const {
        detail::check(vwo_update_settings(h_, nullptr, via_webhook ? 1 : 0));
    }

    /// Links `alias_id` to `user_id` on the gateway; true when the gateway confirmed it.
    bool set_alias(std::string_view user_id, std::string_view alias_id) const {
        detail::CStr u = detail::arg(user_id, "user_id"), a = detail::arg(alias_id, "alias_id");
        int32_t ok = 0;
        detail::check(vwo_set_alias(h_, u.c_str(), a.c_str(), &ok));
        return ok != 0;
    }

    /// Closes the client (idempotent): stops polling, delivers pending events within the
    /// shutdown timeout, joins the library's threads. Returns whether everything pending was
    /// delivered. Later calls throw VWO_ERR_CLOSED (get_flag: a disabled flag).
    bool close() {
        int32_t all = 0;
        detail::check(vwo_client_close(h_, &all));
        return all != 0;
    }

    /// How many times a callback threw (each one was reported to on_callback_error).
    std::uint64_t callback_errors() const noexcept {
        return host_ ? host_->errors.load(std::memory_order_relaxed) : 0;
    }

    /// The C handle (NULL after a move).
    vwo_client* handle() const noexcept { return h_; }

private:
    static Flag nul_byte_flag() {
        return Flag(nullptr, VWO_ERR_INVALID_ARGUMENT, "an argument contains a NUL byte");
    }

    vwo_client* h_ = nullptr;
    detail::Host* host_ = nullptr; // owned by the library until vwo_client_free
};

/// The VWO visitor UUID of `user_id` in `account_id` (32 upper-case hex digits).
inline std::string get_uuid(std::string_view user_id, std::string_view account_id) {
    detail::CStr u = detail::arg(user_id, "user_id"), a = detail::arg(account_id, "account_id");
    char* out = nullptr;
    detail::check(vwo_get_uuid(u.c_str(), a.c_str(), &out));
    return detail::take(out);
}

} // namespace vwo

#endif // VWO_FME_HPP
