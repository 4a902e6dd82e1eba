//! How a deposit is read: the zone of its wall-clock times, its date order, its passphrase.

use onrecord_model::secrecy::SecretString;
use onrecord_model::{DateOrder, ParseOptions};

use crate::error::AppError;

/// What the depositor says about how to read an export. Everything is optional: the parsers
/// decide what the file itself settles.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// The IANA zone in which times without a zone are read; `None` for the host's zone, else UTC.
    pub tz: Option<String>,
    /// `dmy`, `mdy` or `ymd`, for when the file cannot decide.
    pub date_order: Option<String>,
    /// A locale hint (`en-GB`, `de`, ...) for when the file cannot decide the date order.
    pub locale: Option<String>,
    /// The passphrase of an encrypted backup (Signal). Asking for it is the edge's business: the
    /// command line reads a file or prompts, a web form sends it.
    pub passphrase: Option<SecretString>,
}

/// The zone times are read in: the one asked for, else the host's, else UTC.
pub fn zone_name(read: &ReadOptions) -> String {
    if let Some(tz) = &read.tz {
        return tz.clone();
    }
    jiff::tz::TimeZone::try_system()
        .ok()
        .and_then(|tz| tz.iana_name().map(str::to_string))
        .unwrap_or_else(|| "UTC".to_string())
}

/// The parser options for the deposit named `file_name`. An unknown zone or date order is the
/// caller's error. (The messages name the command line's flags, which is how users know them.)
pub fn parse_options(read: &ReadOptions, file_name: &str) -> Result<ParseOptions, AppError> {
    let tz = zone_name(read);
    let mut opts = ParseOptions::new(&tz, file_name).map_err(|e| {
        AppError::from_error(crate::ErrorKind::Caller, &e)
            .context(format!("--tz {tz:?} is not a known IANA time zone"))
    })?;
    if let Some(o) = &read.date_order {
        match DateOrder::parse(o) {
            Some(o) => opts.date_order = Some(o),
            None => {
                return Err(AppError::caller(format!(
                    "--date-order {o:?}: use dmy, mdy or ymd"
                )));
            }
        }
    }
    opts.locale = read.locale.clone();
    opts.passphrase = read.passphrase.clone();
    Ok(opts)
}
