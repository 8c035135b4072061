//! The fuzz smoke run in `make test` (seconds), and every saved crash replayed as a regression test.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use acebridge_fuzz::{Target, campaign, try_run};
use std::path::PathBuf;

/// A few thousand mutated inputs per target, on a fixed seed (`FUZZ_SEED` picks another), printed so that
/// a failure can be reproduced with `make fuzz FUZZ_SEED=…`. The seed once changed with the day; a test
/// must not depend on the date, so exploring belongs to `make fuzz` (a million inputs, any seed).
#[test]
fn a_smoke_run_finds_no_panic() {
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_207);
    let result = campaign(1_500, seed);
    println!("fuzz smoke: {} inputs, seed {seed}", result.total());
    let report: Vec<String> = result
        .crashes
        .iter()
        .map(|c| {
            format!(
                "{}: {} (input: {:?})",
                c.target.name(),
                c.message,
                String::from_utf8_lossy(&c.input[..c.input.len().min(400)])
            )
        })
        .collect();
    assert!(report.is_empty(), "seed {seed}: {report:#?}");
}

/// Every input saved by `make fuzz` (and the panics issue 16 reported) still runs without a panic.
#[test]
fn saved_crashes_no_longer_panic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(target) = Target::ALL
            .into_iter()
            .find(|t| name.starts_with(&format!("{}-", t.name())))
        else {
            continue;
        };
        let input = std::fs::read(&path).unwrap();
        if let Err(c) = try_run(target, &input) {
            panic!("{name}: {}", c.message);
        }
        n += 1;
    }
    assert!(n >= 6, "the regression inputs are in {}", dir.display());
}
