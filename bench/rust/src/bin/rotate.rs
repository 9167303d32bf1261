//! xoxe from Rust: sequential `tooling.tokens.rotate` calls over one kept-alive
//! connection. Usage: rotate BASE_URL REFRESH_TOKEN CALLS REPS WARMUP
//! Prints one JSON line: {"us_per_call":[...]} (one figure per repetition).
use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 6 {
        eprintln!("usage: rotate BASE_URL REFRESH_TOKEN CALLS REPS WARMUP");
        std::process::exit(2);
    }
    let (base, rt) = (&a[1], &a[2]);
    let calls: u32 = a[3].parse().expect("CALLS");
    let reps: u32 = a[4].parse().expect("REPS");
    let warmup: u32 = a[5].parse().expect("WARMUP");
    let client = xoxe::Client::new(xoxe::ClientOptions {
        base_url: base.clone(),
        ..Default::default()
    })
    .expect("client");
    let once = || {
        let pair = client.tooling_tokens_rotate(rt, None).expect("rotate");
        std::hint::black_box(&pair);
    };
    for _ in 0..warmup {
        once();
    }
    let mut out = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        for _ in 0..calls {
            once();
        }
        out.push(t.elapsed().as_secs_f64() * 1e6 / calls as f64);
    }
    println!("{}", serde_json::json!({ "us_per_call": out }));
}
