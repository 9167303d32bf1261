/* Built against an installed xoxe through pkg-config: the header, the library
 * and the .pc file agree. */
#include <xoxe.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    xoxe_client *c = NULL;
    xoxe_error *e = NULL;
    char buf[64];
    if (xoxe_abi_version() != XOXE_ABI_VERSION) {
        fprintf(stderr, "ABI mismatch: library %u, header %d\n", (unsigned)xoxe_abi_version(), XOXE_ABI_VERSION);
        return 1;
    }
    if (xoxe_client_new(NULL, &c, &e) != XOXE_STATUS_OK) {
        fprintf(stderr, "xoxe_client_new: %s\n", xoxe_error_get_info(e)->message);
        xoxe_error_free(e);
        return 1;
    }
    if (strcmp(xoxe_client_base_url(c), "https://slack.com/api/") != 0) return 1;
    xoxe_client_free(c);
    xoxe_redact("xoxe-1-0000000000000000000000000000000000000000", buf, sizeof buf);
    printf("installed xoxe %s (ABI %u) works: %s\n", xoxe_version(), (unsigned)xoxe_abi_version(), buf);
    return 0;
}
