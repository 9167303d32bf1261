//! `xoxe-history-check [FILE…]`: checks xoxe's promise over history documents
//! (`{"events": […]}`, as the fake Slack's `GET /_control/history` serves and the
//! tests write), merged in the order given; `-` or no file reads stdin.
//!
//! Prints the summary and exits 0 when the promise holds; prints every violation
//! and exits 1 when it does not; exits 2 when a document cannot be read.

use std::io::Read;
use std::process::ExitCode;
use xoxe_history::{check, History};

const USAGE: &str = "usage: xoxe-history-check [FILE...]   (no FILE or -: read stdin)";

fn read(source: &str) -> Result<History, String> {
    let read = if source == "-" {
        let mut text = Vec::new();
        std::io::stdin().read_to_end(&mut text).map(|_| text)
    } else {
        std::fs::read(source)
    };
    let text = read.map_err(|e| format!("{source}: {e}"))?;
    // The error names the position only: a history is full of tokens.
    serde_json::from_slice(&text).map_err(|e| {
        format!(
            "{source}: not a history document (line {}, column {}: {:?})",
            e.line(),
            e.column(),
            e.classify()
        )
    })
}

fn main() -> ExitCode {
    let mut sources: Vec<String> = std::env::args().skip(1).collect();
    if sources.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if let Some(flag) = sources.iter().find(|a| a.starts_with('-') && a.as_str() != "-") {
        eprintln!("xoxe-history-check: unknown option {flag}\n{USAGE}");
        return ExitCode::from(2);
    }
    if sources.is_empty() {
        sources.push("-".into());
    }
    let mut history = History::new();
    for source in &sources {
        match read(source) {
            Ok(part) => history.extend(part.events),
            Err(why) => {
                eprintln!("xoxe-history-check: {why}");
                return ExitCode::from(2);
            }
        }
    }
    let report = check(&history);
    println!("{report}");
    if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
