//! The man page, `man/xoxe.1`, against the program it documents: every command,
//! option and exit code of `xoxe --help` (and of the exit-code table in
//! src/bin/xoxe/) is in the page, the page documents nothing the program lacks,
//! every environment variable the command reads is there, the page renders
//! without a warning, and its version is the crate's.
//!
//! The help text and the page are parsed generically, so an option added to the
//! help without the page, or left in the page after leaving the help, fails here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The man page, relative to the crate root.
const PAGE: &str = "man/xoxe.1";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn page() -> String {
    std::fs::read_to_string(root().join(PAGE)).unwrap_or_else(|e| panic!("reading {PAGE}: {e}"))
}

/// What `xoxe ARGS` prints on standard output (it must succeed and say nothing
/// on standard error).
fn xoxe(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_xoxe"))
        .args(args)
        .env_remove("XOXE_LOG")
        .output()
        .unwrap();
    assert!(out.status.success(), "xoxe {args:?}: {:?}", out.status);
    assert!(
        out.stderr.is_empty(),
        "xoxe {args:?} wrote to stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn help() -> String {
    xoxe(&["--help"])
}

// --- The help text -------------------------------------------------------------

/// The lines of the help section that starts with the unindented line `title`
/// (`commands:`, `options:`), up to the next unindented line.
fn help_section<'a>(help: &'a str, title: &str) -> Vec<&'a str> {
    let mut lines = help.lines().skip_while(|line| *line != title);
    assert_eq!(lines.next(), Some(title), "no `{title}` section in the help:\n{help}");
    lines
        .take_while(|line| line.is_empty() || line.starts_with(' '))
        .filter(|line| !line.trim().is_empty())
        .collect()
}

/// An entry's first line: indented by exactly two spaces (continuation lines are
/// indented further).
fn is_entry(line: &str) -> bool {
    line.starts_with("  ") && !line.starts_with("   ")
}

/// The entry's tag: the text before the description (two or more spaces), or the
/// whole line when the description starts on the next one.
fn entry_tag(line: &str) -> &str {
    let line = line.trim();
    line.split_once("  ").map_or(line, |(tag, _)| tag)
}

/// The commands the help lists, in the form it lists them: `init`, `status --all`,
/// `seal-key new ID`, ...
fn help_commands(help: &str) -> BTreeSet<String> {
    help_section(help, "commands:")
        .into_iter()
        .filter(|line| is_entry(line))
        .map(|line| entry_tag(line).to_string())
        .collect()
}

/// The options the help lists, each as its tag: the names, comma-separated, then
/// the argument if it takes one (`--store PATH|DIR|URL`, `-h, --help`).
fn help_options(help: &str) -> BTreeSet<String> {
    help_section(help, "options:")
        .into_iter()
        .filter(|line| is_entry(line) && line.trim_start().starts_with('-'))
        .map(|line| {
            let mut words = line.split_whitespace().peekable();
            let mut names = Vec::new();
            while let Some(word) = words.next_if(|w| w.starts_with('-')) {
                names.push(word.trim_end_matches(','));
            }
            // An argument is written in capitals (`PATH|DIR|URL`, `SECS`); the
            // description starts in lower case.
            let arg = words.next().filter(|w| {
                w.chars().any(|c| c.is_ascii_uppercase())
                    && w.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "_|".contains(c))
            });
            let names = names.join(", ");
            arg.map_or(names.clone(), |arg| format!("{names} {arg}"))
        })
        .collect()
}

/// The option names in a tag: `-h, --help` gives `-h` and `--help`.
fn option_names(tags: &BTreeSet<String>) -> BTreeSet<String> {
    tags.iter()
        .flat_map(|tag| tag.split([',', ' ']).filter(|w| w.starts_with('-')).map(str::to_string))
        .collect()
}

/// Every word of `text` shaped like an option (`--name`, `-x`), wherever it is.
fn options_mentioned(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| {
            let long = w
                .strip_prefix("--")
                .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_alphabetic()));
            let short = w.len() == 2 && w.starts_with('-') && w[1..].starts_with(|c: char| c.is_ascii_alphabetic());
            long || short
        })
        .map(str::to_string)
        .collect()
}

/// The exit codes the help lists: `exit codes: 0 ok, 2 usage, 3 store (…, …), …`,
/// split at the commas outside parentheses, each item starting with its code.
fn help_exit_codes(help: &str) -> BTreeSet<u8> {
    let start = help.find("exit codes:").expect("no `exit codes:` in the help");
    let text = &help[start + "exit codes:".len()..];
    let text = text.split("\n\n").next().unwrap();
    let mut items = Vec::new();
    let (mut depth, mut item) = (0i32, String::new());
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut item));
                continue;
            }
            _ => {}
        }
        item.push(c);
    }
    items.push(item);
    items
        .iter()
        .map(|item| {
            let item = item.trim();
            let code = item.split_whitespace().next().unwrap_or_default();
            code.parse()
                .unwrap_or_else(|_| panic!("an exit code item that does not start with its code: {item:?}"))
        })
        .collect()
}

// --- The program's source --------------------------------------------------------

/// The command's source files (src/bin/xoxe/*.rs), without their unit tests (the
/// `#[cfg(test)]` module that ends a file).
fn cli_sources() -> Vec<(PathBuf, String)> {
    let dir = root().join("src/bin/xoxe");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no source in {}", dir.display());
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap().to_string();
            (path, code)
        })
        .collect()
}

fn without_comments(source: &str) -> String {
    source
        .lines()
        .map(|line| line.split_once("//").map_or(line, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every exit code the command can end with, as its source defines them: the
/// arms of each `fn exit_code` (`… => 4,`), and the literal `ExitCode`s.
fn source_exit_codes() -> BTreeSet<u8> {
    let mut codes = BTreeSet::new();
    for (path, source) in cli_sources() {
        let source = without_comments(&source);
        let mut rest = source.as_str();
        while let Some(at) = rest.find("fn exit_code") {
            let body = &rest[at..];
            let open = body.find('{').unwrap();
            let mut depth = 0;
            let close = body[open..]
                .char_indices()
                .find_map(|(i, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    (depth == 0).then_some(open + i)
                })
                .unwrap_or_else(|| panic!("{}: unbalanced fn exit_code", path.display()));
            for arm in body[open..close].split("=>").skip(1) {
                let digits: String = arm.trim_start().chars().take_while(char::is_ascii_digit).collect();
                if !digits.is_empty() {
                    codes.insert(digits.parse().unwrap());
                }
            }
            rest = &body[close..];
        }
        for literal in source.split("ExitCode::from(").skip(1) {
            let digits: String = literal.chars().take_while(char::is_ascii_digit).collect();
            if !digits.is_empty() {
                codes.insert(digits.parse().unwrap());
            }
        }
        if source.contains("ExitCode::SUCCESS") {
            codes.insert(0);
        }
        if source.contains("ExitCode::FAILURE") {
            codes.insert(1);
        }
    }
    assert!(codes.len() > 2, "found too few exit codes in src/bin/xoxe: {codes:?}");
    codes
}

/// Every `XOXE_…` name in `text`.
fn env_names(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("XOXE_") && w.len() > "XOXE_".len())
        .map(str::to_string)
        .collect()
}

fn all_sources(dir: &Path, into: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all_sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
}

// --- The man page ------------------------------------------------------------------

/// A request's arguments, with troff's quoting: `"two words"`, `""` for a quote.
fn macro_args(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if_eq(&' ').is_some() {}
        let Some(first) = chars.next() else { break };
        let mut arg = String::new();
        if first == '"' {
            while let Some(c) = chars.next() {
                match c {
                    '"' if chars.next_if_eq(&'"').is_some() => arg.push('"'),
                    '"' => break,
                    c => arg.push(c),
                }
            }
        } else {
            arg.push(first);
            while let Some(c) = chars.next_if(|c| *c != ' ') {
                arg.push(c);
            }
        }
        args.push(arg);
    }
    args
}

/// The text a troff escape sequence stands for, roughly: enough to read names.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('-') => out.push('-'),
            Some('e') | Some('\\') => out.push('\\'),
            Some('&') | Some('%') | Some('/') | Some(',') => {}
            Some(' ') | Some('~') => out.push(' '),
            // A font change: `\fB`, `\fI`, `\fR`, `\fP`.
            Some('f') => {
                chars.next();
            }
            // A special character: `\(lq`, `\(aq`, ...
            Some('(') => {
                let name: String = chars.by_ref().take(2).collect();
                out.push(match name.as_str() {
                    "aq" => '\'',
                    "lq" | "rq" | "dq" => '"',
                    "em" | "en" => '-',
                    _ => '?',
                });
            }
            Some(other) => panic!("{PAGE}: an escape this test does not know: \\{other} in {text:?}"),
            None => {}
        }
    }
    out
}

/// A line of the page as the text it prints: a font macro's arguments, joined
/// with spaces (`.B`, `.I`) or alternating fonts without (`.BR`, `.IR`, ...).
fn plain(line: &str) -> String {
    let Some(request) = line.strip_prefix('.') else {
        return unescape(line);
    };
    let (name, rest) = request.split_once(' ').unwrap_or((request, ""));
    let args = macro_args(rest);
    let joined = match name {
        "B" | "I" | "SM" | "SB" => args.join(" "),
        "BR" | "RB" | "BI" | "IB" | "IR" | "RI" => args.concat(),
        _ => return String::new(),
    };
    unescape(&joined)
}

/// The page's sections, by title (`.SH NAME`, `.SH "EXIT STATUS"`), each with its lines.
fn page_sections(page: &str) -> Vec<(String, Vec<&str>)> {
    let mut sections: Vec<(String, Vec<&str>)> = Vec::new();
    for line in page.lines().filter(|line| !line.starts_with(".\\\"")) {
        if let Some(title) = line.strip_prefix(".SH ") {
            sections.push((macro_args(title).join(" "), Vec::new()));
        } else if let Some((_, lines)) = sections.last_mut() {
            lines.push(line);
        }
    }
    sections
}

fn page_section<'a>(page: &'a str, title: &str) -> Vec<&'a str> {
    page_sections(page)
        .into_iter()
        .find(|(t, _)| t == title)
        .unwrap_or_else(|| panic!("{PAGE} has no section {title:?}"))
        .1
}

/// The tags of a section's top-level `.TP`/`.TQ` paragraphs (not those nested in
/// `.RS`/`.RE`), as plain text.
fn page_tags(lines: &[&str]) -> Vec<String> {
    let mut tags = Vec::new();
    let mut depth = 0;
    let mut lines = lines.iter();
    while let Some(line) = lines.next() {
        match line.split_whitespace().next().unwrap_or_default() {
            ".RS" => depth += 1,
            ".RE" => depth -= 1,
            ".TP" | ".TQ" if depth == 0 => {
                let tag = lines.next().unwrap_or_else(|| panic!("{PAGE}: {line} without a tag"));
                tags.push(plain(tag).split_whitespace().collect::<Vec<_>>().join(" "));
            }
            _ => {}
        }
    }
    tags
}

fn page_tag_set(page: &str, title: &str) -> BTreeSet<String> {
    let tags = page_tags(&page_section(page, title));
    let set: BTreeSet<String> = tags.iter().cloned().collect();
    assert_eq!(
        set.len(),
        tags.len(),
        "{PAGE}: {title} documents something twice: {tags:?}"
    );
    set
}

/// Everything the page prints, as plain text.
fn page_text(page: &str) -> String {
    page.lines()
        .filter(|line| !line.starts_with(".\\\""))
        .map(plain)
        .collect::<Vec<_>>()
        .join("\n")
}

fn diff(what: &str, expected: &BTreeSet<String>, found: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let missing: Vec<_> = expected.difference(found).collect();
    let stale: Vec<_> = found.difference(expected).collect();
    if !missing.is_empty() {
        problems.push(format!("{PAGE} lacks {what}: {missing:?}"));
    }
    if !stale.is_empty() {
        problems.push(format!("{PAGE} documents {what} the program does not have: {stale:?}"));
    }
    problems
}

// --- The tests -----------------------------------------------------------------------

#[test]
fn the_parsers_read_what_they_should() {
    assert_eq!(plain(r#".BI \-\-store " PATH" | DIR | URL"#), "--store PATH|DIR|URL");
    assert_eq!(plain(r#".BR \-h ", " \-\-help"#), "-h, --help");
    assert_eq!(plain(r"printf \(aq%s\en\(aq \fBx\fP"), r"printf '%s\n' x");
    let help = "commands:\n  init     start\n  status --all\n           every chain\n\noptions:\n  \
                --store PATH|DIR|URL\n                      where\n  --keyring-file PATH seal the\n  \
                --gov               use\n  -h, --help          this text\n\n\
                exit codes: 0 ok, 3 store (a, b), 4\n            chain dead, 1 other (e.g. x)";
    assert_eq!(help_commands(help), ["init", "status --all"].map(String::from).into());
    assert_eq!(
        help_options(help),
        ["--store PATH|DIR|URL", "--keyring-file PATH", "--gov", "-h, --help"]
            .map(String::from)
            .into()
    );
    assert_eq!(help_exit_codes(help), [0, 1, 3, 4].into());
}

#[test]
fn every_command_of_the_help_is_documented_and_no_other() {
    let help = help();
    let commands = help_commands(&help);
    assert!(commands.contains("init") && commands.len() >= 6, "{commands:?}");
    let problems = diff("commands", &commands, &page_tag_set(&page(), "COMMANDS"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_option_of_the_help_is_documented_and_no_other() {
    let help = help();
    let options = help_options(&help);
    assert!(
        options.contains("--store PATH|DIR|URL") && options.len() >= 10,
        "{options:?}"
    );
    let page = page();
    let mut problems = diff("options", &options, &page_tag_set(&page, "OPTIONS"));
    // Nowhere else (synopsis, commands, examples) may the page name an option
    // the program does not have; nor may the help itself.
    let names = option_names(&options);
    let stale: Vec<_> = options_mentioned(&page_text(&page))
        .into_iter()
        .filter(|o| !names.contains(o))
        .collect();
    if !stale.is_empty() {
        problems.push(format!(
            "{PAGE} mentions options that `xoxe --help` does not list: {stale:?}"
        ));
    }
    let unlisted: Vec<_> = options_mentioned(&help)
        .into_iter()
        .filter(|o| !names.contains(o))
        .collect();
    if !unlisted.is_empty() {
        problems.push(format!(
            "`xoxe --help` mentions options its options: section lacks: {unlisted:?}"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_exit_code_is_documented_and_no_other() {
    let program = source_exit_codes();
    let help = help_exit_codes(&help());
    assert_eq!(help, program, "`xoxe --help`'s exit codes against src/bin/xoxe's");
    let page: BTreeSet<u8> = page_tag_set(&page(), "EXIT STATUS")
        .iter()
        .map(|tag| {
            tag.parse()
                .unwrap_or_else(|_| panic!("{PAGE}: EXIT STATUS tag {tag:?} is not a number"))
        })
        .collect();
    let as_text = |codes: &BTreeSet<u8>| codes.iter().map(u8::to_string).collect();
    let problems = diff("exit codes", &as_text(&program), &as_text(&page));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_environment_variable_is_documented() {
    let page = page();
    let documented = page_tag_set(&page, "ENVIRONMENT");
    // What the command reads (and its help names) must be there...
    let mut read = env_names(&help());
    for (_, source) in cli_sources() {
        read.extend(env_names(&source));
    }
    let missing: Vec<_> = read.difference(&documented).collect();
    assert!(missing.is_empty(), "{PAGE}'s ENVIRONMENT lacks {missing:?}");
    // ...and whatever the page names must exist somewhere in the crate's source.
    let mut source = String::new();
    all_sources(&root().join("src"), &mut source);
    let known = env_names(&source);
    let stale: Vec<_> = env_names(&page_text(&page))
        .into_iter()
        .filter(|v| !known.contains(v))
        .collect();
    assert!(stale.is_empty(), "{PAGE} names variables no source reads: {stale:?}");
}

#[test]
fn the_page_carries_the_crate_version() {
    let page = page();
    let th = page.lines().find(|line| line.starts_with(".TH ")).expect("no .TH line");
    let args = macro_args(&th[".TH ".len()..]);
    assert_eq!(args.get(..2), Some(&["XOXE".to_string(), "1".to_string()][..]), "{th}");
    let version = format!("xoxe {}", env!("CARGO_PKG_VERSION"));
    assert_eq!(args.get(3), Some(&version), "{PAGE}'s .TH version: {th}");
    assert_eq!(xoxe(&["--version"]).trim(), version);
}

#[test]
fn the_page_renders_without_warnings() {
    // scripts/ensure-deps.sh installs groff (make test); elsewhere it may be missing.
    let out = match Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z", PAGE])
        .current_dir(root())
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("skipped: groff is not installed (scripts/ensure-deps.sh installs groff-base)");
            return;
        }
        Err(e) => panic!("running groff: {e}"),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "groff failed on {PAGE}: {:?}\n{stderr}",
        out.status
    );
    assert!(stderr.is_empty(), "groff warns about {PAGE}:\n{stderr}");
}
