//! `onrecord-s3-server --host H --port P --access-key K --secret-key S ROOT`: s3s-fs's S3 service
//! over the folder ROOT, with TCP_NODELAY on every accepted connection (see Cargo.toml for why).
//! The arguments are s3s-fs's own, so `.ci/services.sh` starts either.
//!
//! `--read-only-key K --read-only-secret S [--read-only-writable PATTERN]...` adds a second
//! credential that may read anything (`Get*`, `Head*`, `List*` operations) and do anything else
//! only to object keys matching one of the patterns (`*` matches any run of characters, `/`
//! included, as in an IAM policy's resource). Every other request with it is answered 403
//! AccessDenied, as S3 answers a credential whose policy does not allow the action.

use std::path::PathBuf;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::SimpleAuth;
use s3s::path::S3Path;
use s3s::service::S3ServiceBuilder;
use s3s_fs::FileSystem;
use tokio::net::TcpListener;

struct Args {
    host: String,
    port: u16,
    access_key: String,
    secret_key: String,
    read_only: Option<(String, String)>,
    writable: Vec<String>,
    root: PathBuf,
}

/// The read-only credential's policy; the full credential may do anything.
struct Policy {
    read_only_key: String,
    writable: Vec<String>,
}

#[async_trait::async_trait]
impl S3Access for Policy {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> s3s::S3Result<()> {
        let Some(creds) = cx.credentials() else {
            eprintln!("denied: {} {} (no credentials)", cx.s3_op().name(), cx.uri());
            return Err(s3s::s3_error!(AccessDenied, "anonymous requests are refused"));
        };
        if creds.access_key != self.read_only_key {
            return Ok(());
        }
        let op = cx.s3_op().name();
        if ["Get", "Head", "List"].iter().any(|p| op.starts_with(p)) {
            return Ok(());
        }
        if let S3Path::Object { key, .. } = cx.s3_path()
            && self.writable.iter().any(|p| glob(p, key))
        {
            return Ok(());
        }
        eprintln!("denied: {op} {} (read-only credential)", cx.uri());
        Err(s3s::s3_error!(
            AccessDenied,
            "the read-only credential may not {op} here"
        ))
    }
}

/// `*` matches any run of characters (`/` included); everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for p in middle {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

fn args() -> Result<Args, String> {
    let usage = "usage: onrecord-s3-server --host H --port P --access-key K --secret-key S ROOT";
    let mut it = std::env::args().skip(1);
    let (mut host, mut port, mut ak, mut sk, mut root) = (None, None, None, None, None);
    let (mut ro_key, mut ro_secret, mut writable) = (None, None, Vec::new());
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value; {usage}"));
        match a.as_str() {
            "--host" => host = Some(value()?),
            "--port" => port = Some(value()?.parse::<u16>().map_err(|e| format!("--port: {e}"))?),
            "--access-key" => ak = Some(value()?),
            "--secret-key" => sk = Some(value()?),
            "--read-only-key" => ro_key = Some(value()?),
            "--read-only-secret" => ro_secret = Some(value()?),
            "--read-only-writable" => writable.push(value()?),
            _ if a.starts_with("--") => return Err(format!("unknown option {a}; {usage}")),
            _ => root = Some(PathBuf::from(a)),
        }
    }
    Ok(Args {
        host: host.unwrap_or_else(|| "127.0.0.1".into()),
        port: port.unwrap_or(8014),
        access_key: ak.ok_or(usage)?,
        secret_key: sk.ok_or(usage)?,
        read_only: match (ro_key, ro_secret) {
            (Some(k), Some(s)) => Some((k, s)),
            (None, None) => None,
            _ => return Err("--read-only-key and --read-only-secret go together".into()),
        },
        writable,
        root: root.ok_or(usage)?,
    })
}

fn main() {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(args) {
        eprintln!("onrecord-s3-server: {e}");
        std::process::exit(1);
    }
}

#[tokio::main]
async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let fs = FileSystem::new(&args.root).map_err(|e| format!("{}: {e:?}", args.root.display()))?;
    let service = {
        let mut b = S3ServiceBuilder::new(fs);
        let mut auth = SimpleAuth::from_single(args.access_key, args.secret_key);
        if let Some((key, secret)) = args.read_only {
            auth.register(key.clone(), secret.into());
            b.set_access(Policy {
                read_only_key: key,
                writable: args.writable,
            });
        }
        b.set_auth(auth);
        b.build()
    };
    let listener = TcpListener::bind((args.host.as_str(), args.port)).await?;
    eprintln!("server is running at http://{}", listener.local_addr()?);
    let server = ConnBuilder::new(TokioExecutor::new());
    loop {
        let (socket, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("accepting a connection: {e}");
                continue;
            }
        };
        // The point of this binary: answer without waiting for the client's delayed ACK.
        if let Err(e) = socket.set_nodelay(true) {
            eprintln!("TCP_NODELAY: {e}");
        }
        let conn = server
            .serve_connection(TokioIo::new(socket), service.clone())
            .into_owned();
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_match_as_iam_resources_do() {
        assert!(glob("*/audit/*", "archive-1/audit/tile/0/000"));
        assert!(glob("*/audit/*", "x/audit/"));
        assert!(!glob("*/audit/*", "archive-1/log/checkpoint"));
        assert!(!glob("*/audit/*", "audit/checkpoint"));
        assert!(glob("audit/*", "audit/checkpoint"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
        assert!(glob("a*b*c", "a--b--c"));
        assert!(!glob("a*b*c", "a--c--b"));
        assert!(glob("*", ""));
    }
}
