// quickstart.cpp - vwo-fme from C++17: decide feature flags offline, read variables, track an
// event, with the header-only RAII wrapper (bindings/cpp/vwo_fme.hpp, installed as
// <vwo_fme.hpp>).
//
//   c++ -std=c++17 examples/quickstart.cpp $(pkg-config --cflags --libs vwo_fme)
//   ./a.out [path/to/settings.json]             # run from the repository root
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>

#include "vwo_fme.hpp"

int main(int argc, char** argv) try {
    const std::string path = argc > 1 ? argv[1] : "examples/settings.json";
    std::ifstream file(path);
    std::stringstream settings;
    settings << file.rdbuf();
    if (!file) throw std::runtime_error("cannot read " + path);

    // 1. A client. Options use the official SDKs' keys; with "settings" and "offline" it never
    //    touches the network. Callbacks are optional std::functions; here: integrations.
    vwo::Callbacks callbacks;
    int decisions = 0;
    callbacks.integrations = [&decisions](std::string_view) { ++decisions; };
    vwo::Client client(R"({"sdk_key": "demo0000000000000000000000000000", "account_id": 123456,)"
                       R"( "offline": true, "settings": )" + settings.str() + "}",
                       std::move(callbacks));
    std::cout << "vwo-fme " << vwo::version() << ", offline on " << path << "\n\n";

    // 2. One flag for a few users, with typed variables and defaults. get_flag never throws
    //    for evaluation problems: it returns a disabled flag (flag.status() says why).
    const std::pair<const char*, const char*> users[] = {
        {"alice", R"({"id": "alice", "custom_variables": {"country": "US", "plan": "free"}})"},
        {"bob", R"({"id": "bob", "custom_variables": {"country": "DE", "plan": "Premium"}})"},
        {"carol", R"({"id": "carol", "custom_variables": {"country": "IN"}})"},
    };
    for (const auto& [name, context] : users) {
        vwo::Flag flag = client.get_flag("new_checkout", context);
        std::cout << std::left << std::setw(7) << name << "new_checkout " << (flag.is_enabled() ? "on " : "off")
                  << "  title=\"" << flag.get_string("title", "Checkout") << "\""
                  << " discount=" << flag.get_int("discount_percent", 0) << "%"
                  << " scale=" << flag.get_double("button_scale", 1.0)
                  << " banner=" << (flag.get_bool("show_banner", false) ? "yes" : "no") << "\n";
    }

    // 3. Parse a context once, decide several flags with it; all variables as JSON.
    vwo::Context bob(R"({"id": "bob", "custom_variables": {"country": "US", "beta": true, "app_version": "4.3.0"}})");
    std::cout << "\nbob in the US, beta tester, app 4.3.0:\n";
    for (const char* feature : {"dark_mode", "search_ranking", "homepage_hero"}) {
        vwo::Flag flag = client.get_flag(feature, bob);
        std::cout << "  " << std::setw(16) << feature << (flag.is_enabled() ? "on  " : "off ")
                  << flag.variables_json() << "\n";
    }

    // 4. Track a conversion (true: one of the settings' metrics). Errors throw vwo::Error.
    bool tracked = client.track_event("purchase", users[0].second, R"({"revenue": 49.9})");
    std::cout << "\npurchase by alice tracked: " << (tracked ? "yes" : "no")
              << "; integrations callback calls: " << decisions << "\n";
    return 0;  // the destructors close the client and free the handles
} catch (const vwo::Error& e) {
    std::cerr << "vwo error " << e.status_name() << ": " << e.message() << "\n";
    return 1;
} catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
}
