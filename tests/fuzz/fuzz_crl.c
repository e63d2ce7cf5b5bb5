/* libFuzzer target: the input as the contents of a --crl file (PEM, several CRLs, or DER),
 * then looked up. Invariants: a rejected file leaves nothing; an accepted one holds a CRL. */
#include "verify/verify.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct verify_crls *c = NULL;
    hc_result r = verify_crls_parse(data, size, &c);
    if (hc_ok(r) != (c != NULL) || (c && verify_crls_count(c) == 0))
        abort();
    (void)verify_crls_lookup(c, "CN=Test CA", "1000");
    verify_crls_free(c);
    return 0;
}
