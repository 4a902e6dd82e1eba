//! `onrecord-s3-server --host H --port P --access-key K --secret-key S ROOT`: s3s-fs's S3 service
//! over the folder ROOT, with TCP_NODELAY on every accepted connection (see Cargo.toml for why).
//! The arguments are s3s-fs's own, so `.ci/services.sh` starts either.

use std::path::PathBuf;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use s3s_fs::FileSystem;
use tokio::net::TcpListener;

struct Args {
    host: String,
    port: u16,
    access_key: String,
    secret_key: String,
    root: PathBuf,
}

fn args() -> Result<Args, String> {
    let usage = "usage: onrecord-s3-server --host H --port P --access-key K --secret-key S ROOT";
    let mut it = std::env::args().skip(1);
    let (mut host, mut port, mut ak, mut sk, mut root) = (None, None, None, None, None);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value; {usage}"));
        match a.as_str() {
            "--host" => host = Some(value()?),
            "--port" => port = Some(value()?.parse::<u16>().map_err(|e| format!("--port: {e}"))?),
            "--access-key" => ak = Some(value()?),
            "--secret-key" => sk = Some(value()?),
            _ if a.starts_with("--") => return Err(format!("unknown option {a}; {usage}")),
            _ => root = Some(PathBuf::from(a)),
        }
    }
    Ok(Args {
        host: host.unwrap_or_else(|| "127.0.0.1".into()),
        port: port.unwrap_or(8014),
        access_key: ak.ok_or(usage)?,
        secret_key: sk.ok_or(usage)?,
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
        b.set_auth(SimpleAuth::from_single(args.access_key, args.secret_key));
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
