//! The web application in process (`router()` driven with `oneshot`): the route-by-role matrix,
//! CSRF, sessions across accounts, the sign-in lock, the OpenAPI document, the security headers
//! and escaping.

use std::path::Path;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use onrecord_web::accounts::{Accounts, Role};
use onrecord_web::auth::{Permission, ROUTES, allowed};
use onrecord_web::{AppState, ServeConfig, router};
use tower::ServiceExt as _;

/// Words that only message text holds: no page or answer for an auditor may contain them.
const SECRET: &str = "zebracornflake";
const PASSWORD: &str = "correct horse battery staple";
/// Who asked for the open case: private, seen only by the roles that see cases.
const REQUESTER: &str = "Pat Quillfeather <pat@example.org>";
const REQUESTER_WORD: &str = "Quillfeather";
/// An open case (received long ago: overdue) and a closed one; a slash in a reference is fine.
const CASE: &str = "FOI/2024/001";
const CASE_PATH: &str = "FOI%2F2024%2F001";
const CLOSED: &str = "FOI/2024/000";

struct Fixture {
    _dir: tempfile::TempDir,
    app: axum::Router,
    /// (role, name, API token)
    tokens: Vec<(Role, String, String)>,
    conversation: String,
    deposit: String,
}

fn export(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("WhatsApp Chat with Web Test.txt");
    std::fs::write(
        &path,
        format!(
            "12/03/2024, 09:15 - Alice Example: the {SECRET} figures <script>alert(1)</script> & more\n\
             12/03/2024, 09:16 - Bob Example: agreed, sign the contract today\n\
             13/03/2024, 10:00 - Alice Example: thanks\n"
        ),
    )
    .unwrap();
    path
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    let mut archive = onrecord_app::init(&root, Some("test.example/log")).unwrap();
    let request = onrecord_app::IngestRequest {
        path: export(dir.path()),
        depositor: Some("depositor".into()),
        read: onrecord_app::ReadOptions {
            tz: Some("Europe/London".into()),
            ..Default::default()
        },
    };
    let outcome = onrecord_app::ingest(
        &mut archive,
        &[request],
        onrecord_app::IngestConfig::default(),
        &mut |_, _| {},
    );
    let receipt = outcome.deposits.into_iter().next().unwrap().result.unwrap();
    let conversation = receipt.conversations[0].id.clone();
    open_cases(&archive);
    drop(archive);
    let accounts = Accounts::new(&root);
    let mut tokens = Vec::new();
    for role in Role::ALL {
        let name = role.as_str().to_string();
        accounts.add(&name, role, PASSWORD, false).unwrap();
        tokens.push((role, name.clone(), accounts.new_token(&name).unwrap()));
    }
    // The depositor's receipt, as an upload through the web would have kept it.
    accounts
        .add_deposit(
            "depositor",
            onrecord_web::accounts::DepositRow {
                deposit_id: receipt.deposit_id.clone(),
                file_name: receipt.file_name.clone(),
                received_at: receipt.received_at.clone(),
                receipt: serde_json::to_value(&receipt).unwrap(),
            },
        )
        .unwrap();
    let (reader, _) = onrecord_app::open_reader(&root, true).unwrap();
    let mut config = ServeConfig::new(root, "127.0.0.1:0".parse().unwrap());
    config.directory =
        Some(onrecord_app::Directory::parse("department Test\nofficial Alice Example\n").unwrap());
    Fixture {
        app: router(AppState::new(config, reader)),
        _dir: dir,
        tokens,
        conversation,
        deposit: receipt.deposit_id,
    }
}

/// The cases, through the application layer as `onrecord case` makes them.
fn open_cases(archive: &onrecord_app::Archive) {
    for (name, received, requester) in [
        (CLOSED, "2024-03-01", "Someone Else"),
        (CASE, "2024-03-14", REQUESTER),
    ] {
        onrecord_app::case_open(
            archive,
            &onrecord_app::CaseOpenRequest {
                name: name.into(),
                regime: None,
                received: received.into(),
                requester: Some(requester.into()),
                request_file: None,
            },
            Some("foi-officer"),
        )
        .unwrap();
    }
    onrecord_app::case_close(
        archive,
        CLOSED,
        "2024-03-20",
        "disclosed in full",
        Some("foi-officer"),
    )
    .unwrap();
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn send(app: &axum::Router, req: Request<Body>) -> Answer {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// A concrete path for a route pattern.
fn concrete(pattern: &str, f: &Fixture) -> String {
    pattern
        .replace("{*path}", "checkpoint")
        .replace("/assets/checkpoint", "/assets/app.css")
        .replace("{id}/receipt.json", &format!("{}/receipt.json", f.deposit))
        .replace("/deposits/{id}", &format!("/deposits/{}", f.deposit))
        .replace("{id}", &f.conversation)
        .replace("/cases/{name}", &format!("/cases/{CASE_PATH}"))
        .replace("{name}", "Alice%20Example")
}

/// A body for a POST route that the handler reads without changing anything it matters that it
/// changes (refused as a bad request, or harmless).
fn post_body(path: &str) -> (String, Body) {
    if path.starts_with("/api/") {
        let body = match path {
            "/api/v1/review" => r#"{"record":"00000000","decision":"accept","reason":"test"}"#,
            "/api/v1/holds" => r#"{"name":"","query":"","authority":"x","reason":"x"}"#,
            "/api/v1/holds/release" => r#"{"name":"","authority":"x","reason":"x"}"#,
            "/api/v1/disposal" => r#"{"batch":"0000"}"#,
            _ => "{}",
        };
        if path == "/api/v1/deposits" {
            return (
                "multipart/form-data; boundary=XX".into(),
                Body::from("--XX--\r\n"),
            );
        }
        return ("application/json".into(), Body::from(body));
    }
    if path == "/deposits" {
        return (
            "multipart/form-data; boundary=XX".into(),
            Body::from("--XX--\r\n"),
        );
    }
    (
        "application/x-www-form-urlencoded".into(),
        Body::from("record=00000000&batch=0000&name=&query="),
    )
}

#[test]
fn every_route_by_every_role() {
    let f = fixture();
    let rt = runtime();
    rt.block_on(async {
        let mut checked = 0;
        for (method, pattern, needs) in ROUTES {
            // Sign-in and sign-out are about sessions, not roles (tested below).
            if matches!(*pattern, "/sign-in" | "/sign-out") {
                continue;
            }
            let path = concrete(pattern, &f);
            let method: Method = method.parse().unwrap();
            let mut who: Vec<Option<&(Role, String, String)>> = vec![None];
            who.extend(f.tokens.iter().map(Some));
            for w in who {
                let mut req = Request::builder().method(method.clone()).uri(&path);
                if let Some((_, _, token)) = w {
                    req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
                }
                let body = if method == Method::POST {
                    let (ctype, body) = post_body(&path);
                    req = req.header(header::CONTENT_TYPE, ctype);
                    body
                } else {
                    Body::empty()
                };
                let a = send(&f.app, req.body(body).unwrap()).await;
                let label = format!("{method} {path} as {:?}", w.map(|w| w.0));
                let may = match w {
                    None => *needs == Permission::Public,
                    Some((role, _, _)) => allowed(*role, *needs),
                };
                if may {
                    assert!(
                        a.status != StatusCode::FORBIDDEN
                            && a.status != StatusCode::UNAUTHORIZED
                            && !a.status.is_server_error()
                            && a.status != StatusCode::SEE_OTHER,
                        "{label}: allowed, but {}: {}",
                        a.status,
                        a.body
                    );
                    if method == Method::GET && !path.contains("/log/") {
                        assert!(a.status.is_success(), "{label}: {} {}", a.status, a.body);
                    }
                } else if w.is_none() {
                    let expect = if path.starts_with("/api/") {
                        StatusCode::UNAUTHORIZED
                    } else {
                        StatusCode::SEE_OTHER
                    };
                    assert_eq!(a.status, expect, "{label}: {}", a.body);
                } else {
                    assert_eq!(a.status, StatusCode::FORBIDDEN, "{label}: {}", a.body);
                }
                if matches!(w, Some((Role::Auditor, _, _))) || w.is_none() {
                    assert!(!a.body.contains(SECRET), "{label}: message text leaked");
                }
                // Who asked for a case: only for the roles that see cases.
                if w.is_none_or(|(role, _, _)| !allowed(*role, Permission::Cases)) {
                    assert!(
                        !a.body.contains(REQUESTER_WORD),
                        "{label}: the requester leaked"
                    );
                }
                checked += 1;
            }
        }
        assert!(checked > 250, "{checked}");
    });
}

#[test]
fn content_is_seen_by_those_allowed_and_escaped() {
    let f = fixture();
    let rt = runtime();
    rt.block_on(async {
        let token = &f.tokens.iter().find(|t| t.0 == Role::FoiOfficer).unwrap().2;
        let get = |path: String| {
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap()
        };
        let a = send(&f.app, get(format!("/search?q={SECRET}"))).await;
        assert!(a.body.contains(SECRET), "{}", a.body);
        let a = send(&f.app, get(format!("/conversations/{}", f.conversation))).await;
        assert!(a.body.contains(SECRET));
        assert!(
            a.body
                .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more")
        );
        assert!(!a.body.contains("<script>alert(1)"));
        // Both reads are in the audit log, under the account's name.
        let auditor = &f.tokens.iter().find(|t| t.0 == Role::Auditor).unwrap().2;
        let a = send(
            &f.app,
            Request::get("/api/v1/audit")
                .header(header::AUTHORIZATION, format!("Bearer {auditor}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        let actions: Vec<(String, String)> = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["actor"].as_str().unwrap().to_string(),
                    e["action"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert!(
            actions.contains(&("foi-officer (web, unknown)".into(), "search".into())),
            "{actions:?}"
        );
        assert!(
            actions.contains(&("foi-officer (web, unknown)".into(), "show".into())),
            "{actions:?}"
        );
        // The contacts register and the person's outside contacts, from the directory.
        let a = send(&f.app, get("/reports/contacts".into())).await;
        assert!(a.body.contains("Bob Example"), "{}", a.body);
        let a = send(&f.app, get("/people/Alice%20Example".into())).await;
        assert!(
            a.body.contains("Outside contacts") && a.body.contains("Bob Example"),
            "{}",
            a.body
        );
    });
}

/// Signs in through the form: (session cookie, CSRF token).
async fn sign_in(
    app: &axum::Router,
    name: &str,
    password: &str,
) -> Result<(String, String), Answer> {
    let a = send(app, Request::get("/sign-in").body(Body::empty()).unwrap()).await;
    let cookie = a.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = token_in(&a.body);
    let a = send(
        app,
        Request::post("/sign-in")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "csrf={csrf}&name={name}&password={}",
                password.replace(' ', "+")
            )))
            .unwrap(),
    )
    .await;
    if a.status != StatusCode::SEE_OTHER {
        return Err(a);
    }
    let cookie = a.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = send(
        app,
        Request::get("/")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    Ok((cookie, token_in(&page.body)))
}

fn token_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    html[at..at + 64].to_string()
}

fn form_post(path: &str, cookie: &str, body: String) -> Request<Body> {
    Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

#[test]
fn sessions_cookies_and_csrf() {
    let f = fixture();
    let rt = runtime();
    rt.block_on(async {
        let (cookie, csrf) = sign_in(&f.app, "records-manager", PASSWORD)
            .await
            .map_err(|a| a.body)
            .unwrap();
        let set = send(
            &f.app,
            Request::get("/sign-in").body(Body::empty()).unwrap(),
        )
        .await;
        let c = set.headers[header::SET_COOKIE].to_str().unwrap();
        assert!(
            c.contains("HttpOnly") && c.contains("SameSite=Strict"),
            "{c}"
        );

        let hold = "name=h1&query=contract&authority=case+1&reason=test";
        // Without the token, and with a made-up one: refused.
        let a = send(&f.app, form_post("/records/holds", &cookie, hold.into())).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        let a = send(
            &f.app,
            form_post(
                "/records/holds",
                &cookie,
                format!("csrf={}&{hold}", "0".repeat(64)),
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        // Another account's token with this session: refused; this session's own: done.
        let (other_cookie, other_csrf) = sign_in(&f.app, "foi-officer", PASSWORD)
            .await
            .map_err(|a| a.body)
            .unwrap();
        let a = send(
            &f.app,
            form_post(
                "/records/holds",
                &cookie,
                format!("csrf={other_csrf}&{hold}"),
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        // The other account's session cannot act as a records manager, even with the token.
        let a = send(
            &f.app,
            form_post(
                "/records/holds",
                &other_cookie,
                format!("csrf={csrf}&{hold}"),
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        let a = send(
            &f.app,
            form_post("/records/holds", &cookie, format!("csrf={csrf}&{hold}")),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert!(a.body.contains("Hold placed on 1 records"), "{}", a.body);

        // Signed out, the cookie is worth nothing.
        let a = send(
            &f.app,
            form_post("/sign-out", &cookie, format!("csrf={csrf}")),
        )
        .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        let a = send(
            &f.app,
            Request::get("/")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);

        // A depositor sees only their own deposits.
        let accounts = Accounts::new(&f._dir.path().join("archive"));
        accounts
            .add("depositor2", Role::Depositor, PASSWORD, false)
            .unwrap();
        let (c2, _) = sign_in(&f.app, "depositor2", PASSWORD)
            .await
            .map_err(|a| a.body)
            .unwrap();
        let a = send(
            &f.app,
            Request::get(format!("/deposits/{}", f.deposit))
                .header(header::COOKIE, &c2)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        let (c1, _) = sign_in(&f.app, "depositor", PASSWORD)
            .await
            .map_err(|a| a.body)
            .unwrap();
        let a = send(
            &f.app,
            Request::get(format!("/deposits/{}", f.deposit))
                .header(header::COOKIE, &c1)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK);

        // A disabled account's session ends at once.
        accounts.set_disabled("depositor", true).unwrap();
        let a = send(
            &f.app,
            Request::get("/")
                .header(header::COOKIE, &c1)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
    });
}

#[test]
fn ten_wrong_passwords_lock_the_account() {
    let f = fixture();
    let rt = runtime();
    rt.block_on(async {
        for _ in 0..9 {
            let a = sign_in(&f.app, "auditor", "wrong password, wrong")
                .await
                .err()
                .unwrap();
            assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        }
        let a = sign_in(&f.app, "auditor", "wrong password, wrong")
            .await
            .err()
            .unwrap();
        assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
        // Now even the right password is refused, for a while.
        let a = sign_in(&f.app, "auditor", PASSWORD).await.err().unwrap();
        assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(a.body.contains("locked"));
        // Other accounts are not affected.
        sign_in(&f.app, "admin", PASSWORD)
            .await
            .map_err(|a| a.body)
            .unwrap();
    });
}

#[test]
fn openapi_document_is_3_1_and_covers_the_api() {
    let f = fixture();
    let rt = runtime();
    rt.block_on(async {
        let a = send(
            &f.app,
            Request::get("/api/v1/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK);
        let doc: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        for (method, path, _) in ROUTES {
            if let Some(rest) = path.strip_prefix("/api/v1/")
                && rest != "openapi.json"
            {
                let op = &doc["paths"][*path][method.to_ascii_lowercase()];
                assert!(op.is_object(), "{method} {path} is not in the document");
            }
        }
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    });
}

#[test]
fn security_headers_and_the_public_log() {
    let f = fixture();
    let rt = runtime();
    rt.block_on(async {
        let a = send(
            &f.app,
            Request::get("/sign-in").body(Body::empty()).unwrap(),
        )
        .await;
        let csp = a.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(a.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(a.headers[header::CACHE_CONTROL], "no-store");
        assert!(a.headers.contains_key(header::REFERRER_POLICY));
        assert!(!a.body.contains("<script>"), "no inline script");
        let a = send(
            &f.app,
            Request::get("/log/checkpoint").body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK);
        assert!(a.body.starts_with("test.example/log\n"), "{}", a.body);
        assert!(
            a.headers[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("no-cache")
        );
        for bad in [
            "/log/keys/log.key",
            "/log/../onrecord.json",
            "/log/tile/0/../../x",
        ] {
            let a = send(&f.app, Request::get(bad).body(Body::empty()).unwrap()).await;
            assert_eq!(a.status, StatusCode::NOT_FOUND, "{bad}");
        }
        // The assets come embedded, the text ones gzipped for a browser that takes gzip.
        let a = send(
            &f.app,
            Request::get("/assets/govuk-frontend.min.css")
                .header(header::ACCEPT_ENCODING, "gzip, deflate, br")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.headers[header::CONTENT_ENCODING], "gzip");
        assert!(a.body.len() < 40_000, "{}", a.body.len());
        let a = send(
            &f.app,
            Request::get("/debug/pprof").body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
    });
}

/// A chat exported from two phones and merged: the conversation page shows each message once,
/// with the deposits that hold it, and marks the message one export lacks in place.
#[test]
fn a_merged_conversation_shows_its_findings_in_place() {
    let lines = [
        "12/03/2024, 09:15 - Alice Example: first we meet at the ministry",
        "12/03/2024, 09:16 - Bob Example: the quarterly figures are attached",
        "12/03/2024, 09:17 - Alice Example: a message only one phone kept",
        "12/03/2024, 09:18 - Bob Example: agreed, sign the contract today",
        "12/03/2024, 09:19 - Alice Example: thanks, see you tomorrow",
    ];
    let without: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, l)| *l)
        .collect();
    let (_dir, root, ids) = two_phones("Merge Test", &lines, &without, false);
    let archive = onrecord_app::open(&root).unwrap();
    onrecord_app::merge(&archive, &ids, Some("test"), "one chat, two phones").unwrap();
    drop(archive);
    let (app, token) = serve_as(root, "foi", Role::FoiOfficer);
    runtime().block_on(async {
        let a = send(
            &app,
            Request::get(format!("/conversations/{}", ids[0]))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert!(a.body.contains("Merged from 2 exports"), "{}", a.body);
        assert_eq!(
            a.body.matches("the quarterly figures are attached").count(),
            1
        );
        assert!(a.body.contains("Missing from one export"), "{}", a.body);
        assert!(a.body.contains("Bob&#39;s office") || a.body.contains("Bob's office"));
    });
}

#[test]
fn a_changed_password_ends_the_accounts_other_sessions() {
    let f = fixture();
    runtime().block_on(async {
        let (first, _) = sign_in(&f.app, "admin", PASSWORD)
            .await
            .map_err(|a| a.body)
            .unwrap();
        let (second, csrf) = sign_in(&f.app, "admin", PASSWORD)
            .await
            .map_err(|a| a.body)
            .unwrap();
        let new = "a new password, long enough";
        let a = send(
            &f.app,
            form_post(
                "/password",
                &second,
                format!(
                    "csrf={csrf}&current_password={}&new_password={}",
                    PASSWORD.replace(' ', "+"),
                    new.replace(' ', "+").replace(',', "%2C")
                ),
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert!(a.body.contains("Password changed"));
        let renewed = a.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        for (cookie, expect) in [
            (&first, StatusCode::SEE_OTHER),
            (&second, StatusCode::SEE_OTHER),
            (&renewed, StatusCode::OK),
        ] {
            let a = send(
                &f.app,
                Request::get("/")
                    .header(header::COOKIE, cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
            assert_eq!(a.status, expect);
        }
        sign_in(&f.app, "admin", new)
            .await
            .map_err(|a| a.body)
            .unwrap();
    });
}

/// A case opened through the application layer, read back through the pages and the API: the
/// FOI officer and the records manager see it with its requester (audited); the disclosure log,
/// which the auditor reads too, has the answered case and nothing about who asked.
#[test]
fn cases_and_the_disclosure_log_through_pages_and_api() {
    let f = fixture();
    let token = |role: Role| f.tokens.iter().find(|t| t.0 == role).unwrap().2.clone();
    let get = |path: &str, role: Role| {
        Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", token(role)))
            .body(Body::empty())
            .unwrap()
    };
    runtime().block_on(async {
        for role in [Role::FoiOfficer, Role::RecordsManager] {
            // The list: the open case first (overdue: received in 2024), with its requester.
            let a = send(&f.app, get("/api/v1/cases", role)).await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
            let list = v.as_array().unwrap();
            assert_eq!(list.len(), 2, "{v}");
            assert_eq!(list[0]["name"], CASE);
            assert_eq!(list[0]["status"], "overdue");
            assert_eq!(list[0]["overdue"], true);
            assert_eq!(list[0]["requester"], REQUESTER);
            assert!(list[0]["days_left"].as_i64().unwrap() < 0);
            assert_eq!(list[1]["name"], CLOSED);
            assert_eq!(list[1]["status"], "closed");
            let a = send(&f.app, get("/api/v1/cases?overdue=true", role)).await;
            let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
            let names: Vec<&str> = v
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap())
                .collect();
            assert_eq!(names, [CASE]);
            // One case with its steps.
            let a = send(&f.app, get(&format!("/api/v1/cases/{CASE_PATH}"), role)).await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
            assert_eq!(v["name"], CASE);
            assert_eq!(v["requester"], REQUESTER);
            assert_eq!(v["steps"][0]["event"], "open");
            assert_eq!(v["received"], "2024-03-14");
            let a = send(&f.app, get("/api/v1/cases/no-such-case", role)).await;
            assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
            // The pages: the list flags the overdue case and links to it; the case page shows
            // its clock, its requester (escaped) and its steps.
            let a = send(&f.app, get("/cases", role)).await;
            assert_eq!(a.status, StatusCode::OK);
            assert!(a.body.contains("govuk-tag--red"), "{}", a.body);
            assert!(
                a.body.contains(&format!("href=\"/cases/{CASE_PATH}\"")),
                "{}",
                a.body
            );
            assert!(a.body.contains(">Cases<"), "the navigation: {}", a.body);
            // The dashboard lists the overdue case (and not who asked).
            let a = send(&f.app, get("/api/v1/dashboard", role)).await;
            let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
            assert_eq!(v["cases_overdue"][0]["name"], CASE, "{v}");
            assert!(!a.body.contains(REQUESTER_WORD));
            let a = send(&f.app, get("/", role)).await;
            assert!(a.body.contains("Overdue cases") && a.body.contains(CASE_PATH));
            let a = send(&f.app, get(&format!("/cases/{CASE_PATH}"), role)).await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            assert!(
                a.body.contains("Pat Quillfeather &lt;pat@example.org&gt;"),
                "{}",
                a.body
            );
            assert!(!a.body.contains("<pat@example.org>"));
            for want in [
                "Working days left",
                "Overdue",
                "2024-03-14",
                "Steps",
                "open",
            ] {
                assert!(a.body.contains(want), "{want}: {}", a.body);
            }
        }

        // The disclosure log, for the auditor too: the answered case, no requester.
        for role in [Role::FoiOfficer, Role::RecordsManager, Role::Auditor] {
            let a = send(&f.app, get("/api/v1/disclosure-log", role)).await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
            let rows = v.as_array().unwrap();
            assert_eq!(rows.len(), 1, "{v}");
            assert_eq!(rows[0]["reference"], CLOSED);
            assert_eq!(rows[0]["outcome"], "disclosed in full");
            assert_eq!(rows[0]["late"], false);
            let a = send(&f.app, get("/api/v1/disclosure-log?all=true", role)).await;
            let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
            assert_eq!(v.as_array().unwrap().len(), 2, "{v}");
            for path in ["/api/v1/disclosure-log.csv", "/disclosure-log.csv?all=true"] {
                let a = send(&f.app, get(path, role)).await;
                assert_eq!(a.status, StatusCode::OK);
                assert!(
                    a.headers[header::CONTENT_TYPE]
                        .to_str()
                        .unwrap()
                        .starts_with("text/csv")
                );
                assert!(a.body.starts_with("reference,regime,"), "{}", a.body);
                assert!(a.body.contains(CLOSED), "{}", a.body);
                assert_eq!(a.body.contains(CASE), path.contains("all=true"));
            }
            let a = send(&f.app, get("/disclosure-log", role)).await;
            assert_eq!(a.status, StatusCode::OK);
            assert!(a.body.contains(CLOSED) && !a.body.contains(CASE));
            assert!(
                a.body.contains("href=\"/disclosure-log.csv\""),
                "{}",
                a.body
            );
            assert!(!a.body.contains(REQUESTER_WORD) && !a.body.contains("Someone Else"));
            let a = send(&f.app, get("/disclosure-log?all=true", role)).await;
            assert!(a.body.contains(CASE), "{}", a.body);
            assert!(!a.body.contains(REQUESTER_WORD) && !a.body.contains("Someone Else"));
            // The auditor's navigation has the log, not the cases.
            let cases_nav = a.body.contains("href=\"/cases\"");
            assert_eq!(cases_nav, role != Role::Auditor, "{role:?}");
        }

        // Who read a case (and its requester) is in the audit log.
        let a = send(&f.app, get("/api/v1/audit", Role::Auditor)).await;
        let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        let events: Vec<(String, String, String)> = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["actor"].as_str().unwrap().to_string(),
                    e["action"].as_str().unwrap().to_string(),
                    e["subject"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        for (actor, action, subject) in [
            ("foi-officer", "cases", "every case and its requester"),
            ("foi-officer", "case", &format!("case {CASE}")[..]),
            ("records-manager", "case", &format!("case {CASE}")[..]),
            ("auditor", "download", "disclosure log (CSV)"),
        ] {
            let actor = format!("{actor} (web, unknown)");
            assert!(
                events.contains(&(actor.clone(), action.into(), subject.into())),
                "{actor} {action} {subject}: {events:?}"
            );
        }
        assert!(!a.body.contains(REQUESTER_WORD));
    });
}

/// Facets count every match, not the hits returned: one hit asked for, and the counts by channel,
/// person and conversation still add up to every record that matches; the page links each value
/// to the search narrowed by it.
#[test]
fn facets_count_every_match_and_narrow_the_search() {
    let f = fixture();
    let rt = runtime();
    rt.block_on(async {
        let token = &f.tokens.iter().find(|t| t.0 == Role::FoiOfficer).unwrap().2;
        let get = |path: &str| {
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap()
        };
        let a = send(&f.app, get("/api/v1/search?q=&limit=1&facets=true")).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        let total = v["total"].as_u64().unwrap();
        assert!(total >= 3, "{v}");
        assert_eq!(v["hits"].as_array().unwrap().len(), 1);
        let facets = &v["facets"];
        let sum = |name: &str| -> u64 {
            facets[name]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["count"].as_u64().unwrap())
                .sum()
        };
        assert_eq!(sum("channel"), total, "{facets}");
        assert_eq!(sum("conversation"), total, "{facets}");
        assert_eq!(facets["conversation"][0]["value"], f.conversation.as_str());
        assert_eq!(facets["conversation"][0]["title"], "Web Test");
        let people: Vec<(String, u64)> = facets["person"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["value"].as_str().unwrap().to_string(),
                    x["count"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            people,
            vec![
                ("Alice Example".to_string(), 2),
                ("Bob Example".to_string(), 1)
            ]
        );
        assert_eq!(facets["distinct"]["person"], 2);
        assert_eq!(facets["label_scope"], "hits shown");
        // A filter narrows the counts with the hits.
        let a = send(
            &f.app,
            get("/api/v1/search?q=&person=Bob%20Example&facets=true"),
        )
        .await;
        let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        assert_eq!(v["total"], 1, "{v}");
        assert_eq!(v["facets"]["person"][0]["value"], "Bob Example");
        // A label filter applies before the limit: its total and hits are every record whose
        // standing label it is, counted here from the unfiltered answer.
        let a = send(&f.app, get("/api/v1/search?q=&limit=200")).await;
        let all: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        let standing = |h: &serde_json::Value| {
            let labels = h["labels"].as_array().cloned().unwrap_or_default();
            labels
                .iter()
                .rev()
                .find(|l| l["source"] == "person")
                .or(labels.last())
                .and_then(|l| l["label"].as_str().map(str::to_string))
        };
        let mut checked = 0;
        for label in ["significant", "trivial"] {
            let want = all["hits"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|h| standing(h).as_deref() == Some(label))
                .count();
            let a = send(
                &f.app,
                get(&format!(
                    "/api/v1/search?q=&label={label}&limit=1&facets=true"
                )),
            )
            .await;
            let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
            assert_eq!(v["total"].as_u64().unwrap() as usize, want, "{label}: {v}");
            // The facets count the labelled matches, not every match of the other filters.
            let by_channel: u64 = v["facets"]["channel"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["count"].as_u64().unwrap())
                .sum();
            assert_eq!(by_channel as usize, want, "{label}: {v}");
            assert_eq!(
                v["hits"].as_array().unwrap().len(),
                want.min(1),
                "{label}: {v}"
            );
            for h in v["hits"].as_array().unwrap() {
                assert_eq!(standing(h).as_deref(), Some(label), "{h}");
            }
            checked += want;
        }
        assert!(checked > 0, "the fixture's records are labelled: {all}");
        // The page links each value to the narrowed search.
        let a = send(&f.app, get("/search?q=contract")).await;
        assert!(
            a.body
                .contains("href=\"/search?q=contract&amp;person=Bob+Example\""),
            "{}",
            a.body
        );
    });
}

/// A hold placed and released through the API: the release is the records manager's, with its
/// authority; a second release, or one of a hold that does not exist, is refused.
#[test]
fn a_hold_is_placed_and_released_through_the_api() {
    let f = fixture();
    let rt = runtime();
    rt.block_on(async {
        let token = &f.tokens.iter().find(|t| t.0 == Role::RecordsManager).unwrap().2;
        let post = |path: &str, body: &str| {
            Request::post(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap()
        };
        let a = send(
            &f.app,
            post(
                "/api/v1/holds",
                r#"{"name":"inquiry-7","query":"contract","authority":"Inquiry notice 7","reason":"in scope"}"#,
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let release = r#"{"name":"inquiry-7","authority":"Inquiry closed","reason":"no longer needed"}"#;
        let a = send(&f.app, post("/api/v1/holds/release", release)).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let a = send(
            &f.app,
            Request::get("/api/v1/holds")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        let holds: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        let hold = holds
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"] == "inquiry-7")
            .unwrap_or_else(|| panic!("{holds}"));
        assert!(!hold["released"].is_null(), "{hold}");
        let again = send(&f.app, post("/api/v1/holds/release", release)).await;
        assert!(again.status.is_client_error(), "{} {}", again.status, again.body);
        let none = send(
            &f.app,
            post(
                "/api/v1/holds/release",
                r#"{"name":"no-such-hold","authority":"x","reason":"x"}"#,
            ),
        )
        .await;
        assert!(none.status.is_client_error(), "{} {}", none.status, none.body);
    });
}

/// Merging from the web: the records manager sees two phones' exports of one chat suggested,
/// merges them with a reason (form posts, CSRF and all, as the browser sends them), sees the merge
/// in force, and undoes it; the API answers the same. A title is never taken for an id.
#[test]
fn merges_are_suggested_confirmed_and_undone_from_the_web() {
    let lines: Vec<String> = (0..40)
        .map(|i| {
            format!(
                "12/03/2024, 09:{:02} - {}: point {i} of the procurement plan, item {}",
                i % 60,
                if i % 2 == 0 {
                    "Alice Example"
                } else {
                    "Bob Example"
                },
                i * 7
            )
        })
        .collect();
    let (_dir, root, ids) = two_phones("Merge Page", &lines, &lines[3..], true);
    let (app, token) = serve_as(root, "rm", Role::RecordsManager);
    runtime().block_on(async {
        let get = |path: &str| {
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap()
        };
        let a = send(&app, get("/api/v1/merges")).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        let group: Vec<&str> = v["suggestions"][0]["conversations"]
            .as_array()
            .unwrap_or_else(|| panic!("no suggestion: {v}"))
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        let mut sorted = group.clone();
        sorted.sort();
        let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
        expected.sort();
        assert_eq!(sorted, expected);
        assert!(v["merged"].as_array().unwrap().is_empty());

        // The page, signed in as a browser is: the suggestion with its form.
        let (cookie, _) = sign_in(&app, "rm", PASSWORD)
            .await
            .unwrap_or_else(|a| panic!("{}", a.body));
        let page = send(
            &app,
            Request::get("/records/merges")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert!(
            page.body.contains("Merge these conversations"),
            "{}",
            page.body
        );
        let csrf = token_in(&page.body);
        // Without a reason: refused, nothing merged.
        let body = format!(
            "csrf={csrf}&conversation={}&conversation={}&reason=",
            group[0], group[1]
        );
        let a = send(&app, form_post("/records/merges", &cookie, body)).await;
        assert!(a.body.contains("Give a reason"), "{}", a.body);
        // A title is not an id.
        let body = format!(
            "csrf={csrf}&conversation=Merge+Page&conversation={}&reason=x",
            group[1]
        );
        let a = send(&app, form_post("/records/merges", &cookie, body)).await;
        assert!(a.body.contains("by its id"), "{}", a.body);
        let body = format!(
            "csrf={csrf}&conversation={}&conversation={}&reason=one+chat%2C+two+phones",
            group[0], group[1]
        );
        let a = send(&app, form_post("/records/merges", &cookie, body)).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert!(a.body.contains("Merged:"), "{}", a.body);
        assert!(a.body.contains("Undo this merge"), "{}", a.body);

        let v: serde_json::Value =
            serde_json::from_str(&send(&app, get("/api/v1/merges")).await.body).unwrap();
        assert_eq!(v["merged"].as_array().unwrap().len(), 1, "{v}");
        assert_eq!(v["merged"][0]["conversation"]["id"], group[0]);
        assert!(v["suggestions"].as_array().unwrap().is_empty(), "{v}");

        let body = format!("csrf={csrf}&conversation={}&reason=wrong+chat", group[1]);
        let a = send(&app, form_post("/records/merges/undo", &cookie, body)).await;
        assert!(a.body.contains("The merge is undone"), "{}", a.body);
        let v: serde_json::Value =
            serde_json::from_str(&send(&app, get("/api/v1/merges")).await.body).unwrap();
        assert!(v["merged"].as_array().unwrap().is_empty(), "{v}");
    });
}

/// Two phones' exports of one WhatsApp group, deposited by two offices (the automatic merge off
/// when asked): (the folder, the archive, the two conversations' ids).
fn two_phones<L: AsRef<str>>(
    title: &str,
    a: &[L],
    b: &[L],
    no_auto_merge: bool,
) -> (tempfile::TempDir, std::path::PathBuf, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    let mut archive = onrecord_app::init(&root, Some("test.example/log")).unwrap();
    let join = |lines: &[L]| {
        lines
            .iter()
            .map(|l| l.as_ref())
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    };
    let path_a = dir.path().join(format!("WhatsApp Chat with {title}.txt"));
    std::fs::write(&path_a, join(a)).unwrap();
    let path_b = dir
        .path()
        .join(format!("WhatsApp Chat with {title} (Bob).txt"));
    std::fs::write(&path_b, join(b)).unwrap();
    let request = |path: &Path, by: &str| onrecord_app::IngestRequest {
        path: path.to_path_buf(),
        depositor: Some(by.into()),
        read: onrecord_app::ReadOptions {
            tz: Some("Europe/London".into()),
            ..Default::default()
        },
    };
    let outcome = onrecord_app::ingest(
        &mut archive,
        &[
            request(&path_a, "Alice's office"),
            request(&path_b, "Bob's office"),
        ],
        onrecord_app::IngestConfig {
            no_auto_merge,
            ..Default::default()
        },
        &mut |_, _| {},
    );
    let ids = outcome
        .deposits
        .into_iter()
        .map(|d| d.result.unwrap().conversations[0].id.clone())
        .collect();
    (dir, root, ids)
}

/// The application on `root` with one account of `role`: (the router, its API token).
fn serve_as(root: std::path::PathBuf, name: &str, role: Role) -> (axum::Router, String) {
    let accounts = Accounts::new(&root);
    accounts.add(name, role, PASSWORD, false).unwrap();
    let token = accounts.new_token(name).unwrap();
    let (reader, _) = onrecord_app::open_reader(&root, true).unwrap();
    let app = router(AppState::new(
        ServeConfig::new(root, "127.0.0.1:0".parse().unwrap()),
        reader,
    ));
    (app, token)
}
