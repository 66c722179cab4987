// vwo_fme.h compiled as C++ on its own (make test-cpp: -std=c++11/17/20 -Wall -Wextra -Werror
// -pedantic): the header must be valid, warning-free C++ with C linkage for the functions.
#include "vwo_fme.h"

#include <type_traits>

static_assert(std::is_same<vwo_status, int32_t>::value, "vwo_status is int32_t");
static_assert(std::is_same<decltype(&vwo_get_flag),
                           vwo_status (*)(vwo_client*, const char*, const char*, vwo_flag**)>::value,
              "vwo_get_flag's signature");

int vwo_header_only_cpp() { return VWO_OK + VWO_ABI_MAJOR; }
