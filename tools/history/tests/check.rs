//! The checker over hand-built histories: a clean chain passes, and each rule
//! catches the violation planted for it.

use xoxe_history::{check, fingerprint, Answer, Event, History};

const CHAIN: &str = "chain-a";

/// A history under construction, with a clock.
#[derive(Default)]
struct Story {
    history: History,
    now: i64,
}

impl Story {
    fn tick(&mut self) -> i64 {
        self.now += 10;
        self.now
    }

    fn seed(&mut self, refresh: &str) -> &mut Self {
        self.history.record(Event::Seeded {
            chain: CHAIN.into(),
            access: String::new(),
            refresh: refresh.into(),
        });
        self
    }

    fn answer(&mut self, refresh: &str, answer: Answer) -> &mut Self {
        let at_ms = self.tick();
        self.history.record(Event::Presented {
            at_ms,
            refresh: refresh.into(),
            by: "host-1".into(),
            answer,
        });
        self
    }

    /// Slack answers `refresh` with pair (`access`, `next`), valid for 1 s.
    fn rotate(&mut self, refresh: &str, access: &str, next: &str) -> &mut Self {
        let expires_at_ms = self.now + 1000;
        self.answer(refresh, issued(access, next, expires_at_ms))
    }

    fn save(&mut self, generation: u64, access: &str, refresh: &str) -> &mut Self {
        let at_ms = self.tick();
        self.history.record(Event::Saved {
            at_ms,
            chain: CHAIN.into(),
            generation,
            access: access.into(),
            refresh: refresh.into(),
            by: "host-1".into(),
        });
        self
    }

    fn hand_out(&mut self, access: &str) -> &mut Self {
        let at_ms = self.tick();
        self.history.record(Event::HandedOut {
            at_ms,
            chain: CHAIN.into(),
            access: access.into(),
            by: "caller".into(),
        });
        self
    }

    fn finish(&mut self, generation: u64, access: &str, refresh: &str) -> &mut Self {
        self.history.record(Event::Final {
            chain: CHAIN.into(),
            access: access.into(),
            refresh: refresh.into(),
            generation,
            revoked: false,
        });
        self
    }

    fn kinds(&self) -> Vec<&'static str> {
        check(&self.history).violations.iter().map(|v| v.kind()).collect()
    }
}

fn issued(access: &str, refresh: &str, expires_at_ms: i64) -> Answer {
    Answer::Issued {
        access: access.into(),
        refresh: refresh.into(),
        expires_at_ms,
    }
}

/// Seed r0, then three rotations, each saved before its token is handed out.
fn clean_chain() -> Story {
    let mut s = Story::default();
    s.seed("r0");
    for (g, (prev, access, next)) in [("r0", "a1", "r1"), ("r1", "a2", "r2"), ("r2", "a3", "r3")]
        .into_iter()
        .enumerate()
    {
        s.rotate(prev, access, next)
            .save(g as u64 + 1, access, next)
            .hand_out(access);
    }
    s.finish(3, "a3", "r3");
    s
}

#[test]
fn a_clean_chain_of_rotations_passes() {
    let s = clean_chain();
    let report = check(&s.history);
    report.assert_ok();
    assert_eq!(report.summary.presentations, 3);
    assert_eq!(report.summary.issued, 3);
    assert_eq!(report.summary.saves, 3);
    assert_eq!(report.summary.handouts, 3);
    assert_eq!(report.summary.chains, 1);
    assert!(report.to_string().contains("no violations"));
}

#[test]
fn a_rejected_presentation_may_be_retried() {
    let mut s = Story::default();
    s.seed("r0")
        .answer(
            "r0",
            Answer::Rejected {
                code: "ratelimited".into(),
            },
        )
        .rotate("r0", "a1", "r1")
        .save(1, "a1", "r1")
        .hand_out("a1")
        .finish(1, "a1", "r1");
    assert_eq!(s.kinds(), Vec::<&str>::new());
}

#[test]
fn a_planted_double_spend_fails_whatever_slack_answered() {
    for second in [
        Answer::Rejected {
            code: "invalid_refresh_token".into(),
        },
        issued("a1b", "r1b", 10_000),
    ] {
        let mut s = clean_chain();
        s.answer("r0", second);
        let report = check(&s.history);
        assert_eq!(s.kinds(), ["double_spend"], "{report}");
        let text = report.violations[0].to_string();
        assert!(text.contains(&fingerprint("r0")), "{text}");
        assert!(text.contains(&fingerprint("a1")), "names the earlier pair: {text}");
        assert!(
            !text.contains("r0 ") && !text.contains("a1 "),
            "never a whole token: {text}"
        );
    }
}

#[test]
fn the_orphan_recovery_re_presentation_passes() {
    // Holder 1 spends r0 and dies before saving; holder 2 presents r0 again and,
    // within Slack's grace period, gets a second pair, saves it and hands it out.
    let mut s = Story::default();
    s.seed("r0").rotate("r0", "a1", "r1");
    let at = s.tick();
    s.answer(
        "r0",
        Answer::GraceReissue {
            access: "a1b".into(),
            refresh: "r1b".into(),
            expires_at_ms: at + 1000,
        },
    )
    .save(1, "a1b", "r1b")
    .hand_out("a1b")
    .rotate("r1b", "a2", "r2")
    .save(2, "a2", "r2")
    .hand_out("a2")
    .finish(2, "a2", "r2");
    assert_eq!(s.kinds(), Vec::<&str>::new(), "{}", check(&s.history));

    // After a lost answer (Unknown) the client knows no pair: re-presenting is
    // the same recovery.
    let mut s = Story::default();
    s.seed("r0")
        .answer("r0", Answer::Unknown)
        .rotate("r0", "a1", "r1")
        .save(1, "a1", "r1")
        .hand_out("a1")
        .finish(1, "a1", "r1");
    assert_eq!(s.kinds(), Vec::<&str>::new());

    // But the first pair may not have been saved before the second presentation.
    let mut s = Story::default();
    s.seed("r0").rotate("r0", "a1", "r1").save(1, "a1", "r1");
    s.answer(
        "r0",
        Answer::Rejected {
            code: "invalid_refresh_token".into(),
        },
    );
    assert_eq!(s.kinds(), ["double_spend"]);
}

#[test]
fn a_planted_lost_pair_fails() {
    // a3 was handed out, then the store went back to the pair before it (whose
    // refresh token is spent: the chain is dead as well).
    let mut s = clean_chain();
    s.finish(2, "a2", "r2");
    let report = check(&s.history);
    assert_eq!(s.kinds(), ["lost_pair", "dead_chain"], "{report}");
    assert!(report.violations[0].to_string().contains(&fingerprint("a3")));

    // A sibling branch is lost too: r2 was spent twice (grace), a3b handed out,
    // and the store ends on the other branch.
    let mut s = clean_chain();
    s.answer("r2", issued("a3b", "r3b", 10_000));
    s.hand_out("a3b");
    assert!(s.kinds().contains(&"lost_pair"), "{}", check(&s.history));
}

#[test]
fn a_pair_slack_revoked_is_not_lost_by_xoxe() {
    let mut s = clean_chain();
    let at = s.tick();
    s.history.record(Event::Revoked {
        at_ms: at,
        token: "r3".into(),
    });
    s.finish(2, "a2", "r2");
    // Lost? No: Slack revoked it. Dead? r2 was spent, but the chain is revoked.
    assert_eq!(s.kinds(), Vec::<&str>::new(), "{}", check(&s.history));
}

#[test]
fn a_token_no_event_explains_is_reported() {
    let mut s = clean_chain();
    s.hand_out("a-from-nowhere");
    assert_eq!(s.kinds(), ["unknown_token"]);
}

#[test]
fn a_handout_before_its_save_fails() {
    let mut s = Story::default();
    s.seed("r0")
        .rotate("r0", "a1", "r1")
        .hand_out("a1")
        .save(1, "a1", "r1")
        .finish(1, "a1", "r1");
    assert_eq!(s.kinds(), ["unsaved_handout"]);

    // Never saved at all, in a chain whose saves are recorded.
    let mut s = clean_chain();
    s.rotate("r3", "a4", "r4").hand_out("a4");
    assert!(s.kinds().contains(&"unsaved_handout"), "{}", check(&s.history));

    // A chain with no recorded saves (another process saved) is not judged so.
    let mut s = Story::default();
    s.seed("r0")
        .rotate("r0", "a1", "r1")
        .hand_out("a1")
        .finish(1, "a1", "r1");
    assert_eq!(s.kinds(), Vec::<&str>::new());
}

#[test]
fn an_expired_handout_fails() {
    let mut s = clean_chain();
    s.now += 5000; // a3 expired long ago
    s.hand_out("a3");
    let report = check(&s.history);
    assert_eq!(s.kinds(), ["expired_handout"], "{report}");
}

#[test]
fn a_dead_chain_fails_unless_revoked() {
    // r3 was spent, its pair never saved: the store still holds r3.
    let mut s = clean_chain();
    s.rotate("r3", "a4", "r4");
    assert_eq!(s.kinds(), ["dead_chain"]);

    // The store marks the chain revoked.
    let mut revoked = clean_chain();
    revoked.rotate("r3", "a4", "r4");
    revoked.history.record(Event::Final {
        chain: CHAIN.into(),
        access: "a3".into(),
        refresh: "r3".into(),
        generation: 4,
        revoked: true,
    });
    assert_eq!(revoked.kinds(), Vec::<&str>::new());

    // Slack revoked the chain (auth.revoke with the stored access token).
    let mut s = clean_chain();
    s.rotate("r3", "a4", "r4");
    s.history.record(Event::Revoked {
        at_ms: 1,
        token: "a3".into(),
    });
    assert_eq!(s.kinds(), Vec::<&str>::new());

    // A refresh token presented but refused is not spent.
    let mut s = clean_chain();
    s.answer(
        "r3",
        Answer::Rejected {
            code: "ratelimited".into(),
        },
    );
    assert_eq!(s.kinds(), Vec::<&str>::new());
}

#[test]
fn every_violation_is_listed_and_assert_ok_panics_with_them() {
    let mut s = clean_chain();
    s.answer(
        "r0",
        Answer::Rejected {
            code: "invalid_refresh_token".into(),
        },
    );
    s.rotate("r3", "a4", "r4");
    let report = check(&s.history);
    assert_eq!(report.violations.len(), 2, "{report}");
    let panic = std::panic::catch_unwind(|| report.assert_ok()).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("double_spend") && message.contains("dead_chain"),
        "{message}"
    );
}

#[test]
fn a_history_round_trips_through_json() {
    let s = clean_chain();
    let json = serde_json::to_string(&s.history).unwrap();
    assert!(
        json.contains(r#""event":"presented""#) && json.contains(r#""kind":"issued""#),
        "{json}"
    );
    let back: History = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s.history);
    // Slack's document carries `truncated` beside the events.
    let served = format!(
        r#"{{"events":{},"truncated":false}}"#,
        serde_json::to_string(&s.history.events).unwrap()
    );
    assert_eq!(serde_json::from_str::<History>(&served).unwrap(), s.history);
}
