//! `onrecord serve` as a process: HTTPS with `--tls-cert/--tls-key` (Secure `__Host-` cookies,
//! HSTS), and `onrecord user` on the archive. The certificate is made with the `openssl` command
//! and requests are sent with `curl`; without them the TLS test says so and skips (under
//! `CI=true` it fails).

mod util;

use std::process::Command;

use util::{Env, Server};

/// Starts `onrecord serve` with `extra` flags on a free port; the server and its base URL.
fn serve(env: &Env, extra: &[&str]) -> (Server, String) {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    util::serve(env.cmd(&args))
}

/// The first of the tools this test needs that is missing.
fn tools() -> Option<&'static str> {
    ["openssl", "curl"].into_iter().find(|tool| {
        Command::new(tool).arg("--version").output().is_err()
            && Command::new(tool).arg("version").output().is_err()
    })
}

#[test]
fn https_with_a_certificate_gives_secure_cookies_and_hsts() {
    if let Some(tool) = tools() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tool} is needed under CI"
        );
        eprintln!("skipped: {tool} is not installed");
        return;
    }
    let env = Env::new();
    env.init();
    let (cert, key) = (env.path().join("cert.pem"), env.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let (_server, url) = serve(
        &env,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(url.starts_with("https://"), "{url}");
    let out = Command::new("curl")
        .args(["-sk", "-D", "-", "-o", "/dev/null"])
        .arg(format!("{url}/sign-in"))
        .output()
        .unwrap();
    let headers = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(
        headers.contains("strict-transport-security: max-age="),
        "{headers}"
    );
    assert!(
        headers.contains("set-cookie: __host-onrecord_session=")
            && headers.contains("; secure")
            && headers.contains("httponly")
            && headers.contains("samesite=strict"),
        "{headers}"
    );
    // The public log is there for anyone, over TLS too.
    let out = Command::new("curl")
        .args(["-sk"])
        .arg(format!("{url}/log/checkpoint"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("\n— "),
        "a signed checkpoint"
    );
}

#[test]
fn user_accounts_on_the_command_line() {
    let env = Env::new();
    env.init();
    let pw = env.write("pw.txt", b"twelve chars or more\n");
    let pw = pw.to_str().unwrap();
    env.ok(&[
        "user",
        "add",
        "ann",
        "--role",
        "auditor",
        "--password-file",
        pw,
    ]);
    // Too short a password, an unknown role, a second account of the same name: refused.
    let short = env.write("short.txt", b"short\n");
    let o = env.run(&[
        "user",
        "add",
        "bob",
        "--role",
        "admin",
        "--password-file",
        short.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least 12 characters"));
    assert!(
        !env.run(&[
            "user",
            "add",
            "bob",
            "--role",
            "king",
            "--password-file",
            pw
        ])
        .status
        .success()
    );
    assert!(
        !env.run(&[
            "user",
            "add",
            "ann",
            "--role",
            "admin",
            "--password-file",
            pw
        ])
        .status
        .success()
    );

    let token = env.ok(&["user", "token", "ann"]);
    let token = token.trim();
    assert!(token.starts_with("onr_") && token.len() == 68, "{token}");
    let file = std::fs::read_to_string(env.archive().join("web-accounts.json")).unwrap();
    assert!(!file.contains(token), "the token is kept hashed only");
    assert!(file.contains("$argon2id$"), "{file}");
    assert!(!file.contains("twelve chars"), "no password in clear");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(env.archive().join("web-accounts.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let list = env.ok(&["user", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(v[0]["name"], "ann");
    assert_eq!(v[0]["tokens"].as_array().unwrap().len(), 1);
    env.ok(&["user", "disable", "ann"]);
    let v: serde_json::Value = serde_json::from_str(&env.ok(&["user", "list", "--json"])).unwrap();
    assert_eq!(v[0]["disabled"], true);
    assert!(
        v[0]["tokens"].as_array().unwrap().is_empty(),
        "disabling revokes tokens"
    );
}
