//! `make fuzz`: a long mutation run over every untrusted-input entry point. Prints inputs per second
//! and per target; saves each crash under `tests/fuzz/regressions/` (replayed by `make test`) and
//! exits 1 when there was one.
//!
//! `acebridge-fuzz [--inputs N] [--seed S] [--save DIR]` (N: total inputs, default 1,000,000).

use acebridge_fuzz::{Target, campaign};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let total: usize = arg("--inputs")
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = arg("--seed").and_then(|s| s.parse().ok()).unwrap_or(1);
    let save = arg("--save").unwrap_or_else(|| "tests/fuzz/regressions".to_string());
    let per_target = total.div_ceil(Target::ALL.len());

    let started = Instant::now();
    let result = campaign(per_target, seed);
    let secs = started.elapsed().as_secs_f64();
    for (target, n) in &result.inputs {
        println!("{:<18} {n:>10} inputs", target.name());
    }
    println!(
        "fuzz: {} inputs in {secs:.1} s ({:.0} inputs/s), seed {seed}, {} panics",
        result.total(),
        result.total() as f64 / secs.max(f64::EPSILON),
        result.crashes.len()
    );
    for c in &result.crashes {
        let name = format!("{save}/{}-{:016x}.bin", c.target.name(), fnv(&c.input));
        match std::fs::write(&name, &c.input) {
            Ok(()) => println!(
                "panic in {}: {} (input saved as {name})",
                c.target.name(),
                c.message
            ),
            Err(e) => println!(
                "panic in {}: {} (could not save {name}: {e})",
                c.target.name(),
                c.message
            ),
        }
    }
    if !result.crashes.is_empty() {
        std::process::exit(1);
    }
}

/// A stable name for an input (FNV-1a).
fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, x| {
        (h ^ u64::from(*x)).wrapping_mul(0x0100_0000_01b3)
    })
}
