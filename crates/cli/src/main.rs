//! `onrecord`: the command line. Parses flags, turns each command into calls on the application
//! crate (`onrecord-app`, which the web server shares), prints the results, and gives exit codes
//! one meaning each:
//!
//! - 0: success (for `search`, at least one hit; for `verify`, the archive verified);
//! - 1: `search` matched nothing, `verify` found a problem, or `classify` met a bad input line;
//! - 2: an error (bad arguments, unreadable input, a damaged archive).
//!
//! A closed pipe (`onrecord parse --json | head`) is a clean exit.

mod archive_cmd;
mod args;
mod case_cmd;
mod classify_cmd;
mod demo;
mod govern_cmd;
mod merge_cmd;
mod parse_cmd;
mod read_cmd;
mod read_flags;
mod report_cmd;
mod visible;
mod web_cmd;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

/// Ingest hands records from the parser thread to the writer thread by the hundred thousand;
/// glibc's malloc spent a quarter of the writer's time freeing them (see the workspace Cargo.toml).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What a command reports beyond success.
pub enum Outcome {
    Ok,
    /// Nothing matched / verification failed: exit code 1.
    Negative,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ONRECORD_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Init(a) => archive_cmd::init(&cli.global, a),
        Command::Migrate(a) => archive_cmd::migrate(&cli.global, a),
        Command::Ingest(a) => archive_cmd::ingest(&cli.global, a),
        Command::Parse(a) => parse_cmd::run(a),
        Command::Verify(a) => archive_cmd::verify(&cli.global, a),
        Command::Proof(a) => archive_cmd::proof(&cli.global, a),
        Command::Disclose(a) => archive_cmd::disclose(&cli.global, a),
        Command::VerifyDisclosure(a) => archive_cmd::verify_disclosure(a),
        Command::VerifyBundle(a) => case_cmd::verify_bundle(a),
        Command::Checkpoint => archive_cmd::checkpoint(&cli.global),
        Command::Search(a) => read_cmd::search(&cli.global, a),
        Command::Show(a) => read_cmd::show(&cli.global, a),
        Command::Report(a) => read_cmd::report(&cli.global, a),
        Command::Dispose(a) => govern_cmd::dispose(&cli.global, a),
        Command::Hold(c) => govern_cmd::hold(&cli.global, c),
        Command::Label(a) => govern_cmd::label(&cli.global, a),
        Command::Correct(a) => govern_cmd::correct(&cli.global, a),
        Command::History(a) => govern_cmd::history(&cli.global, a),
        Command::Audit(a) => govern_cmd::audit(&cli.global, a),
        Command::Reindex => read_cmd::reindex(&cli.global),
        Command::Rebuild => archive_cmd::rebuild(&cli.global),
        Command::Demo(a) => demo::run(a),
        Command::Case(a) => case_cmd::run(&cli.global, a),
        Command::Classify(a) if a.stdin => classify_cmd::run(a),
        Command::Classify(a) => classify_cmd::archive(&cli.global, a),
        Command::Review(a) => classify_cmd::review(&cli.global, a),
        Command::Explain(a) => classify_cmd::explain(&cli.global, a),
        Command::Retention(c) => govern_cmd::retention(&cli.global, c),
        Command::Disposal(c) => govern_cmd::disposal(&cli.global, c),
        Command::Merge(a) => merge_cmd::merge(&cli.global, a),
        Command::Unmerge(a) => merge_cmd::unmerge(&cli.global, a),
        Command::People(a) => merge_cmd::people(&cli.global, a),
        Command::Findings(a) => merge_cmd::findings(&cli.global, a),
        Command::BenchQueries(a) => read_cmd::bench_queries(&cli.global, a),
        Command::Serve(a) => web_cmd::serve(&cli.global, a),
        Command::User(c) => web_cmd::user(&cli.global, c),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Negative) => ExitCode::from(1),
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            // An error may quote the deposit or the archive (a line that could not be read).
            eprintln!("onrecord: error: {}", visible::visible(&error_text(&e)));
            ExitCode::from(
                e.downcast_ref::<onrecord_app::AppError>()
                    .map_or(2, onrecord_app::AppError::exit_code),
            )
        }
    }
}

/// The error and its causes, joined with ": " as `{:#}` does, leaving out a cause whose text the
/// message already holds (an error that names its I/O cause in its own text would otherwise
/// say "No such file or directory" twice).
fn error_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.is_empty() {
            out = text;
        } else if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cause_already_named_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = anyhow::Error::new(io).context("reading keys/x: no such file");
        assert_eq!(super::error_text(&e), "reading keys/x: no such file");
        let e = anyhow::anyhow!("disk full").context("storing the deposit");
        assert_eq!(super::error_text(&e), "storing the deposit: disk full");
    }
}
