/* vwo_fme.h compiled as C on its own (make test-cpp: -std=c99 and -std=c11, -Wall -Wextra
 * -Werror -pedantic): it must be self-contained and warning-free. */
#include "vwo_fme.h"

int vwo_header_only_c(void);
int vwo_header_only_c(void) {
    vwo_callbacks cb = {0};
    cb.struct_size = (uint32_t)sizeof cb;
    return (int)cb.struct_size + VWO_OK;
}
