//! Which zone and date order a deposit is read with.

use anyhow::{Context, Result, bail};
use onrecord_model::secrecy::SecretString;
use onrecord_model::secrecy::zeroize::Zeroizing;
use onrecord_model::{DateOrder, ParseOptions};

use crate::args::ReadOptions;

/// `--tz`, else `$ONRECORD_TZ` (clap reads it), else the system zone, else UTC.
pub fn zone_name(read: &ReadOptions) -> String {
    if let Some(tz) = &read.tz {
        return tz.clone();
    }
    jiff::tz::TimeZone::try_system()
        .ok()
        .and_then(|tz| tz.iana_name().map(str::to_string))
        .unwrap_or_else(|| "UTC".to_string())
}

pub fn parse_options(read: &ReadOptions, file_name: &str) -> Result<ParseOptions> {
    let tz = zone_name(read);
    let mut opts = ParseOptions::new(&tz, file_name)
        .with_context(|| format!("--tz {tz:?} is not a known IANA time zone"))?;
    if let Some(o) = &read.date_order {
        match DateOrder::parse(o) {
            Some(o) => opts.date_order = Some(o),
            None => bail!("--date-order {o:?}: use dmy, mdy or ymd"),
        }
    }
    opts.locale = read.locale.clone();
    if let Some(p) = &read.passphrase_file {
        // Held zeroized from the start: the file's text is wiped when dropped.
        let s = Zeroizing::new(
            std::fs::read_to_string(p)
                .with_context(|| format!("reading the passphrase file {}", p.display()))?,
        );
        opts.passphrase = Some(SecretString::from(s.trim()));
    }
    Ok(opts)
}

/// An encrypted Signal backup needs its passphrase: from `--passphrase-file`, else asked for on the
/// terminal (never taken from the command line, where other users and shell history would see it).
pub fn ask_passphrase_if_needed(format: &str, opts: &mut ParseOptions) -> Result<()> {
    if format != "signal-backup" || opts.passphrase.is_some() {
        return Ok(());
    }
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
    opts.passphrase = Some(SecretString::from(p.trim()));
    Ok(())
}
