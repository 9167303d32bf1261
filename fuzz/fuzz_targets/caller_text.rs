//! Text a caller hands xoxe: base URLs, tokens to redact, log lines to scrub.
//! Invalid UTF-8 is decoded lossily, so U+FFFD and multi-byte boundaries are
//! exercised too (the C ABI rejects invalid UTF-8 before it gets this far).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(&data);
    xoxe::fuzzing::caller_text(&text);
});
