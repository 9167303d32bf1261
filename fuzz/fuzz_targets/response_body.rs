//! A response body as Slack (or a proxy, or a broken network) might send it:
//! decoded every way xoxe decodes one. Errors must never quote the body.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    xoxe::fuzzing::response_body(body);
});
