//! The pages: GOV.UK Design System markup, rendered on the server with maud (which escapes
//! everything interpolated; message text may hold anything). They work without JavaScript.

use maud::{DOCTYPE, Markup, html};
use serde_json::Value;

use crate::auth::{Permission, Principal};

/// The service navigation: (path, label, what it needs).
const NAV: &[(&str, &str, Permission)] = &[
    ("/", "Dashboard", Permission::SignedIn),
    ("/deposits", "Deposits", Permission::Deposits),
    ("/search", "Search", Permission::ReadContent),
    ("/conversations", "Conversations", Permission::ReadContent),
    ("/people", "People", Permission::ReadContent),
    ("/reports/usage", "Reports", Permission::Reports),
    ("/cases", "Cases", Permission::Cases),
    (
        "/disclosure-log",
        "Disclosure log",
        Permission::DisclosureLog,
    ),
    ("/records/review", "Records management", Permission::Govern),
    ("/verification", "Verification", Permission::Verify),
    ("/audit", "Audit log", Permission::Audit),
    ("/accounts", "Accounts", Permission::Accounts),
];

pub fn layout(title: &str, who: Option<&Principal>, active: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" class="govuk-template" {
            head {
                meta charset="utf-8";
                title { (title) " – onrecord" }
                meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover";
                meta name="theme-color" content="#0b0c0c";
                link rel="icon" sizes="48x48" href="/assets/images/favicon.ico";
                link rel="icon" sizes="any" href="/assets/images/favicon.svg" type="image/svg+xml";
                link rel="stylesheet" href="/assets/govuk-frontend.min.css";
                link rel="stylesheet" href="/assets/app.css";
            }
            body class="govuk-template__body" {
                script type="module" src="/assets/app.js" {}
                a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link" { "Skip to main content" }
                header class="govuk-header" data-module="govuk-header" {
                    div class="govuk-header__container govuk-width-container" {
                        div class="govuk-header__logo" {
                            a href="/" class="govuk-header__link govuk-header__link--homepage" {
                                span class="govuk-header__product-name onrecord-product" { "onrecord" }
                            }
                        }
                    }
                }
                section class="govuk-service-navigation" aria-label="Service information" data-module="govuk-service-navigation" {
                    div class="govuk-width-container" {
                        div class="govuk-service-navigation__container" {
                            span class="govuk-service-navigation__service-name" {
                                a href="/" class="govuk-service-navigation__link" { "Official record of messages" }
                            }
                            @if let Some(who) = who {
                                nav aria-label="Menu" class="govuk-service-navigation__wrapper" {
                                    button type="button" class="govuk-service-navigation__toggle govuk-js-service-navigation-toggle" aria-controls="navigation" hidden { "Menu" }
                                    ul class="govuk-service-navigation__list" id="navigation" {
                                        @for (href, label, needs) in NAV {
                                            @if who.may(*needs) {
                                                @if *href == active {
                                                    li class="govuk-service-navigation__item govuk-service-navigation__item--active" {
                                                        a class="govuk-service-navigation__link" href=(href) aria-current="page" {
                                                            strong class="govuk-service-navigation__active-fallback" { (label) }
                                                        }
                                                    }
                                                } @else {
                                                    li class="govuk-service-navigation__item" {
                                                        a class="govuk-service-navigation__link" href=(href) { (label) }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                div class="govuk-width-container" {
                    @if let Some(who) = who {
                        div class="onrecord-account" {
                            p class="govuk-body-s onrecord-account__who" {
                                "Signed in as " strong { (who.name) } " (" (who.role.title()) ")"
                            }
                            form method="post" action="/sign-out" class="onrecord-account__form" {
                                (csrf(who))
                                button type="submit" class="govuk-button govuk-button--secondary onrecord-account__button" data-module="govuk-button" { "Sign out" }
                            }
                        }
                    }
                    main class="govuk-main-wrapper" id="main-content" {
                        (content)
                    }
                }
                footer class="govuk-footer" {
                    div class="govuk-width-container" {
                        div class="govuk-footer__meta" {
                            div class="govuk-footer__meta-item govuk-footer__meta-item--grow" {
                                p class="govuk-body-s" {
                                    "Every search, view and download is recorded in the audit log. "
                                    a class="govuk-footer__link" href="/log/checkpoint" { "The published checkpoint" }
                                    " lets anyone check the archive."
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn csrf(who: &Principal) -> Markup {
    html! {
        @if let Some(t) = &who.csrf {
            input type="hidden" name="csrf" value=(t);
        }
    }
}

pub fn error_page(status: axum::http::StatusCode, message: &str) -> Markup {
    let title = match status.as_u16() {
        401 => "Sign in",
        403 => "You cannot see this page",
        404 => "Page not found",
        500..=599 => "Sorry, there is a problem with the service",
        _ => "There is a problem",
    };
    layout(
        title,
        None,
        "",
        html! {
            h1 class="govuk-heading-l" { (title) }
            p class="govuk-body" { (message) }
            p class="govuk-body" { a class="govuk-link" href="/" { "Go to the dashboard" } }
        },
    )
}

/// An error summary at the top of a form (GOV.UK pattern), linking to the field.
pub fn error_summary(message: Option<&str>, field: &str) -> Markup {
    html! {
        @if let Some(m) = message {
            div class="govuk-error-summary" data-module="govuk-error-summary" {
                div role="alert" {
                    h2 class="govuk-error-summary__title" { "There is a problem" }
                    div class="govuk-error-summary__body" {
                        ul class="govuk-list govuk-error-summary__list" {
                            li { a href=(format!("#{field}")) { (m) } }
                        }
                    }
                }
            }
        }
    }
}

pub fn sign_in(csrf_token: Option<&str>, error: Option<&str>) -> Markup {
    layout(
        "Sign in",
        None,
        "",
        html! {
            div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
                (error_summary(error, "name"))
                h1 class="govuk-heading-l" { "Sign in" }
                form method="post" action="/sign-in" novalidate {
                    @if let Some(t) = csrf_token { input type="hidden" name="csrf" value=(t); }
                    div class="govuk-form-group" {
                        label class="govuk-label" for="name" { "Account name" }
                        input class="govuk-input govuk-!-width-one-half" id="name" name="name" type="text" autocomplete="username" spellcheck="false";
                    }
                    div class="govuk-form-group" {
                        label class="govuk-label" for="password" { "Password" }
                        input class="govuk-input govuk-!-width-one-half" id="password" name="password" type="password" autocomplete="current-password";
                    }
                    button type="submit" class="govuk-button" data-module="govuk-button" { "Sign in" }
                }
            } }
        },
    )
}

pub fn password(who: &Principal, error: Option<&str>, done: bool) -> Markup {
    layout(
        "Change your password",
        Some(who),
        "",
        html! {
            div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
                (error_summary(error, "new_password"))
                @if done {
                    div class="govuk-panel govuk-panel--confirmation" { h1 class="govuk-panel__title" { "Password changed" } }
                } @else {
                    h1 class="govuk-heading-l" { "Change your password" }
                    p class="govuk-body" { "Use at least 12 characters. A passphrase of several words is easier to remember." }
                    form method="post" action="/password" novalidate {
                        (csrf(who))
                        div class="govuk-form-group" {
                            label class="govuk-label" for="current_password" { "Current password" }
                            input class="govuk-input govuk-!-width-one-half" id="current_password" name="current_password" type="password" autocomplete="current-password";
                        }
                        div class="govuk-form-group" {
                            label class="govuk-label" for="new_password" { "New password" }
                            input class="govuk-input govuk-!-width-one-half" id="new_password" name="new_password" type="password" autocomplete="new-password";
                        }
                        button type="submit" class="govuk-button" data-module="govuk-button" { "Change password" }
                    }
                }
            } }
        },
    )
}

fn s(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(s).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A GOV.UK table of `rows`, one column per (heading, key).
pub fn table(caption: &str, rows: &[Value], columns: &[(&str, &str)]) -> Markup {
    html! {
        @if rows.is_empty() {
            p class="govuk-body" { "None." }
        } @else {
            table class="govuk-table" {
                caption class="govuk-table__caption govuk-table__caption--m" { (caption) }
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    @for (h, _) in columns { th scope="col" class="govuk-table__header" { (h) } }
                } }
                tbody class="govuk-table__body" {
                    @for r in rows { tr class="govuk-table__row" {
                        @for (_, k) in columns { td class="govuk-table__cell" { (s(&r[*k])) } }
                    } }
                }
            }
        }
    }
}

fn summary(rows: &[(&str, String)]) -> Markup {
    html! {
        dl class="govuk-summary-list" {
            @for (k, v) in rows {
                div class="govuk-summary-list__row" {
                    dt class="govuk-summary-list__key" { (k) }
                    dd class="govuk-summary-list__value" { (v) }
                }
            }
        }
    }
}

fn arr(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

pub fn dashboard(who: &Principal, d: &Value) -> Markup {
    layout(
        "Dashboard",
        Some(who),
        "/",
        html! {
            h1 class="govuk-heading-l" { "Dashboard" }
            @if let Some(deps) = d.get("recent_deposits") {
                h2 class="govuk-heading-m" { "Recent deposits" }
                (deposit_table(&arr(deps)))
                @if who.may(Permission::Upload) {
                    a href="/deposits/new" role="button" draggable="false" class="govuk-button" data-module="govuk-button" { "Upload a deposit" }
                }
            }
            @if let Some(o) = d.get("capture_overdue") {
                h2 class="govuk-heading-m" { "Capture overdue" }
                (table("People whose capture is overdue", &arr(o), &[("Person", "person"), ("Channel", "channel"), ("Last sent", "last_sent"), ("Days since", "days")]))
            }
            @if let Some(o) = d.get("cases_overdue") {
                h2 class="govuk-heading-m" { "Overdue cases" }
                @let rows = arr(o);
                @if rows.is_empty() {
                    p class="govuk-body" { "No case is past its deadline." }
                } @else {
                    ul class="govuk-list" {
                        @for c in &rows {
                            li {
                                a class="govuk-link" href=(format!("/cases/{}", urlencode(&s(&c["name"])))) { (s(&c["name"])) }
                                " was due on " (s(&c["deadline"])) " "
                                @let late = -c["days_left"].as_i64().unwrap_or(0);
                                strong class="govuk-tag govuk-tag--red" { (late) (if late == 1 { " working day overdue" } else { " working days overdue" }) }
                            }
                        }
                    }
                }
            }
            @if d.get("findings").is_some() {
                h2 class="govuk-heading-m" { "Findings, holds and disposal" }
                (summary(&[
                    ("Findings in merged conversations", s(&d["findings"])),
                    ("Holds", arr(&d["holds"]).len().to_string()),
                    ("Records due for disposal", s(&d["disposal_due"]["destroy"])),
                    ("Records due for review or transfer", s(&d["disposal_due"]["act"])),
                    ("Due but held", s(&d["disposal_due"]["held"])),
                ]))
            }
            @if let Some(c) = d.get("checkpoint") {
                h2 class="govuk-heading-m" { "Latest checkpoint" }
                pre class="onrecord-pre" { (s(c)) }
            }
        },
    )
}

fn deposit_table(rows: &[Value]) -> Markup {
    html! {
        @if rows.is_empty() {
            p class="govuk-body" { "No deposits yet." }
        } @else {
            table class="govuk-table" {
                caption class="govuk-table__caption govuk-table__caption--s" { "Deposits uploaded here" }
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    th scope="col" class="govuk-table__header" { "File" }
                    th scope="col" class="govuk-table__header" { "Received" }
                    th scope="col" class="govuk-table__header" { "Uploaded by" }
                } }
                tbody class="govuk-table__body" {
                    @for r in rows { tr class="govuk-table__row" {
                        td class="govuk-table__cell" { a class="govuk-link" href=(format!("/deposits/{}", s(&r["deposit_id"]))) { (s(&r["file_name"])) } }
                        td class="govuk-table__cell" { (s(&r["received_at"])) }
                        td class="govuk-table__cell" { (s(&r["uploaded_by"])) }
                    } }
                }
            }
        }
    }
}

pub fn deposits(who: &Principal, rows: &Value) -> Markup {
    layout(
        "Deposits",
        Some(who),
        "/deposits",
        html! {
            h1 class="govuk-heading-l" { "Deposits" }
            @if who.may(Permission::Upload) {
                a href="/deposits/new" role="button" draggable="false" class="govuk-button" data-module="govuk-button" { "Upload a deposit" }
            }
            (deposit_table(&arr(rows)))
        },
    )
}

pub fn upload(who: &Principal, error: Option<&str>, max_mib: usize) -> Markup {
    layout(
        "Upload a deposit",
        Some(who),
        "/deposits",
        html! {
            div class="govuk-grid-row" { div class="govuk-grid-column-two-thirds" {
                (error_summary(error, "file"))
                h1 class="govuk-heading-l" { "Upload a deposit" }
                p class="govuk-body" { "Upload the export as the app made it: a WhatsApp “Export chat” zip or text file, a Signal backup, a Telegram export, an mbox. You get a receipt that proves what was captured, and when." }
                form method="post" action="/deposits" enctype="multipart/form-data" novalidate {
                    (csrf(who))
                    div class="govuk-form-group" {
                        label class="govuk-label govuk-label--s" for="file" { "Export file" }
                        div id="file-hint" class="govuk-hint" { "Up to " (max_mib) " MB." }
                        input class="govuk-file-upload" id="file" name="file" type="file" aria-describedby="file-hint";
                    }
                    div class="govuk-form-group" {
                        label class="govuk-label govuk-label--s" for="passphrase" { "Signal backup passphrase (if it is a Signal backup)" }
                        div id="passphrase-hint" class="govuk-hint" { "The 30 digits Signal showed when backups were turned on. It is used once to read the backup and not kept." }
                        input class="govuk-input govuk-!-width-two-thirds" id="passphrase" name="passphrase" type="password" autocomplete="off" aria-describedby="passphrase-hint";
                    }
                    div class="govuk-form-group" {
                        label class="govuk-label govuk-label--s" for="tz" { "Time zone of the phone (optional)" }
                        div id="tz-hint" class="govuk-hint" { "For example Europe/London. Times in the export without a zone are read in it." }
                        input class="govuk-input govuk-!-width-one-half" id="tz" name="tz" type="text" spellcheck="false" aria-describedby="tz-hint";
                    }
                    button type="submit" class="govuk-button" data-module="govuk-button" data-prevent-double-click="true" { "Upload and capture" }
                    p class="govuk-body onrecord-progress" id="upload-progress" role="status" aria-live="polite" {}
                }
            } }
        },
    )
}

pub fn receipt(who: &Principal, r: &Value, fresh: bool) -> Markup {
    let id = s(&r["deposit_id"]);
    layout(
        "Receipt",
        Some(who),
        "/deposits",
        html! {
            @if fresh {
                div class="govuk-panel govuk-panel--confirmation" {
                    h1 class="govuk-panel__title" { "Deposit captured" }
                    div class="govuk-panel__body" { "Deposit id" br; strong class="onrecord-break" { (id) } }
                }
            } @else {
                h1 class="govuk-heading-l" { "Receipt for " (s(&r["file_name"])) }
            }
            (summary(&[
                ("File", s(&r["file_name"])),
                ("Deposit id (SHA-256 of the file)", id.clone()),
                ("Depositor", s(&r["depositor"])),
                ("Format", s(&r["format"])),
                ("Received", s(&r["received_at"])),
                ("Records", s(&r["n_records"])),
                ("New records", s(&r["n_new"])),
                ("Already held", s(&r["n_already_held"])),
                ("Attachments", s(&r["n_attachments"])),
                ("Log index of the deposit", s(&r["deposit_index"])),
            ]))
            @if !arr(&r["warnings"]).is_empty() {
                div class="govuk-warning-text" {
                    span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                    strong class="govuk-warning-text__text" {
                        span class="govuk-visually-hidden" { "Warning" }
                        (s(&r["n_warnings"])) " lines could not be read in full: " (s(&r["warnings"]))
                    }
                }
            }
            h2 class="govuk-heading-m" { "Proof" }
            p class="govuk-body" { "The deposit's inclusion proof against the signed checkpoint (C2SP tlog-proof). Keep the receipt: anyone can check it against the published log." }
            pre class="onrecord-pre" { (s(&r["proof"])) }
            a class="govuk-button" data-module="govuk-button" role="button" draggable="false" href=(format!("/deposits/{id}/receipt.json")) download=(format!("receipt-{id}.json")) { "Download the receipt and proof" }
        },
    )
}

pub fn search(who: &Principal, p: &crate::data::SearchParams, result: Option<&Value>) -> Markup {
    let field = |id: &str, label: &str, value: &Option<String>| {
        html! {
            div class="govuk-form-group" {
                label class="govuk-label" for=(id) { (label) }
                input class="govuk-input" id=(id) name=(id) type="text" value=(value.clone().unwrap_or_default());
            }
        }
    };
    layout(
        "Search",
        Some(who),
        "/search",
        html! {
            h1 class="govuk-heading-l" { "Search every record" }
            div class="govuk-grid-row" {
                div class="govuk-grid-column-one-third" {
                    form method="get" action="/search" {
                        div class="govuk-form-group" {
                            label class="govuk-label govuk-label--s" for="q" { "Words" }
                            div id="q-hint" class="govuk-hint" { "All must match. Use \"quotes\" for a phrase, OR, -word, prefix*." }
                            input class="govuk-input" id="q" name="q" type="search" value=(p.q) aria-describedby="q-hint";
                        }
                        (field("person", "Person", &p.person))
                        (field("channel", "Channel", &p.channel))
                        (field("conversation", "Conversation", &p.conversation))
                        (field("after", "On or after (YYYY-MM-DD)", &p.after))
                        (field("before", "Before (YYYY-MM-DD)", &p.before))
                        (field("label", "Label", &p.label))
                        button type="submit" class="govuk-button" data-module="govuk-button" { "Search" }
                    }
                }
                div class="govuk-grid-column-two-thirds" {
                    @if let Some(r) = result {
                        @if let Some(n) = r["notice"].as_str() {
                            div class="govuk-inset-text" { (n) }
                        }
                        h2 class="govuk-heading-m" { (s(&r["total"])) " records match" }
                        @for (facet, param, title, distinct) in [("channel", "channel", "Channel", "channel"), ("person", "person", "Person", "person"), ("conversation", "conversation", "Conversation", "conversation")] {
                            @let values = arr(&r["facets"][facet]);
                            @if !values.is_empty() {
                                h3 class="govuk-heading-s" { (title) }
                                ul class="govuk-list onrecord-facets" {
                                    @for v in &values {
                                        @let label = v["title"].as_str().map(str::to_string).unwrap_or_else(|| s(&v["value"]));
                                        li {
                                            a class="govuk-link" href=(search_link(p, param, &s(&v["value"]))) { (label) }
                                            " " strong class="govuk-tag govuk-tag--grey" { (s(&v["count"])) }
                                        }
                                    }
                                }
                                @let more = r["facets"]["distinct"][distinct].as_u64().unwrap_or(0).saturating_sub(values.len() as u64);
                                @if more > 0 {
                                    p class="govuk-body-s" { "and " (more) " more" }
                                }
                            }
                        }
                        @if let Some(m) = r["facets"]["label"].as_object() {
                            @if !m.is_empty() {
                                h3 class="govuk-heading-s" { "Label" }
                                p class="govuk-body-s" { "Among the records shown." }
                                ul class="govuk-list onrecord-facets" {
                                    @for (k, n) in m {
                                        li {
                                            a class="govuk-link" href=(search_link(p, "label", k)) { (k) }
                                            " " strong class="govuk-tag govuk-tag--grey" { (s(n)) }
                                        }
                                    }
                                }
                            }
                        }
                        ol class="govuk-list onrecord-hits" {
                            @for h in arr(&r["hits"]) {
                                li class="onrecord-hit" {
                                    h3 class="govuk-heading-s" {
                                        (s(&h["conversation_title"])) " · " (s(&h["channel"]))
                                    }
                                    p class="govuk-body-s govuk-!-margin-bottom-1" { (s(&h["author"])) " · " (s(&h["local_time"])) }
                                    p class="govuk-body" { (snippet(&s(&h["snippet"]))) }
                                    @for l in arr(&h["labels"]) {
                                        strong class="govuk-tag" { (s(&l["label"])) }
                                        " "
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// A snippet whose hits the application marked `<mark>…</mark>` around text that is not
/// escaped: escape every piece, and keep only those marks.
fn snippet(marked: &str) -> Markup {
    html! {
        @for (i, part) in marked.split("<mark>").enumerate() {
            @if i == 0 {
                (part)
            } @else if let Some((hit, rest)) = part.split_once("</mark>") {
                mark { (hit) } (rest)
            } @else {
                (part)
            }
        }
    }
}

pub fn conversations(who: &Principal, list: &Value) -> Markup {
    layout(
        "Conversations",
        Some(who),
        "/conversations",
        html! {
            h1 class="govuk-heading-l" { "Conversations" }
            @let rows = arr(list);
            @if rows.is_empty() { p class="govuk-body" { "None yet." } } @else {
                table class="govuk-table" {
                    caption class="govuk-table__caption govuk-table__caption--s" { "Every conversation in the archive" }
                    thead class="govuk-table__head" { tr class="govuk-table__row" {
                        th scope="col" class="govuk-table__header" { "Title" }
                        th scope="col" class="govuk-table__header" { "Channel" }
                        th scope="col" class="govuk-table__header" { "Depositor" }
                        th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Records" }
                    } }
                    tbody class="govuk-table__body" {
                        @for c in rows { tr class="govuk-table__row" {
                            td class="govuk-table__cell" { a class="govuk-link" href=(format!("/conversations/{}", s(&c["id"]))) { (s(&c["title"])) } }
                            td class="govuk-table__cell" { (s(&c["channel"])) }
                            td class="govuk-table__cell" { (s(&c["depositor"])) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (s(&c["n_records"])) }
                        } }
                    }
                }
            }
        },
    )
}

pub fn conversation(who: &Principal, v: &Value) -> Markup {
    let title = s(&v["conversation"]["title"]);
    layout(
        &title,
        Some(who),
        "/conversations",
        html! {
            span class="govuk-caption-l" { (s(&v["conversation"]["channel"])) }
            h1 class="govuk-heading-l" { (title) }
            @let members = arr(&v["members"]);
            @let findings = arr(&v["findings"]);
            @if members.len() > 1 {
                div class="govuk-inset-text" { "Merged from " (members.len()) " exports: each message once, with every deposit that holds it." }
            }
            @if !findings.is_empty() {
                div class="govuk-warning-text" {
                    span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                    strong class="govuk-warning-text__text" {
                        span class="govuk-visually-hidden" { "Warning" }
                        (findings.len()) " finding(s): messages one export lacks, or deleted on one phone while another still holds them. They are marked below."
                    }
                }
            }
            @for m in arr(&v["messages"]) {
                @let records: Vec<String> = arr(&m["holders"]).iter().map(|h| s(&h["record"])).collect();
                @let here: Vec<&Value> = findings.iter().filter(|f| arr(&f["evidence"]).iter().any(|e| records.contains(&s(&e["record"])))).collect();
                div class="onrecord-message" {
                    p class="govuk-body-s govuk-!-margin-bottom-1" {
                        strong { (s(&m["person"])) } " · " (s(&m["time"]))
                    }
                    @for f in &here {
                        p class="govuk-body-s" {
                            strong class="govuk-tag govuk-tag--orange" { (if s(&f["kind"]) == "missing" { "Missing from one export" } else { "Deleted on one phone" }) }
                            " " (title_of(&members, &s(&f["conversation"])))
                        }
                    }
                    p class="govuk-body onrecord-text" { (s(&m["record"]["text"])) }
                    @for a in arr(&m["record"]["attachments"]) {
                        p class="govuk-body-s" { "Attachment: " (s(&a["name"])) }
                    }
                    details class="govuk-details" {
                        summary class="govuk-details__summary" { span class="govuk-details__summary-text" { "Held by " (arr(&m["holders"]).len()) " deposit(s)" } }
                        div class="govuk-details__text" {
                            ul class="govuk-list govuk-list--bullet" {
                                @for h in arr(&m["holders"]) {
                                    li { (s(&h["file_name"])) " (" (s(&h["depositor"])) ")" @if !h["line"].is_null() { ", line " (s(&h["line"])) } }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// A member conversation's title and depositor, by id.
fn title_of(members: &[Value], id: &str) -> String {
    members.iter().find(|c| s(&c["id"]) == id).map_or_else(
        || id.to_string(),
        |c| format!("{} (deposited by {})", s(&c["title"]), s(&c["depositor"])),
    )
}

pub fn people(who: &Principal, list: &Value) -> Markup {
    layout(
        "People",
        Some(who),
        "/people",
        html! {
            h1 class="govuk-heading-l" { "People" }
            ul class="govuk-list" {
                @for p in arr(list) {
                    li { a class="govuk-link" href=(format!("/people/{}", urlencode(&s(&p["name"])))) { (s(&p["name"])) } }
                }
            }
        },
    )
}

pub fn person(who: &Principal, v: &Value) -> Markup {
    let name = s(&v["person"]["name"]);
    layout(
        &name,
        Some(who),
        "/people",
        html! {
            span class="govuk-caption-l" { "Person" }
            h1 class="govuk-heading-l" { (name) }
            (table("Names the exports give them", &arr(&v["person"]["aliases"]), &[("Name", "name"), ("Conversation", "conversation"), ("Messages", "messages"), ("Deposits", "deposits")]))
            (table("Usage", &arr(&v["usage"]), &[("Name", "key"), ("Channels", "channels"), ("Messages", "messages"), ("Conversations", "conversations"), ("First", "first"), ("Last", "last")]))
            @if v["directory"].as_bool() == Some(true) {
                (table("Outside contacts", &arr(&v["contacts"]), CONTACT_COLUMNS))
            }
        },
    )
}

/// The search page's address for the current search narrowed by one more filter (a facet value).
fn search_link(p: &crate::data::SearchParams, param: &str, value: &str) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![("q", p.q.as_str())];
    for (name, v) in [
        ("person", &p.person),
        ("channel", &p.channel),
        ("conversation", &p.conversation),
        ("after", &p.after),
        ("before", &p.before),
        ("label", &p.label),
    ] {
        if name != param
            && let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty())
        {
            pairs.push((name, v));
        }
    }
    pairs.push((param, value));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("/search?{query}")
}

/// Percent-encodes a path segment.
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn report_tabs(active: &str) -> Markup {
    html! {
        nav class="govuk-!-margin-bottom-6" aria-label="Reports" {
            ul class="govuk-list onrecord-tabs" {
                @for (href, label) in [("/reports/usage?by=month", "Usage by month"), ("/reports/usage?by=person", "Usage by person"), ("/reports/usage?by=channel", "Usage by channel"), ("/reports/capture", "Capture compliance"), ("/reports/contacts", "Contacts register")] {
                    li { a class="govuk-link" href=(href) aria-current=[(href == active).then_some("page")] { (label) } }
                }
            }
        }
    }
}

pub fn usage(who: &Principal, by: &str, v: &Value) -> Markup {
    let rows = arr(&v["rows"]);
    let active = format!("/reports/usage?by={by}");
    layout(
        "Usage report",
        Some(who),
        "/reports/usage",
        html! {
            h1 class="govuk-heading-l" { "Usage by " (by) }
            (report_tabs(&active))
            (bar_chart(&format!("Messages by {by}"), &rows))
            (table(&format!("Messages by {by}"), &rows, &[("Key", "key"), ("Channels", "channels"), ("Messages", "messages"), ("Conversations", "conversations"), ("Deleted", "deleted"), ("Media", "media"), ("First", "first"), ("Last", "last")]))
            a class="govuk-button govuk-button--secondary" data-module="govuk-button" role="button" draggable="false" href=(format!("/reports/usage.csv?by={by}")) { "Download as CSV" }
        },
    )
}

/// A horizontal bar chart of `messages` per row, drawn on the server (SVG, no script).
fn bar_chart(title: &str, rows: &[Value]) -> Markup {
    let rows: Vec<(String, u64)> = rows
        .iter()
        .take(40)
        .map(|r| (s(&r["key"]), r["messages"].as_u64().unwrap_or(0)))
        .collect();
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let bar_h = 22u64;
    let height = rows.len() as u64 * bar_h + 10;
    html! {
        @if !rows.is_empty() {
            figure class="onrecord-chart" {
                svg xmlns="http://www.w3.org/2000/svg" width="100%" height=(height) viewBox=(format!("0 0 640 {height}")) role="img" aria-labelledby="chart-title" {
                    title id="chart-title" { (title) }
                    @for (i, (k, n)) in rows.iter().enumerate() {
                        @let y = i as u64 * bar_h + 5;
                        @let w = (*n as f64 / max as f64 * 380.0).round().max(1.0);
                        text x="0" y=(y + 15) font-size="14" fill="#0b0c0c" { (truncate(k, 28)) }
                        rect x="200" y=(y + 2) width=(w) height=(bar_h - 6) fill="#1d70b8" {}
                        text x=(200.0 + w + 6.0) y=(y + 15) font-size="14" fill="#0b0c0c" { (n) }
                    }
                }
                figcaption class="govuk-body-s" { (title) ". The table below gives the same figures." }
            }
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

pub fn capture(who: &Principal, v: &Value) -> Markup {
    layout(
        "Capture compliance",
        Some(who),
        "/reports/usage",
        html! {
            h1 class="govuk-heading-l" { "Capture compliance" }
            (report_tabs("/reports/capture"))
            p class="govuk-body" { "As of " (s(&v["as_of"])) ". Messages captured within 20 days of being sent (44 U.S.C. 2911), by person and channel." }
            (table("Capture by person and channel", &arr(&v["rows"]), &[("Person", "person"), ("Channel", "channel"), ("Messages", "messages"), ("Within 20 days", "within_20_days"), ("Share", "share_within_20_days"), ("Last sent", "last_sent")]))
            (table("Overdue", &arr(&v["overdue"]), &[("Person", "person"), ("Channel", "channel"), ("Last sent", "last_sent")]))
            a class="govuk-button govuk-button--secondary" data-module="govuk-button" role="button" draggable="false" href="/reports/capture.csv" { "Download as CSV" }
        },
    )
}

const CONTACT_COLUMNS: &[(&str, &str)] = &[
    ("Official", "official"),
    ("Outside party", "party"),
    ("Channels", "channels"),
    ("First", "first"),
    ("Last", "last"),
    ("Messages", "messages"),
    ("Significant", "significant"),
];

pub fn contacts(who: &Principal, v: &Value) -> Markup {
    layout(
        "Contacts register",
        Some(who),
        "/reports/usage",
        html! {
            h1 class="govuk-heading-l" { "Contacts register" }
            (report_tabs("/reports/contacts"))
            @if v.is_null() {
                p class="govuk-body" { "The register needs the department's directory, to tell officials from outside parties. Start the server with " code { "onrecord serve --directory FILE" } " (its format: docs/directory.md)." }
            } @else {
                p class="govuk-body" { "Every official's dealings with people outside government." }
                (table("Officials and outside parties", &arr(&v["rows"]), CONTACT_COLUMNS))
                a class="govuk-button govuk-button--secondary" data-module="govuk-button" role="button" draggable="false" href="/reports/contacts.csv" { "Download as CSV" }
            }
        },
    )
}

fn records_tabs(active: &str) -> Markup {
    html! {
        nav class="govuk-!-margin-bottom-6" aria-label="Records management" {
            ul class="govuk-list onrecord-tabs" {
                @for (href, label) in [("/records/review", "Review queue"), ("/records/holds", "Holds"), ("/records/disposal", "Disposal due"), ("/records/merges", "Merges")] {
                    li { a class="govuk-link" href=(href) aria-current=[(href == active).then_some("page")] { (label) } }
                }
            }
        }
    }
}

pub fn review(who: &Principal, q: &Value, message: Option<&str>) -> Markup {
    layout(
        "Review queue",
        Some(who),
        "/records/review",
        html! {
            h1 class="govuk-heading-l" { "Review queue" }
            (records_tabs("/records/review"))
            @if let Some(m) = message { div class="govuk-notification-banner govuk-notification-banner--success" role="alert" data-module="govuk-notification-banner" {
                div class="govuk-notification-banner__header" { h2 class="govuk-notification-banner__title" id="govuk-notification-banner-title" { "Success" } }
                div class="govuk-notification-banner__content" { p class="govuk-notification-banner__heading" { (m) } }
            } }
            @let items = arr(q);
            @if items.is_empty() { p class="govuk-body" { "Nothing waits for review." } }
            @for (i, it) in items.iter().enumerate() {
                div class="onrecord-message" {
                    h2 class="govuk-heading-s" { (s(&it["conversation"])) " · " (s(&it["author"])) " · " (s(&it["time"])) }
                    p class="govuk-body onrecord-text" { (s(&it["excerpt"])) }
                    p class="govuk-body-s" { "Label " strong class="govuk-tag" { (s(&it["label"])) } " (" (s(&it["category"])) ", confidence " (s(&it["confidence"])) ")" }
                    form method="post" action="/records/review" novalidate {
                        (csrf(who))
                        input type="hidden" name="record" value=(s(&it["record"]));
                        div class="govuk-form-group" {
                            fieldset class="govuk-fieldset" {
                                legend class="govuk-fieldset__legend govuk-fieldset__legend--s" { "Decision" }
                                div class="govuk-radios govuk-radios--small govuk-radios--inline" data-module="govuk-radios" {
                                    div class="govuk-radios__item" {
                                        input class="govuk-radios__input" id=(format!("accept-{i}")) name="decision" type="radio" value="accept" checked;
                                        label class="govuk-label govuk-radios__label" for=(format!("accept-{i}")) { "Accept the label" }
                                    }
                                    div class="govuk-radios__item" {
                                        input class="govuk-radios__input" id=(format!("change-{i}")) name="decision" type="radio" value="change";
                                        label class="govuk-label govuk-radios__label" for=(format!("change-{i}")) { "Change it" }
                                    }
                                }
                            }
                        }
                        div class="govuk-form-group" {
                            label class="govuk-label" for=(format!("label-{i}")) { "New label (if changing)" }
                            input class="govuk-input govuk-!-width-one-third" id=(format!("label-{i}")) name="label" type="text";
                        }
                        div class="govuk-form-group" {
                            label class="govuk-label" for=(format!("category-{i}")) { "New category (if changing)" }
                            input class="govuk-input govuk-!-width-one-third" id=(format!("category-{i}")) name="category" type="text";
                        }
                        div class="govuk-form-group" {
                            label class="govuk-label" for=(format!("reason-{i}")) { "Reason" }
                            input class="govuk-input" id=(format!("reason-{i}")) name="reason" type="text";
                        }
                        button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" { "Record decision" }
                    }
                }
            }
        },
    )
}

pub fn holds(who: &Principal, h: &Value, message: Option<&str>) -> Markup {
    layout(
        "Holds",
        Some(who),
        "/records/review",
        html! {
            h1 class="govuk-heading-l" { "Legal holds" }
            (records_tabs("/records/holds"))
            @if let Some(m) = message { div class="govuk-inset-text" { (m) } }
            (table("Holds", &arr(h), &[("Name", "name"), ("Log index", "log_index"), ("Records", "n_records"), ("Released at", "released")]))
            h2 class="govuk-heading-m" { "Place a hold" }
            form method="post" action="/records/holds" novalidate {
                (csrf(who))
                @for (id, label) in [("name", "Name of the hold"), ("query", "Search that defines it"), ("authority", "Authority (case, court order)"), ("reason", "Reason")] {
                    div class="govuk-form-group" {
                        label class="govuk-label" for=(id) { (label) }
                        input class="govuk-input" id=(id) name=(id) type="text";
                    }
                }
                button type="submit" class="govuk-button" data-module="govuk-button" { "Place the hold" }
            }
            @let standing: Vec<Value> = arr(h).into_iter().filter(|x| x["released"].is_null()).collect();
            @if !standing.is_empty() {
                h2 class="govuk-heading-m" { "Release a hold" }
                form method="post" action="/records/holds/release" novalidate {
                    (csrf(who))
                    div class="govuk-form-group" {
                        label class="govuk-label" for="release-name" { "Hold" }
                        select class="govuk-select" id="release-name" name="name" {
                            @for x in &standing {
                                option value=(s(&x["name"])) { (s(&x["name"])) }
                            }
                        }
                    }
                    @for (id, name, label) in [("release-authority", "authority", "Authority for the release (case closed, court order)"), ("release-reason", "reason", "Reason")] {
                        div class="govuk-form-group" {
                            label class="govuk-label" for=(id) { (label) }
                            input class="govuk-input" id=(id) name=(name) type="text";
                        }
                    }
                    button type="submit" class="govuk-button govuk-button--warning" data-module="govuk-button" { "Release the hold" }
                }
            }
        },
    )
}

pub fn merges(who: &Principal, m: &Value, message: Option<&str>) -> Markup {
    let suggestions = arr(&m["suggestions"]);
    let merged = arr(&m["merged"]);
    layout(
        "Merges",
        Some(who),
        "/records/review",
        html! {
            h1 class="govuk-heading-l" { "One conversation from many phones" }
            (records_tabs("/records/merges"))
            @if let Some(m) = message { div class="govuk-inset-text" { (m) } }
            p class="govuk-body" { "Exports of the same conversation from different phones are merged into one: each message once, with every deposit that holds it, and what one phone lacks shown as a finding. A merge and its undoing are entries in the log; no record is changed." }
            h2 class="govuk-heading-m" { "Suggested" }
            @if suggestions.is_empty() {
                p class="govuk-body" { "No conversations overlap enough to suggest a merge." }
            }
            @for (i, g) in suggestions.iter().enumerate() {
                @let convs = arr(&g["conversations"]);
                div class="govuk-summary-card" {
                    div class="govuk-summary-card__title-wrapper" {
                        h3 class="govuk-summary-card__title" { "Group " (i + 1) }
                    }
                    div class="govuk-summary-card__content" {
                        ul class="govuk-list govuk-list--bullet" {
                            @for c in &convs {
                                li { a class="govuk-link" href=(format!("/conversations/{}", s(&c["id"]))) { (s(&c["title"])) } " · " (s(&c["channel"])) " · " (s(&c["n_records"])) " records · depositor " (s(&c["depositor"])) }
                            }
                        }
                        @for p in arr(&g["pairs"]) {
                            p class="govuk-body-s" {
                                "Confidence " (format!("{:.2}", p["confidence"].as_f64().unwrap_or(0.0))) ": "
                                (arr(&p["reasons"]).iter().map(s).collect::<Vec<_>>().join("; "))
                            }
                        }
                        form method="post" action="/records/merges" novalidate {
                            (csrf(who))
                            @for c in &convs {
                                input type="hidden" name="conversation" value=(s(&c["id"]));
                            }
                            div class="govuk-form-group" {
                                label class="govuk-label" for=(format!("reason-{i}")) { "Reason for merging" }
                                input class="govuk-input" id=(format!("reason-{i}")) name="reason" type="text";
                            }
                            button type="submit" class="govuk-button" data-module="govuk-button" { "Merge these conversations" }
                        }
                    }
                }
            }
            h2 class="govuk-heading-m" { "In force" }
            @if merged.is_empty() {
                p class="govuk-body" { "No conversations are merged." }
            }
            @for (i, g) in merged.iter().enumerate() {
                div class="govuk-summary-card" {
                    div class="govuk-summary-card__title-wrapper" {
                        h3 class="govuk-summary-card__title" {
                            a class="govuk-link" href=(format!("/conversations/{}", s(&g["conversation"]["id"]))) { (s(&g["conversation"]["title"])) }
                        }
                    }
                    div class="govuk-summary-card__content" {
                        p class="govuk-body-s" { "Merged by log entry " (s(&g["entry"])) "; it also holds:" }
                        ul class="govuk-list govuk-list--bullet" {
                            @for c in arr(&g["members"]) {
                                li { (s(&c["title"])) " · " (s(&c["channel"])) " · depositor " (s(&c["depositor"])) " · " (s(&c["id"])) }
                            }
                        }
                        form method="post" action="/records/merges/undo" novalidate {
                            (csrf(who))
                            input type="hidden" name="conversation" value=(s(&g["conversation"]["id"]));
                            div class="govuk-form-group" {
                                label class="govuk-label" for=(format!("undo-reason-{i}")) { "Reason for undoing" }
                                input class="govuk-input" id=(format!("undo-reason-{i}")) name="reason" type="text";
                            }
                            button type="submit" class="govuk-button govuk-button--warning" data-module="govuk-button" { "Undo this merge" }
                        }
                    }
                }
            }
        },
    )
}

pub fn disposal(who: &Principal, d: &Value, message: Option<&str>) -> Markup {
    let destroy = arr(&d["destroy"]);
    layout(
        "Disposal due",
        Some(who),
        "/records/review",
        html! {
            h1 class="govuk-heading-l" { "Disposal due" }
            (records_tabs("/records/disposal"))
            @if let Some(m) = message { div class="govuk-inset-text" { (m) } }
            p class="govuk-body" { "As of " (s(&d["as_of"])) "." }
            (table("To destroy", &destroy, &[("Record", "record"), ("Conversation", "conversation"), ("Captured", "captured_at"), ("Label", "label")]))
            (table("For a person to review or transfer", &arr(&d["act"]), &[("Record", "record"), ("Conversation", "conversation"), ("Captured", "captured_at"), ("Label", "label")]))
            (table("Due but held", &arr(&d["held"]), &[("Record", "record"), ("Conversation", "conversation"), ("Held by", "held_by")]))
            @if !destroy.is_empty() {
                form method="post" action="/records/disposal" novalidate {
                    (csrf(who))
                    input type="hidden" name="batch" value=(s(&d["batch"]));
                    div class="govuk-warning-text" {
                        span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                        strong class="govuk-warning-text__text" { span class="govuk-visually-hidden" { "Warning" } "Approving destroys the content of these " (destroy.len()) " records. The log keeps a tombstone of each." }
                    }
                    button type="submit" class="govuk-button govuk-button--warning" data-module="govuk-button" { "Approve disposal of batch " (s(&d["batch"])) }
                }
            }
        },
    )
}

fn cases_tabs(active: &str) -> Markup {
    html! {
        nav class="govuk-!-margin-bottom-6" aria-label="Cases" {
            ul class="govuk-list onrecord-tabs" {
                @for (href, label) in [("/cases", "All cases"), ("/cases?overdue=true", "Overdue")] {
                    li { a class="govuk-link" href=(href) aria-current=[(href == active).then_some("page")] { (label) } }
                }
            }
        }
    }
}

/// A case's status as a GOV.UK tag (overdue in red).
fn case_status(v: &Value) -> Markup {
    let (class, label) = match v["status"].as_str().unwrap_or("") {
        "overdue" => ("govuk-tag govuk-tag--red", "Overdue"),
        "clock-stopped" => ("govuk-tag govuk-tag--yellow", "Clock stopped"),
        "closed" => ("govuk-tag govuk-tag--grey", "Closed"),
        _ => ("govuk-tag govuk-tag--blue", "Open"),
    };
    html! { strong class=(class) { (label) } }
}

/// The cases by working days left, overdue first and flagged.
pub fn cases(who: &Principal, overdue: bool, list: &Value) -> Markup {
    let rows = arr(list);
    layout(
        "Cases",
        Some(who),
        "/cases",
        html! {
            h1 class="govuk-heading-l" { "Information request cases" }
            (cases_tabs(if overdue { "/cases?overdue=true" } else { "/cases" }))
            p class="govuk-body" { "Open cases by working days left to their lawful deadline, then those waiting for a clarification, then closed ones. Cases are opened and answered with " code { "onrecord case" } " on the server." }
            @if rows.is_empty() {
                p class="govuk-body" { (if overdue { "No overdue cases." } else { "No cases." }) }
            } @else {
                table class="govuk-table" {
                    caption class="govuk-table__caption govuk-table__caption--m" { (if overdue { "Overdue cases" } else { "Cases by working days left" }) }
                    thead class="govuk-table__head" { tr class="govuk-table__row" {
                        th scope="col" class="govuk-table__header" { "Reference" }
                        th scope="col" class="govuk-table__header" { "Regime" }
                        th scope="col" class="govuk-table__header" { "Received" }
                        th scope="col" class="govuk-table__header" { "Deadline" }
                        th scope="col" class="govuk-table__header govuk-table__header--numeric" { "Working days left" }
                        th scope="col" class="govuk-table__header" { "Status" }
                    } }
                    tbody class="govuk-table__body" {
                        @for c in &rows { tr class="govuk-table__row" {
                            td class="govuk-table__cell" { a class="govuk-link" href=(format!("/cases/{}", urlencode(&s(&c["name"])))) { (s(&c["name"])) } }
                            td class="govuk-table__cell" { (s(&c["regime"]).to_uppercase()) }
                            td class="govuk-table__cell onrecord-nowrap" { (s(&c["received"])) }
                            td class="govuk-table__cell onrecord-nowrap" { (s(&c["deadline"])) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (s(&c["days_left"])) }
                            td class="govuk-table__cell" { (case_status(c)) }
                        } }
                    }
                }
            }
        },
    )
}

/// One case: its clock, its holds and its steps, each with who took it and why.
pub fn case(who: &Principal, v: &Value) -> Markup {
    let name = s(&v["name"]);
    let mut rows = vec![
        ("Regime", s(&v["regime"]).to_uppercase()),
        ("Received", s(&v["received"])),
    ];
    let deadline = match (v["deadline"].as_str(), v["clock_stopped_since"].as_str()) {
        (Some(d), _) => match (v["extended_to"].as_str(), v["statutory_deadline"].as_str()) {
            (Some(_), Some(stat)) => {
                format!("{d} (extended from {stat}: {})", s(&v["extension_reason"]))
            }
            _ => d.to_string(),
        },
        (None, Some(since)) => format!("Clock stopped since {since}, awaiting a clarification"),
        _ => String::new(),
    };
    rows.push(("Deadline", deadline));
    rows.push(("Working days left", s(&v["days_left"])));
    let status = match v["status"].as_str().unwrap_or("") {
        "overdue" => "Overdue".to_string(),
        "clock-stopped" => "Clock stopped".to_string(),
        "closed" => format!(
            "Closed on {}{}: {}",
            s(&v["closed_on"]),
            if v["late"].as_bool() == Some(true) {
                ", late"
            } else {
                ""
            },
            s(&v["outcome"])
        ),
        _ => "Open".to_string(),
    };
    rows.push(("Status", status));
    let holds = arr(&v["holds"]);
    rows.push((
        "Holds",
        if holds.is_empty() {
            "None".to_string()
        } else {
            format!(
                "{}{}",
                s(&v["holds"]),
                if v["holds_released"].as_bool() == Some(true) {
                    " (released)"
                } else {
                    ""
                }
            )
        },
    ));
    if !v["appeal_window_ends"].is_null() {
        rows.push(("Appeal window ends", s(&v["appeal_window_ends"])));
    }
    rows.push(("Requester (private)", s(&v["requester"])));
    if !v["request_sha256"].is_null() {
        rows.push(("Request file (SHA-256)", s(&v["request_sha256"])));
    }
    layout(
        &name,
        Some(who),
        "/cases",
        html! {
            span class="govuk-caption-l" { "Case" }
            h1 class="govuk-heading-l" { (name) " " (case_status(v)) }
            (summary(&rows))
            (table("Steps", &arr(&v["steps"]), &[("Log index", "log_index"), ("Step", "event"), ("Date", "date"), ("Detail", "detail"), ("Recorded", "at"), ("By", "actor"), ("Reason", "reason")]))
        },
    )
}

/// The disclosure log a department publishes: answered requests, nothing private.
pub fn disclosure_log(who: &Principal, all: bool, rows: &Value) -> Markup {
    let rows = arr(rows);
    let exemptions = |r: &Value| {
        arr(&r["exemptions"])
            .iter()
            .map(|e| match e["heading"].as_str() {
                Some(h) => format!("{} ({h})", s(&e["code"])),
                None => s(&e["code"]),
            })
            .collect::<Vec<_>>()
    };
    let (active, csv, caption) = if all {
        (
            "/disclosure-log?all=true",
            "/disclosure-log.csv?all=true",
            "All requests by date received",
        )
    } else {
        (
            "/disclosure-log",
            "/disclosure-log.csv",
            "Answered requests by date received",
        )
    };
    layout(
        "Disclosure log",
        Some(who),
        "/disclosure-log",
        html! {
            h1 class="govuk-heading-l" { "Disclosure log" }
            nav class="govuk-!-margin-bottom-6" aria-label="Disclosure log" {
                ul class="govuk-list onrecord-tabs" {
                    @for (href, label) in [("/disclosure-log", "Answered requests"), ("/disclosure-log?all=true", "All requests")] {
                        li { a class="govuk-link" href=(href) aria-current=[(href == active).then_some("page")] { (label) } }
                    }
                }
            }
            p class="govuk-body" { "Each information request and how it was answered: the dates, the outcome, the exemptions applied and how many records were disclosed, withheld or redacted. The requester and the request itself are not published." }
            @if rows.is_empty() {
                p class="govuk-body" { "None." }
            } @else {
                table class="govuk-table govuk-table--small-text-until-tablet" {
                    caption class="govuk-table__caption govuk-table__caption--m" { (caption) }
                    thead class="govuk-table__head" { tr class="govuk-table__row" {
                        @for h in ["Reference", "Regime", "Received", "Due", "Answered", "Outcome", "Exemptions", "Records"] {
                            th scope="col" class="govuk-table__header" { (h) }
                        }
                    } }
                    tbody class="govuk-table__body" {
                        @for r in &rows { tr class="govuk-table__row" {
                            td class="govuk-table__cell" { (s(&r["reference"])) }
                            td class="govuk-table__cell" { (s(&r["regime"])) }
                            td class="govuk-table__cell onrecord-nowrap" { (s(&r["received"])) }
                            td class="govuk-table__cell onrecord-nowrap" { (s(&r["due"])) }
                            td class="govuk-table__cell onrecord-nowrap" {
                                @if r["answered"].is_null() { "Not yet" } @else { (s(&r["answered"])) }
                            }
                            td class="govuk-table__cell" {
                                (s(&r["outcome"]))
                                @if r["late"].as_bool() == Some(true) { " " strong class="govuk-tag govuk-tag--red" { "Late" } }
                            }
                            td class="govuk-table__cell" {
                                @for e in exemptions(r) { (e) br; }
                            }
                            td class="govuk-table__cell onrecord-nowrap" {
                                (s(&r["disclosed"])) " disclosed" br;
                                (s(&r["withheld"])) " withheld" br;
                                (s(&r["redactions"])) " redactions"
                            }
                        } }
                    }
                }
            }
            a class="govuk-button govuk-button--secondary" data-module="govuk-button" role="button" draggable="false" href=(csv) { "Download as CSV" }
        },
    )
}

pub fn verification(who: &Principal, v: &Value) -> Markup {
    let r = &v["report"];
    layout(
        "Verification",
        Some(who),
        "/verification",
        html! {
            h1 class="govuk-heading-l" { "Verification" }
            @let ok = r["problems"].as_array().is_none_or(Vec::is_empty);
            strong class=(if ok { "govuk-tag govuk-tag--green" } else { "govuk-tag govuk-tag--red" }) { (if ok { "Verified" } else { "Problems found" }) }
            (summary(&[
                ("Log", s(&r["origin"])),
                ("Log size", s(&r["log_size"])),
                ("Root hash", s(&r["root"])),
                ("Checkpoints checked", s(&r["checkpoints_checked"])),
                ("Entries checked", s(&r["entries_checked"])),
                ("Records checked", s(&r["records_checked"])),
                ("Verifier key", s(&r["key"])),
            ]))
            @if !ok { (table("Problems", &arr(&r["problems"]), &[("Problem", "")])) }
            h2 class="govuk-heading-m" { "The published checkpoint" }
            pre class="onrecord-pre" { (s(&v["checkpoint"])) }
            p class="govuk-body" { "Anyone can fetch it at " a class="govuk-link" href="/log/checkpoint" { "/log/checkpoint" } ", with the log's tiles under /log/tile/." }
        },
    )
}

pub fn audit(who: &Principal, v: &Value) -> Markup {
    layout(
        "Audit log",
        Some(who),
        "/audit",
        html! {
            h1 class="govuk-heading-l" { "Audit log" }
            p class="govuk-body" { (s(&v["size"])) " events; the latest 500, newest first." }
            (table("Who read or changed what", &arr(&v["events"]), &[("#", "index"), ("When", "at"), ("Who", "actor"), ("Action", "action"), ("Subject", "subject"), ("Records", "records")]))
        },
    )
}

pub fn accounts(who: &Principal, v: &Value) -> Markup {
    layout(
        "Accounts",
        Some(who),
        "/accounts",
        html! {
            h1 class="govuk-heading-l" { "Accounts" }
            p class="govuk-body" { "Accounts are added and disabled with " code { "onrecord user" } " on the server." }
            (table("Accounts", &arr(v), &[("Name", "name"), ("Role", "role"), ("Disabled", "disabled"), ("Locked", "locked"), ("Live API tokens", "tokens"), ("Created", "created")]))
        },
    )
}
