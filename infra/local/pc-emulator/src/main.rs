//! `pc-emulator --port 4567 [--seed seed.json] [--quotas]`: the local Partner Central Selling API.

use acebridge_pc_emulator::Emulator;
use clap::Parser;

#[derive(Parser)]
#[command(
    name = "pc-emulator",
    about = "A local AWS Partner Central Selling API (awsJson1_0)"
)]
struct Args {
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 4567)]
    port: u16,
    /// A JSON file of opportunities, invitations and solutions to start with.
    #[arg(long)]
    seed: Option<std::path::PathBuf>,
    /// Enforce the service's quotas (10 reads/s, 1 write/s).
    #[arg(long)]
    quotas: bool,
    /// Run on a clock that starts at this RFC 3339 instant (and runs on), movable with
    /// `POST /_emulator/clock`; without it, the system clock.
    #[arg(long)]
    clock: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let addr = format!("127.0.0.1:{}", args.port);
    let emulator = match &args.clock {
        Some(at) => {
            let at = chrono::DateTime::parse_from_rfc3339(at)
                .map_err(|e| anyhow::anyhow!("--clock {at}: {e}"))?;
            let clock = acebridge_clock::TestClock::running_from(at.with_timezone(&chrono::Utc));
            Emulator::start_on(&addr, &clock).await?
        }
        None => Emulator::start(&addr, acebridge_clock::Clock::system()).await?,
    };
    if let Some(path) = &args.seed {
        let seed: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
        emulator
            .state()
            .seed(&seed)
            .map_err(|e| anyhow::anyhow!("{}: {}: {}", path.display(), e.kind, e.message))?;
    }
    emulator.enforce_quotas(args.quotas);
    println!("pc-emulator listening on {}", emulator.url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
