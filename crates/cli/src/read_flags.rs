//! The read flags (`--tz`, `--date-order`, `--locale`, `--passphrase-file`) as the application's
//! read options, and the passphrase prompt: the terminal's part of reading an encrypted backup.

use anyhow::{Context, Result, bail};
use onrecord_model::secrecy::SecretString;
use onrecord_model::secrecy::zeroize::Zeroizing;

use crate::args::ReadOptions;

/// The flags as the application takes them: the passphrase file read here, once (the application
/// takes a passphrase, never a file name). `--tz` is `$ONRECORD_TZ` when not given (clap reads it).
pub fn read_options(read: &ReadOptions) -> Result<onrecord_app::ReadOptions> {
    let passphrase = match &read.passphrase_file {
        None => None,
        Some(p) => {
            // Held zeroized from the start: the file's text is wiped when dropped.
            let s = Zeroizing::new(
                std::fs::read_to_string(p)
                    .with_context(|| format!("reading the passphrase file {}", p.display()))?,
            );
            Some(SecretString::from(s.trim()))
        }
    };
    Ok(onrecord_app::ReadOptions {
        tz: read.tz.clone(),
        date_order: read.date_order.clone(),
        locale: read.locale.clone(),
        passphrase,
    })
}

/// An encrypted Signal backup needs its passphrase: from `--passphrase-file`, else asked for on
/// the terminal (never taken from the command line, where other users and shell history would
/// see it). Called only when the deposit needs one and none was given.
pub fn ask_passphrase() -> Result<SecretString> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        bail!(
            "this is an encrypted Signal backup: give its passphrase with --passphrase-file FILE"
        );
    }
    let p = Zeroizing::new(
        rpassword::prompt_password("Signal backup passphrase (30 digits): ")
            .context("reading the passphrase")?,
    );
    Ok(SecretString::from(p.trim()))
}
