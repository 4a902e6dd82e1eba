//! Deterministic crash points in the commit order, for tests.
//!
//! `ONRECORD_FAILPOINT=<step>:<kill|fail>` makes an ingest stop at one step of the commit order
//! (ARCHITECTURE.md, "Ingest"): `kill` sends the process SIGKILL there, as a power cut or an
//! out-of-memory kill would; `fail` returns an error there, as a full disk or a lost connection
//! would; `pause` waits there for the test (which restarts a server meanwhile). Tests use it to prove, step by step, that `verify` passes afterwards, that the deposit is
//! either absent or complete, and that a second ingest completes it.
//!
//! It is compiled into every build on purpose: the tests drive the real binary, and a hook that
//! can only make the process fail or die grants nothing to whoever sets the environment (they
//! could kill the process anyway). The variable is read once.

use crate::error::ArchiveError;

/// The steps, in commit order. Every one is hit by every ingest that gets that far.
pub const STEPS: &[&str] = &[
    "deposit-stored",
    "mid-records",
    "records-written",
    "blobs-durable",
    "checkpoint-signed",
    "committed",
    "published",
    "indexed",
];

enum Action {
    Kill,
    Fail,
    /// Waits there: creates `reached` in `$ONRECORD_FAILPOINT_DIR`, then goes on once the test
    /// has created `resume` beside it (after restarting or killing a server meanwhile).
    Pause,
}

fn armed() -> Option<&'static (String, Action)> {
    static ARMED: std::sync::OnceLock<Option<(String, Action)>> = std::sync::OnceLock::new();
    ARMED
        .get_or_init(|| {
            let v = std::env::var("ONRECORD_FAILPOINT").ok()?;
            let (step, action) = v.split_once(':')?;
            let action = match action {
                "kill" => Action::Kill,
                "fail" => Action::Fail,
                "pause" => Action::Pause,
                _ => return None,
            };
            STEPS.contains(&step).then(|| (step.to_string(), action))
        })
        .as_ref()
}

/// Marks that the ingest has reached `step`; stops there when the failpoint names it.
pub fn hit(step: &'static str) -> Result<(), ArchiveError> {
    debug_assert!(STEPS.contains(&step), "unknown failpoint {step}");
    match armed() {
        Some((s, action)) if s == step => match action {
            Action::Kill => {
                // SAFETY: kill(2) with our own pid and a signal number has no memory effects.
                unsafe {
                    libc::kill(libc::getpid(), libc::SIGKILL);
                }
                // SIGKILL cannot be caught; this is never reached.
                std::process::abort()
            }
            Action::Pause => {
                if let Some(dir) = std::env::var_os("ONRECORD_FAILPOINT_DIR") {
                    let dir = std::path::PathBuf::from(dir);
                    let _ = std::fs::write(dir.join("reached"), step);
                    while !dir.join("resume").exists() {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    }
                }
                Ok(())
            }
            Action::Fail => Err(ArchiveError::Store {
                key: format!("failpoint {step}"),
                message: "stopped here by ONRECORD_FAILPOINT".into(),
            }),
        },
        _ => Ok(()),
    }
}
