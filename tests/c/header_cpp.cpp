// The header compiled as C++ (-pedantic -Werror) and linked against the
// library: extern "C" names resolve, enums have the right values and types.
#include "xoxe.h"
#include <cstdio>
#include <cstring>

static_assert(XOXE_STATUS_OK == 0, "OK is 0");
static_assert(sizeof(xoxe_status) == sizeof(uint32_t), "xoxe_status is 32 bits");
static_assert(sizeof(xoxe_status_family) == sizeof(uint32_t), "xoxe_status_family is 32 bits");

int main() {
    xoxe_client_options *o = nullptr;
    xoxe_client *c = nullptr;
    xoxe_error *e = nullptr;
    if (xoxe_abi_version() != XOXE_ABI_VERSION) return 1;
    if (xoxe_client_options_new(&o, &e) != XOXE_STATUS_OK) return 2;
    if (xoxe_client_options_set_preset(o, XOXE_PRESET_GOV_SLACK, &e) != XOXE_STATUS_OK) return 3;
    if (xoxe_client_new(o, &c, &e) != XOXE_STATUS_OK) return 4;
    if (std::strcmp(xoxe_client_base_url(c), "https://slack-gov.com/api/") != 0) return 5;
    xoxe_status st = xoxe_client_options_set_timeouts(o, 0, 0, &e);
    const xoxe_error_info *info = xoxe_error_get_info(e);
    if (st != XOXE_STATUS_INVALID_ARGUMENT || info == nullptr || info->status != st) return 6;
    if (xoxe_status_family_of(info->status) != XOXE_STATUS_FAMILY_USAGE) return 7;
    xoxe_error_free(e);
    xoxe_client_free(c);
    xoxe_client_options_free(o);
    std::printf("C++: header compiles and links (xoxe %s, %s)\n", xoxe_version(),
                xoxe_status_name(XOXE_STATUS_OUTCOME_UNKNOWN));
    return 0;
}
