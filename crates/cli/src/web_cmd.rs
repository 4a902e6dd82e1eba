//! `onrecord serve`, `onrecord user ...` and the serving part of `onrecord demo --serve`: the web
//! application (crate `onrecord-web`) and its accounts.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use onrecord_web::accounts::{Accounts, Role, random_hex};

use crate::Outcome;
use crate::args::{Global, ServeArgs, UserCommand};

pub fn serve(g: &Global, a: ServeArgs) -> Result<Outcome> {
    let mut config = onrecord_web::ServeConfig::new(g.archive.clone(), a.listen);
    config.secure_cookies = a.behind_tls_proxy;
    config.max_upload_bytes = a.max_upload_mib.saturating_mul(1024 * 1024);
    config.tls = a.tls_cert.zip(a.tls_key);
    config.directory = a
        .directory
        .as_deref()
        .map(onrecord_app::read_directory)
        .transpose()?;
    let accounts = Accounts::new(&g.archive);
    if accounts.load()?.accounts.is_empty() {
        eprintln!(
            "onrecord: no web accounts yet: add one with `onrecord user add NAME --role admin`"
        );
    }
    onrecord_web::serve(config).map_err(|e| anyhow!(e))?;
    Ok(Outcome::Ok)
}

pub fn user(g: &Global, c: UserCommand) -> Result<Outcome> {
    // Accounts belong to an archive this version reads (an older format is refused, untouched).
    onrecord_app::open_reader(&g.archive, false)?;
    let accounts = Accounts::new(&g.archive);
    match c {
        UserCommand::Add(a) => {
            let role = Role::parse(&a.role).ok_or_else(|| anyhow!("unknown role {}", a.role))?;
            let password = match &a.password_file {
                Some(p) => std::fs::read_to_string(p)
                    .with_context(|| format!("reading the password file {}", p.display()))?
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string(),
                None => {
                    if !std::io::stdin().is_terminal() {
                        bail!(
                            "give the password with --password-file FILE (there is no terminal to ask on)"
                        );
                    }
                    let p = rpassword::prompt_password(format!("Password for {}: ", a.name))?;
                    let again = rpassword::prompt_password("The same again: ")?;
                    if p != again {
                        bail!("the two passwords differ");
                    }
                    p
                }
            };
            accounts.add(&a.name, role, &password, false)?;
            println!("added {} ({})", a.name, role.as_str());
        }
        UserCommand::List { json } => {
            let file = accounts.load()?;
            let now = jiff::Timestamp::now();
            let rows: Vec<serde_json::Value> = file
                .accounts
                .values()
                .map(|a| {
                    serde_json::json!({
                        "name": a.name, "role": a.role, "disabled": a.disabled,
                        "locked": a.locked(now), "created": a.created,
                        "tokens": a.tokens.iter().filter(|t| !t.revoked).map(|t| &t.id).collect::<Vec<_>>(),
                    })
                })
                .collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for a in file.accounts.values() {
                    let tokens: Vec<&str> = a
                        .tokens
                        .iter()
                        .filter(|t| !t.revoked)
                        .map(|t| t.id.as_str())
                        .collect();
                    println!(
                        "{}\t{}\t{}{}\ttokens: {}",
                        a.name,
                        a.role.as_str(),
                        if a.disabled { "disabled" } else { "enabled" },
                        if a.locked(now) { " (locked)" } else { "" },
                        if tokens.is_empty() {
                            "none".to_string()
                        } else {
                            tokens.join(" ")
                        }
                    );
                }
            }
        }
        UserCommand::Disable { name } => {
            accounts.set_disabled(&name, true)?;
            println!("disabled {name}; its API tokens are revoked");
        }
        UserCommand::Enable { name } => {
            accounts.set_disabled(&name, false)?;
            println!("enabled {name}");
        }
        UserCommand::Token(t) => {
            if t.revoke {
                let n = accounts.revoke_tokens(&t.name, t.id.as_deref())?;
                println!("revoked {n} token(s) of {}", t.name);
            } else {
                let token = accounts.new_token(&t.name)?;
                eprintln!(
                    "onrecord: the API token of {} (shown once; send it as `Authorization: Bearer TOKEN`):",
                    t.name
                );
                println!("{token}");
            }
        }
    }
    Ok(Outcome::Ok)
}

/// The demo department's directory (docs/directory.md): who in the sample exports is an
/// official, so that the contacts register and people's pages show their outside contacts.
const DEMO_DIRECTORY: &str = "\
department Department of Health and Social Care (demo)
official Rt Hon Jane Doe MP | Jane Doe
official Spad Tom
official Perm Sec
";

/// The demo's accounts, one per role, each with a one-time password (to change at first
/// sign-in), printed; then the server.
pub fn demo_serve(archive: &Path, listen: std::net::SocketAddr) -> Result<()> {
    let accounts = Accounts::new(archive);
    println!();
    println!("━━ serve — the web application, one demo account per role (one-time passwords)");
    for (name, role) in [
        ("depositor", Role::Depositor),
        ("records", Role::RecordsManager),
        ("foi", Role::FoiOfficer),
        ("auditor", Role::Auditor),
        ("admin", Role::Admin),
    ] {
        let password = random_hex()[..20].to_string();
        if accounts.get(name)?.is_none() {
            accounts.add(name, role, &password, true)?;
            println!("    {name:<10} {:<16} password {password}", role.as_str());
        } else {
            println!("    {name:<10} {:<16} (exists already)", role.as_str());
        }
    }
    println!("Open http://{listen}/ and sign in; Ctrl-C stops the server.");
    let mut config = onrecord_web::ServeConfig::new(archive.to_path_buf(), listen);
    config.directory = Some(onrecord_app::Directory::parse(DEMO_DIRECTORY)?);
    onrecord_web::serve(config).map_err(|e| anyhow!(e))
}
