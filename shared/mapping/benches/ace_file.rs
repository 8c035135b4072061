//! Parse + validate + map (ACE → canonical → API payload) of a ~1 MB ACE outbound file, against
//! `serde_json::from_slice::<Value>` of the same bytes as the baseline. Prints records/s for both and
//! the ratio, measured in the same run.

use acebridge_mapping::ace::{self, AceFile};
use acebridge_mapping::api::{ApiOpportunity, Shape};
use acebridge_mapping::validate::{self, Context, Format, Intent};
use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group};
use serde_json::Value;
use std::hint::black_box;
use std::time::{Duration, Instant};

const SAMPLE: &str =
    include_str!("../../../tests/fixtures/ace-s3/opportunity/Opportunity-Outbound-Sample.json");

/// A ~1 MB outbound file: the AWS sample record repeated with distinct ids.
fn file() -> (Vec<u8>, usize) {
    let v: Value = serde_json::from_str(SAMPLE.trim_start_matches('\u{feff}')).expect("sample");
    let rec = v["opportunities"][0].clone();
    let mut records = vec![];
    let mut size = 0;
    let mut i = 0u64;
    while size < 1_000_000 {
        let mut r = rec.clone();
        r["apnCrmUniqueIdentifier"] = Value::String(format!("O{}", 1_000_000 + i));
        r["partnerCrmUniqueIdentifier"] = Value::String(format!("crm-{i}"));
        size += serde_json::to_vec(&r).map(|b| b.len()).unwrap_or(0);
        records.push(r);
        i += 1;
    }
    let n = records.len();
    let body = serde_json::json!({"version": "2.0", "spmsId": "1588143", "opportunities": records});
    (serde_json::to_vec(&body).expect("json"), n)
}

fn pipeline(bytes: &[u8]) -> usize {
    let ctx = Context {
        today: NaiveDate::from_ymd_opt(2026, 11, 22).expect("date"),
        intent: Intent::Update,
        current: None,
        consulting_partner: true,
    };
    let Ok(AceFile::Opportunities(f)) = ace::parse(bytes) else {
        return 0;
    };
    let mut n = 0;
    for r in f.records.iter().flatten() {
        if let Ok(o) = r.to_canonical() {
            let errors = validate::opportunity(&o, Format::Ace, &ctx);
            let api = ApiOpportunity::from_canonical(&o, Shape::Update);
            black_box((errors, api));
            n += 1;
        }
    }
    n
}

/// The first stages alone, for the breakdown: the file read into its records.
fn parse_only(bytes: &[u8]) -> usize {
    match ace::parse(bytes) {
        Ok(AceFile::Opportunities(f)) => f.records.iter().flatten().count(),
        _ => 0,
    }
}

/// Read, then each record to the canonical model.
fn parse_and_canonical(bytes: &[u8]) -> usize {
    let Ok(AceFile::Opportunities(f)) = ace::parse(bytes) else {
        return 0;
    };
    f.records
        .iter()
        .flatten()
        .filter_map(|r| black_box(r.to_canonical()).ok())
        .count()
}

fn baseline(bytes: &[u8]) -> usize {
    let v: Value = serde_json::from_slice(bytes).expect("json");
    v["opportunities"].as_array().map_or(0, Vec::len)
}

fn bench(c: &mut Criterion) {
    let (bytes, n) = file();
    assert_eq!(pipeline(&bytes), n, "every record maps");
    let mut g = c.benchmark_group(format!("ace_outbound_{}KB_{n}_records", bytes.len() / 1024));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("serde_json_value_baseline", |b| {
        b.iter(|| baseline(black_box(&bytes)))
    });
    g.bench_function("parse_validate_map", |b| {
        b.iter(|| pipeline(black_box(&bytes)))
    });
    g.finish();
}

/// Records/s of both, interleaved in one run, and their ratio.
fn summary() {
    let (bytes, n) = file();
    let measure = |f: &dyn Fn(&[u8]) -> usize| {
        let start = Instant::now();
        let mut iters = 0u32;
        while start.elapsed() < Duration::from_secs(2) {
            black_box(f(black_box(&bytes)));
            iters += 1;
        }
        n as f64 * f64::from(iters) / start.elapsed().as_secs_f64()
    };
    let (mut base, mut ours, mut parsed, mut canonical) = (0.0, 0.0, 0.0, 0.0);
    for _ in 0..2 {
        base += measure(&baseline);
        ours += measure(&pipeline);
        parsed += measure(&parse_only);
        canonical += measure(&parse_and_canonical);
    }
    println!("\nsummary: {} bytes, {n} records", bytes.len());
    println!(
        "  serde_json::Value baseline : {:>10.0} records/s",
        base / 2.0
    );
    println!(
        "  parse+validate+map         : {:>10.0} records/s",
        ours / 2.0
    );
    println!("  ratio (ours / baseline)    : {:>10.2}", ours / base);
    println!(
        "  stages: parse alone {:.0}/s ({:.2}x baseline), + canonical {:.0}/s, + validate and API (all) {:.0}/s",
        parsed / 2.0,
        parsed / base,
        canonical / 2.0,
        ours / 2.0
    );
    match python_reference(&bytes) {
        Some((py, loads)) => {
            println!(
                "  plain Python mapping       : {py:>10.0} records/s (benches/ace_mapping_reference.py)"
            );
            println!("  ratio (ours / Python)      : {:>10.2}", ours / 2.0 / py);
            println!(
                "  breakdown: Python json.loads alone {loads:.0}/s; our parse alone is {:.2}x the whole Python mapping",
                parsed / 2.0 / py
            );
        }
        None => println!("  plain Python mapping       : not run (no python3)"),
    }
}

/// Records/s of the Python reference mapping on the same bytes (the project's venv Python if there is
/// one, else `python3`), measured right after ours, and of its `json.loads` alone.
fn python_reference(bytes: &[u8]) -> Option<(f64, f64)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let file = std::env::temp_dir().join(format!("ace-bench-{}.json", std::process::id()));
    std::fs::write(&file, bytes).ok()?;
    let venv = root.join(".venv/bin/python");
    let python = if venv.exists() {
        venv
    } else {
        std::path::PathBuf::from("python3")
    };
    let out = std::process::Command::new(python)
        .arg(root.join("benches/ace_mapping_reference.py"))
        .arg(&file)
        .arg("4")
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&file);
    let v: Value = serde_json::from_slice(&out.stdout).ok()?;
    Some((
        v["records_per_second"].as_f64()?,
        v["loads_only_records_per_second"].as_f64()?,
    ))
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
