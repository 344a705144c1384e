//! The web UI over a real server, as a browser without JavaScript sees it: signing in and out,
//! sessions and their CSRF tokens, security headers, escaping of event data, roles, password
//! changes, assigning, and bad form input. Redirects are not followed and cookies are kept by
//! hand, so every `Set-Cookie` and `Location` is checked as sent.

use std::time::Duration;

use faultline_store::{Assignee, IssueId, UserId};
use faultline_testkit::{envelope_with_event, TestServer};
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::{HeaderMap, CACHE_CONTROL, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{json, Value};

use crate::python_event;

const ADMIN: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "correct horse battery";

/// A response, read whole.
struct Resp {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn location(&self) -> &str {
        self.header(LOCATION.as_str())
    }

    /// Every `Set-Cookie` header, raw.
    fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }

    /// The whole `Set-Cookie` header setting cookie `name`.
    fn set_cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.split_once('=').is_some_and(|(k, _)| k.trim() == name))
    }

    /// The value `Set-Cookie` gives cookie `name`.
    fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookie(name).map(|c| {
            c.split_once('=')
                .map(|(_, rest)| rest.split(';').next().unwrap_or_default().to_owned())
                .unwrap_or_default()
        })
    }

    /// Asserts a redirect (303 See Other) to `to`.
    fn assert_see_other(&self, to: &str) {
        assert_eq!(
            (self.status, self.location()),
            (303, to),
            "expected 303 to {to}; body: {}",
            self.body
        );
    }
}

/// The CSRF token a page's forms carry (`name="csrf" value="…"`).
fn csrf_of(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no csrf field in page: {html}"))
        + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// `html` with askama's numeric entities (`&#60;`) spelled as named ones (`&lt;`), so text
/// escaped by the templates and text escaped in Rust (`html::esc`) read the same.
fn entities_named(html: &str) -> String {
    html.replace("&#60;", "&lt;")
        .replace("&#62;", "&gt;")
        .replace("&#34;", "&quot;")
        .replace("&#39;", "&#x27;")
        .replace("&#38;", "&amp;")
}

/// A signed-in browser: its session cookie (`faultline_session=…`) and the session's CSRF token.
#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

/// A server with an admin user, and a client that neither follows redirects nor keeps cookies.
struct Ui {
    s: TestServer,
    http: Client,
    admin_id: i64,
}

impl Ui {
    fn start() -> Self {
        let s = TestServer::start();
        let admin_id = s.create_user(ADMIN, ADMIN_PASSWORD, "admin");
        let http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Ui { s, http, admin_id }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.s.url, path)
    }

    fn send(&self, req: RequestBuilder) -> Resp {
        let r = req.send().expect("request");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.text().unwrap_or_default();
        assert!(status < 500, "server error {status}: {body}");
        Resp {
            status,
            headers,
            body,
        }
    }

    fn get(&self, path: &str, cookie: Option<&str>) -> Resp {
        let mut req = self.http.get(self.url(path));
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        self.send(req)
    }

    fn post(&self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Resp {
        let mut req = self.http.post(self.url(path)).form(form);
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        self.send(req)
    }

    /// GET as `who`, asserting 200.
    fn page(&self, who: &Session, path: &str) -> String {
        let r = self.get(path, Some(&who.cookie));
        assert_eq!(r.status, 200, "GET {path}: {}", r.body);
        r.body
    }

    /// POST a form as `who` with the session's CSRF token.
    fn submit(&self, who: &Session, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut form = vec![("csrf", who.csrf.as_str())];
        form.extend_from_slice(fields);
        self.post(path, Some(&who.cookie), &form)
    }

    /// The sign-in page's token: (the `faultline_login` cookie's value, the form's `csrf`).
    fn login_token(&self) -> (String, String) {
        let r = self.get("/login", None);
        assert_eq!(r.status, 200, "{}", r.body);
        let cookie = r.cookie("faultline_login").expect("faultline_login cookie");
        (cookie, csrf_of(&r.body))
    }

    /// Submits the sign-in form the way a browser does after loading it.
    fn try_sign_in(&self, email: &str, password: &str, next: &str) -> Resp {
        let (cookie, csrf) = self.login_token();
        self.post(
            "/login",
            Some(&format!("faultline_login={cookie}")),
            &[
                ("csrf", &csrf),
                ("next", next),
                ("email", email),
                ("password", password),
            ],
        )
    }

    fn sign_in(&self, email: &str, password: &str) -> Session {
        let r = self.try_sign_in(email, password, "/issues");
        r.assert_see_other("/issues");
        let secret = r.cookie("faultline_session").expect("session cookie");
        assert!(!secret.is_empty());
        let cookie = format!("faultline_session={secret}");
        let page = self.get("/issues", Some(&cookie));
        assert_eq!(page.status, 200, "{}", page.body);
        Session {
            csrf: csrf_of(&page.body),
            cookie,
        }
    }

    fn admin(&self) -> Session {
        self.sign_in(ADMIN, ADMIN_PASSWORD)
    }

    /// Ingests `ev` and returns the id of its issue (found by its exception type).
    fn event(&self, ev: &Value) -> i64 {
        let r = self.s.post_envelope(envelope_with_event(ev));
        assert_eq!(r.status(), 200, "{}", r.text().unwrap_or_default());
        let ty = ev["exception"]["values"][0]["type"].as_str().unwrap();
        let issues = self.s.issues(ty);
        assert_eq!(issues.len(), 1, "{issues:#?}");
        issues[0]["id"].as_str().unwrap().parse().unwrap()
    }

    fn issue(&self, ty: &str) -> i64 {
        self.event(&python_event(ty, "something broke", 10))
    }

    /// The issue as the REST API (with the test token) sees it.
    fn api_issue(&self, id: i64) -> Value {
        self.s.api_get(&format!("/api/0/issues/{id}/"))
    }

    /// The issue's assignee as the REST API shows it (`assignedTo`), checked against the store.
    fn assignee(&self, id: i64) -> Option<Assignee> {
        let store = self.s.store.clone();
        let stored = self
            .s
            .runtime
            .block_on(async move { store.issue(IssueId(id)).await })
            .expect("issue")
            .expect("issue exists")
            .assignee;
        let api = self.api_issue(id)["assignedTo"].clone();
        let shown = match (api["type"].as_str(), api["id"].as_str()) {
            (Some("user"), Some(n)) => Some(Assignee::User(UserId(n.parse().unwrap()))),
            (Some("team"), Some(n)) => {
                Some(Assignee::Team(faultline_store::TeamId(n.parse().unwrap())))
            }
            _ => {
                assert!(api.is_null(), "assignedTo: {api}");
                None
            }
        };
        assert_eq!(shown, stored, "the API and the store disagree");
        shown
    }

    fn status(&self, id: i64) -> String {
        self.api_issue(id)["status"].as_str().unwrap().to_owned()
    }
}

#[test]
fn pages_send_strangers_to_sign_in_and_the_api_wants_credentials() {
    let ui = Ui::start();
    let id = ui.issue("StrangerError");
    for (path, next) in [
        ("/issues", "%2Fissues"),
        (
            format!("/issues/{id}").as_str(),
            format!("%2Fissues%2F{id}").as_str(),
        ),
        ("/issues?tab=resolved", "%2Fissues%3Ftab%3Dresolved"),
        ("/settings", "%2Fsettings"),
        ("/services", "%2Fservices"),
        ("/agents", "%2Fagents"),
        ("/releases", "%2Freleases"),
        ("/account/password", "%2Faccount%2Fpassword"),
    ] {
        let r = ui.get(path, None);
        r.assert_see_other(&format!("/login?next={next}"));
        assert!(
            !r.body.contains("StrangerError"),
            "{path} leaked: {}",
            r.body
        );
    }
    ui.get("/", None).assert_see_other("/login");
    // A made-up session is no session.
    ui.get("/issues", Some("faultline_session=0123456789abcdef"))
        .assert_see_other("/login?next=%2Fissues");
    // Forms of strangers do nothing.
    let r = ui.post(
        &format!("/issues/{id}/status"),
        None,
        &[("action", "resolve")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.location().starts_with("/login"), "{}", r.location());
    assert_eq!(ui.status(id), "unresolved");

    for path in ["/api/0/projects/", &format!("/api/0/issues/{id}/")] {
        let r = ui.get(path, None);
        assert_eq!(r.status, 401, "GET {path}: {}", r.body);
        let v: Value = serde_json::from_str(&r.body).expect("JSON error");
        assert!(v["detail"].is_string(), "{v}");
        let r = ui.get(path, Some("faultline_session=0123456789abcdef"));
        assert_eq!(r.status, 401, "GET {path} with a bogus session: {}", r.body);
    }
    let r = ui.send(
        ui.http
            .put(ui.url(&format!("/api/0/issues/{id}/")))
            .json(&json!({"status": "resolved"})),
    );
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(ui.status(id), "unresolved");
}

#[test]
fn sign_in_checks_password_and_form_token_and_sets_a_lax_http_only_session() {
    let ui = Ui::start();

    // The sign-in page: a double-submit token in a cookie and in the form.
    let r = ui.get("/login?next=%2Fissues%3Ftab%3Dresolved", None);
    assert_eq!(r.status, 200);
    let set = r.set_cookie("faultline_login").expect("login cookie");
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("Path=/login"), "{set}");
    let login_cookie = r.cookie("faultline_login").unwrap();
    assert!(login_cookie.len() >= 32, "{login_cookie}");
    assert!(r.body.contains(&format!(
        r#"<input type="hidden" name="csrf" value="{login_cookie}">"#
    )));
    assert!(
        r.body
            .contains(r#"name="next" value="/issues?tab=resolved""#),
        "{}",
        r.body
    );
    assert!(r.set_cookie("faultline_session").is_none());
    // Another load gets another token.
    let (other, _) = ui.login_token();
    assert_ne!(other, login_cookie);
    // What comes back onto the page (`next`, the email typed) is escaped.
    let r = ui.get(
        "/login?next=%2Fx%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        None,
    );
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("<script>alert(1)"), "{}", r.body);
    assert!(
        entities_named(&r.body)
            .contains(r#"name="next" value="/x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;""#),
        "{}",
        r.body
    );
    let (c, csrf) = ui.login_token();
    let r = ui.post(
        "/login",
        Some(&format!("faultline_login={c}")),
        &[
            ("csrf", csrf.as_str()),
            ("email", "\"><script>alert(1)</script>@example.com"),
            ("password", "whatever it is"),
        ],
    );
    assert_eq!(r.status, 401);
    assert!(!r.body.contains("<script>alert(1)"), "{}", r.body);
    assert!(
        entities_named(&r.body).contains(r#"value="&quot;&gt;&lt;script&gt;alert(1)"#),
        "{}",
        r.body
    );

    let form = |csrf: &str, password: &str, next: &str| -> Vec<(String, String)> {
        vec![
            ("csrf".into(), csrf.into()),
            ("next".into(), next.into()),
            ("email".into(), ADMIN.into()),
            ("password".into(), password.into()),
        ]
    };
    let post = |cookie: Option<&str>, fields: Vec<(String, String)>| {
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        ui.post("/login", cookie, &fields)
    };
    let with_cookie = format!("faultline_login={login_cookie}");

    // Wrong password, and an unknown user: 401, the form again, no session.
    for (email, password) in [
        (ADMIN, "wrong password"),
        ("nobody@example.com", ADMIN_PASSWORD),
    ] {
        let mut f = form(&login_cookie, password, "/issues");
        f[2].1 = email.into();
        let r = post(Some(&with_cookie), f);
        assert_eq!(r.status, 401, "{}", r.body);
        assert!(r.body.contains("Wrong email or password"), "{}", r.body);
        assert!(
            r.set_cookie("faultline_session").is_none(),
            "{:?}",
            r.set_cookies()
        );
        assert!(!r.body.contains(password) || password == ADMIN_PASSWORD);
    }
    // Missing or wrong form token: 403, even with the right password.
    for (cookie, csrf) in [
        (None, login_cookie.as_str()),
        (Some(with_cookie.as_str()), ""),
        (
            Some(with_cookie.as_str()),
            "0123456789abcdef0123456789abcdef",
        ),
        (Some(with_cookie.as_str()), other.as_str()),
        (Some("faultline_login="), ""),
    ] {
        let r = post(cookie, form(csrf, ADMIN_PASSWORD, "/issues"));
        assert_eq!(r.status, 403, "cookie {cookie:?} csrf {csrf:?}: {}", r.body);
        assert!(r.set_cookie("faultline_session").is_none());
    }
    let r = ui.post(
        "/login",
        Some(&with_cookie),
        &[("email", ADMIN), ("password", ADMIN_PASSWORD)],
    );
    assert_eq!(r.status, 403, "no csrf field: {}", r.body);

    // The right password: back to `next` with an HttpOnly, SameSite=Lax session cookie.
    let r = post(
        Some(&with_cookie),
        form(&login_cookie, ADMIN_PASSWORD, "/issues?tab=resolved"),
    );
    r.assert_see_other("/issues?tab=resolved");
    let set = r.set_cookie("faultline_session").expect("session cookie");
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Lax"), "{set}");
    assert!(set.contains("Path=/"), "{set}");
    assert!(!set.contains("Secure"), "plain http: {set}");
    let secret = r.cookie("faultline_session").unwrap();
    assert!(secret.len() >= 32, "{secret}");
    let session = format!("faultline_session={secret}");
    let page = ui.get("/issues?tab=resolved", Some(&session));
    assert_eq!(page.status, 200);
    assert!(page.body.contains(ADMIN), "the nav shows who is signed in");
    ui.get("/", Some(&session)).assert_see_other("/issues");
    ui.get("/login?next=%2Fservices", Some(&session))
        .assert_see_other("/services");

    // `next` only ever leads to this site.
    for evil in [
        "//evil.example",
        "//evil.example/issues",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
    ] {
        let (cookie, csrf) = ui.login_token();
        let r = post(
            Some(&format!("faultline_login={cookie}")),
            form(&csrf, ADMIN_PASSWORD, evil),
        );
        r.assert_see_other("/issues");
        assert!(r.cookie("faultline_session").is_some());
        let page = ui.get(
            &format!(
                "/login?next={}",
                evil.replace('/', "%2F")
                    .replace(':', "%3A")
                    .replace('\\', "%5C")
            ),
            None,
        );
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains(r#"name="next" value="/issues""#),
            "{evil}: {}",
            page.body
        );
        ui.get(
            &format!("/login?next={}", evil.replace('\\', "%5C")),
            Some(&session),
        )
        .assert_see_other("/issues");
    }
}

#[test]
fn pages_carry_a_strict_content_security_policy_and_no_inline_script() {
    let ui = Ui::start();
    let id = ui.issue("HeaderError");
    let admin = ui.admin();
    for (path, cookie, status) in [
        ("/login", None, 200),
        ("/issues", Some(admin.cookie.as_str()), 200),
        (
            &format!("/issues/{id}") as &str,
            Some(admin.cookie.as_str()),
            200,
        ),
        ("/settings", Some(admin.cookie.as_str()), 200),
        ("/services", Some(admin.cookie.as_str()), 200),
        ("/agents", Some(admin.cookie.as_str()), 200),
        ("/releases", Some(admin.cookie.as_str()), 200),
        ("/account/password", Some(admin.cookie.as_str()), 200),
        ("/issues/987654321", Some(admin.cookie.as_str()), 404),
        ("/issues?tab=nope", Some(admin.cookie.as_str()), 400),
        ("/issues", None, 303),
    ] {
        let r = ui.get(path, cookie);
        assert_eq!(r.status, status, "GET {path}: {}", r.body);
        let csp = r.header("content-security-policy");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
        assert_eq!(r.header("x-frame-options"), "DENY", "{path}");
        assert_eq!(r.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(r.header(CACHE_CONTROL.as_str()), "no-store", "{path}");
        if status != 303 {
            assert!(
                r.header("content-type").starts_with("text/html"),
                "{path}: {}",
                r.header("content-type")
            );
            // Nothing the policy would block: no inline script, handlers or styles.
            let lower = r.body.to_ascii_lowercase();
            assert!(!lower.contains("<script>"), "{path}: inline script");
            for attr in [
                " style=",
                " onclick=",
                " onload=",
                " onerror=",
                " onsubmit=",
            ] {
                assert!(!lower.contains(attr), "{path}: inline {attr}");
            }
            for (i, _) in lower.match_indices("<script") {
                let tag = &lower[i..i + lower[i..].find('>').unwrap()];
                assert!(tag.contains(" src=\"/static/"), "{path}: {tag}");
            }
        }
    }
    // The script and stylesheet the pages use are served, with the same headers.
    for asset in ["/static/app.js", "/static/app.css"] {
        let r = ui.get(asset, None);
        assert_eq!(r.status, 200, "{asset}");
        assert_eq!(r.header("x-content-type-options"), "nosniff");
        assert!(!r.body.is_empty());
    }
}

#[test]
fn forms_without_the_sessions_csrf_token_are_refused_and_change_nothing() {
    let ui = Ui::start();
    let id = ui.issue("CsrfError");
    let admin = ui.admin();
    // A second session of the same user has its own token.
    let other = ui.admin();
    assert_ne!(admin.csrf, other.csrf);
    let page = ui.page(&admin, &format!("/issues/{id}"));
    assert_eq!(
        csrf_of(&page),
        admin.csrf,
        "the issue page's forms carry the token"
    );
    assert!(page.contains(&format!(r#"action="/issues/{id}/status""#)));

    let status_path = format!("/issues/{id}/status");
    for (what, csrf) in [
        ("none", None),
        ("empty", Some("")),
        ("wrong", Some("0123456789abcdef0123456789abcdef")),
        ("another session's", Some(other.csrf.as_str())),
    ] {
        let mut form = vec![("action", "resolve")];
        if let Some(c) = csrf {
            form.push(("csrf", c));
        }
        let r = ui.post(&status_path, Some(&admin.cookie), &form);
        assert_eq!(r.status, 403, "{what} token: {}", r.body);
        assert!(r.body.contains("security token"), "{}", r.body);
        assert_eq!(
            ui.status(id),
            "unresolved",
            "{what} token changed the status"
        );
    }
    // The token of one session does not work with a made-up cookie either.
    let r = ui.post(
        &status_path,
        Some("faultline_session=0123456789abcdef"),
        &[("csrf", &admin.csrf), ("action", "resolve")],
    );
    assert_eq!(r.status, 303);
    assert!(r.location().starts_with("/login"));
    assert_eq!(ui.status(id), "unresolved");

    // With the page's token it works.
    let csrf = csrf_of(&page);
    let r = ui.post(
        &status_path,
        Some(&admin.cookie),
        &[("csrf", &csrf), ("action", "resolve")],
    );
    r.assert_see_other(&format!("/issues/{id}"));
    assert_eq!(ui.status(id), "resolved");
    let page = ui.page(&admin, &format!("/issues/{id}"));
    assert!(page.contains(r#"id="issue-status">resolved<"#), "{page}");
    assert!(page.contains("marked it resolved"), "activity: {page}");
    ui.submit(&admin, &status_path, &[("action", "unresolve")])
        .assert_see_other(&format!("/issues/{id}"));
    assert_eq!(ui.status(id), "unresolved");

    // Comments.
    let comment_path = format!("/issues/{id}/comment");
    let note = "looked at it: the cache was cold";
    for form in [
        vec![("text", note)],
        vec![("csrf", "nope"), ("text", note)],
        vec![("csrf", other.csrf.as_str()), ("text", note)],
    ] {
        let r = ui.post(&comment_path, Some(&admin.cookie), &form);
        assert_eq!(r.status, 403, "{form:?}: {}", r.body);
    }
    assert!(!ui.page(&admin, &format!("/issues/{id}")).contains(note));
    ui.submit(&admin, &comment_path, &[("text", note)])
        .assert_see_other(&format!("/issues/{id}#activity"));
    let page = ui.page(&admin, &format!("/issues/{id}"));
    assert!(
        page.contains(&format!(r#"<div class="note">{note}</div>"#)),
        "{page}"
    );

    // Bulk actions.
    let id_s = id.to_string();
    let r = ui.post(
        "/issues/bulk",
        Some(&admin.cookie),
        &[("action", "ignore"), ("id", &id_s)],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(ui.status(id), "unresolved");
    ui.submit(
        &admin,
        "/issues/bulk",
        &[
            ("action", "ignore"),
            ("id", &id_s),
            ("return", "/issues?tab=ignored"),
        ],
    )
    .assert_see_other("/issues?tab=ignored");
    assert_eq!(ui.status(id), "ignored");

    // Signing out: refused without the token, the session lives on.
    for form in [vec![], vec![("csrf", "nope")]] {
        let r = ui.post("/logout", Some(&admin.cookie), &form);
        assert_eq!(r.status, 403, "{form:?}: {}", r.body);
        assert_eq!(ui.get("/issues", Some(&admin.cookie)).status, 200);
    }
    let r = ui.submit(&admin, "/logout", &[]);
    r.assert_see_other("/login");
    let cleared = r.set_cookie("faultline_session").expect("cleared cookie");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(r.cookie("faultline_session").as_deref(), Some(""));
    ui.get("/issues", Some(&admin.cookie))
        .assert_see_other("/login?next=%2Fissues");
    // The old token is dead with its session; the other session is untouched.
    let r = ui.post(
        &status_path,
        Some(&admin.cookie),
        &[("csrf", &admin.csrf), ("action", "unresolve")],
    );
    assert_eq!(r.status, 303);
    assert!(r.location().starts_with("/login"), "{}", r.location());
    assert_eq!(ui.status(id), "ignored");
    assert_eq!(ui.get("/issues", Some(&other.cookie)).status, 200);
}

#[test]
fn the_api_takes_a_session_cookie_but_changes_need_its_csrf_header() {
    let ui = Ui::start();
    let id = ui.issue("SessionApiError");
    let admin = ui.admin();
    let path = format!("/api/0/issues/{id}/");

    let r = ui.get("/api/0/projects/", Some(&admin.cookie));
    assert_eq!(r.status, 200, "{}", r.body);
    let projects: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(projects[0]["slug"], "default", "{projects}");
    let r = ui.get(&path, Some(&admin.cookie));
    assert_eq!(r.status, 200, "{}", r.body);
    let issue: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(issue["id"], id.to_string());
    assert_eq!(issue["status"], "unresolved");

    let put = |csrf: Option<&str>| {
        let mut req = ui
            .http
            .put(ui.url(&path))
            .header(COOKIE, &admin.cookie)
            .json(&json!({"status": "resolved"}));
        if let Some(c) = csrf {
            req = req.header("X-CSRF-Token", c);
        }
        ui.send(req)
    };
    for csrf in [None, Some(""), Some("0123456789abcdef0123456789abcdef")] {
        let r = put(csrf);
        assert_eq!(r.status, 403, "X-CSRF-Token {csrf:?}: {}", r.body);
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert!(
            v["detail"].as_str().unwrap().contains("X-CSRF-Token"),
            "{v}"
        );
        assert_eq!(ui.status(id), "unresolved");
    }
    // The token as a form field does not count for the API.
    let r = ui.send(
        ui.http
            .put(ui.url(&format!("{path}?csrf={}", admin.csrf)))
            .header(COOKIE, &admin.cookie)
            .json(&json!({"status": "resolved"})),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(ui.status(id), "unresolved");

    let r = put(Some(&admin.csrf));
    assert_eq!(r.status, 200, "{}", r.body);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["status"], "resolved");
    assert_eq!(ui.status(id), "resolved");

    // After signing out the cookie is nothing to the API.
    ui.submit(&admin, "/logout", &[]).assert_see_other("/login");
    assert_eq!(ui.get(&path, Some(&admin.cookie)).status, 401);
    let r = put(Some(&admin.csrf));
    assert_eq!(r.status, 401, "{}", r.body);
}

#[test]
fn event_data_is_escaped_everywhere_and_only_http_urls_are_linked() {
    let ui = Ui::start();
    let script = "<script>alert(1)</script>";
    let img = r#""><img src=x onerror=alert(1)>"#;
    let js = "javascript:alert(1)";
    let mut ev = python_event("XssError", &format!("{script} {img}"), 7);
    ev["message"] = json!(format!("log line {script}"));
    ev["tags"] = json!({"shop.region": script, "note": img, "link": js});
    {
        let frame = &mut ev["exception"]["values"][0]["stacktrace"]["frames"][1];
        frame["vars"] =
            json!({"payload": script, "markup": img, "nested": {"deeper": [img, script]}});
        frame["context_line"] = json!(format!("    render({script})"));
        frame["function"] = json!(format!("handler{img}"));
    }
    ev["breadcrumbs"] = json!({"values": [
        {"timestamp": 1.7e9, "category": script, "message": img, "level": "info"},
        {"timestamp": 1.7e9, "category": "navigation", "data": {"to": js, "from": script}}
    ]});
    ev["request"] = json!({
        "url": js, "method": "GET",
        "headers": {"Referer": js, "X-Markup": img},
        "query_string": [["q", script]]
    });
    ev["user"] = json!({"id": "7", "username": script, "email": "x@example.com"});
    ev["contexts"] = json!({"browser": {"name": img, "version": script}});
    // Fields that also show on the release, agent and filter pages.
    ev["release"] = json!(format!("shop@{script}"));
    ev["environment"] = json!(format!("prod{img}"));
    ev["server_name"] = json!(format!("web{script}"));
    ev["sdk"] = json!({"name": format!("sentry.python{img}"), "version": "2.40.0"});
    let id = ui.event(&ev);
    let admin = ui.admin();

    let list = ui.page(&admin, "/issues");
    let page = ui.page(&admin, &format!("/issues/{id}"));
    let search = ui.page(&admin, "/issues?query=%3Cscript%3Ealert(1)");
    let releases = ui.page(&admin, "/releases");
    let release = ui.page(
        &admin,
        "/release?service=default&version=shop%40%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    );
    let agents = ui.page(&admin, "/agents");
    for (name, html) in [
        ("list", &list),
        ("issue page", &page),
        ("search", &search),
        ("releases", &releases),
        ("release", &release),
        ("agents", &agents),
    ] {
        assert!(!html.contains("<script>alert(1)"), "{name}: raw script tag");
        assert!(!html.contains("<img src=x"), "{name}: raw img tag");
        assert!(!html.contains("onerror=alert(1)>"), "{name}: live handler");
        assert!(
            entities_named(html).contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{name}: {html}"
        );
        let lower = html.to_ascii_lowercase();
        for bad in [
            "href=\"javascript:",
            "href='javascript:",
            "src=\"javascript:",
            "action=\"javascript:",
        ] {
            assert!(!lower.contains(bad), "{name}: {bad}");
        }
    }
    assert!(list.contains("XssError"), "{list}");
    let (list, page) = (entities_named(&list), entities_named(&page));
    // The environment filter offers it, escaped inside the attribute too.
    assert!(
        list.contains(
            "<option value=\"prod&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\">prod&quot;&gt;"
        ),
        "{list}"
    );
    assert!(
        list.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{list}"
    );
    assert!(search.contains("XssError"), "the search finds it: {search}");
    assert!(
        release.contains("XssError"),
        "the release's new issue: {release}"
    );
    let (releases, agents) = (entities_named(&releases), entities_named(&agents));
    assert!(
        releases.contains(
            "/release?service=default&amp;version=shop%40%3Cscript%3Ealert%281%29%3C%2Fscript%3E\""
        ),
        "the release link is URL-encoded: {releases}"
    );
    assert!(
        releases.contains(">shop@&lt;script&gt;alert(1)&lt;/script&gt;</a>"),
        "{releases}"
    );
    for shown in [
        "web&lt;script&gt;alert(1)&lt;/script&gt;",
        "sentry.python&quot;&gt;&lt;img src=x onerror=alert(1)&gt;",
        "prod&quot;&gt;&lt;img src=x onerror=alert(1)&gt;",
    ] {
        assert!(
            agents.contains(shown),
            "agents page lacks {shown}: {agents}"
        );
    }
    // Every part of the event is on the page, as text.
    for shown in [
        "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;",
        "log line &lt;script&gt;alert(1)&lt;/script&gt;",
        "render(&lt;script&gt;alert(1)&lt;/script&gt;)",
        "javascript:alert(1)",
    ] {
        assert!(page.contains(shown), "issue page lacks {shown}: {page}");
    }
    // The request URL is shown but not linked.
    assert!(
        page.contains(r#"<span class="url">javascript:alert(1)</span>"#),
        "{page}"
    );
    // Variables (built in Rust, not by the template) are escaped too.
    let vars = &page[page.find(r#"id="variables""#).unwrap()..page.find(r#"id="log""#).unwrap()];
    assert!(
        vars.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{vars}"
    );
    assert!(vars.contains("&lt;img src=x"), "{vars}");
    // Breadcrumbs and tags, each escaped in its table.
    let log = &page[page.find(r#"id="log""#).unwrap()..page.find(r#"id="environment""#).unwrap()];
    assert!(log.contains("&lt;img src=x onerror=alert(1)&gt;"), "{log}");
    assert!(
        log.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{log}"
    );
    let env = &page[page.find(r#"id="environment""#).unwrap()..];
    assert!(
        env.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{env}"
    );
}

#[test]
fn members_triage_but_cannot_administer_and_signing_out_ends_the_session() {
    let ui = Ui::start();
    let id = ui.issue("MemberError");
    let admin = ui.admin();
    let member_email = "member@example.com";
    let member_password = "member password 1";

    // Creating users needs the token and a sane password.
    let r = ui.post(
        "/settings/users",
        Some(&admin.cookie),
        &[
            ("email", member_email),
            ("password", member_password),
            ("role", "member"),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let r = ui.submit(
        &admin,
        "/settings/users",
        &[
            ("email", member_email),
            ("password", "short"),
            ("role", "member"),
        ],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let r = ui.submit(
        &admin,
        "/settings/users",
        &[
            ("email", member_email),
            ("password", member_password),
            ("role", "owner"),
        ],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let r = ui.try_sign_in(member_email, member_password, "/issues");
    assert_eq!(r.status, 401, "no such user yet: {}", r.body);

    ui.submit(
        &admin,
        "/settings/users",
        &[
            ("email", member_email),
            ("password", member_password),
            ("role", "member"),
        ],
    )
    .assert_see_other("/settings#users");
    let settings = ui.page(&admin, "/settings");
    assert!(settings.contains(member_email), "{settings}");
    // The same email twice is refused.
    let r = ui.submit(
        &admin,
        "/settings/users",
        &[
            ("email", member_email),
            ("password", member_password),
            ("role", "member"),
        ],
    );
    assert_eq!(r.status, 400, "{}", r.body);

    let member = ui.sign_in(member_email, member_password);
    let page = ui.page(&member, "/settings");
    assert!(page.contains("Only admins can change settings"), "{page}");
    assert!(!page.contains(r#"id="create-token""#), "{page}");
    assert!(!page.contains(ADMIN), "members do not see the user list");

    // Admin-only changes: 403, nothing changes.
    let r = ui.submit(
        &member,
        "/settings/tokens",
        &[("name", "sneaky"), ("scope", "event:read")],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(!r.body.contains("New API token"));
    let r = ui.submit(
        &member,
        "/settings/users",
        &[
            ("email", "mallory@example.com"),
            ("password", "mallory password"),
            ("role", "admin"),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        ui.try_sign_in("mallory@example.com", "mallory password", "/issues")
            .status,
        401
    );
    let member_id = {
        // The role form of the user who is not the admin.
        let s = ui.page(&admin, "/settings");
        s.match_indices("/settings/users/")
            .filter_map(|(i, _)| s[i + 16..].split('/').next()?.parse::<i64>().ok())
            .find(|n| *n != ui.admin_id)
            .expect("member's id")
    };
    let r = ui.submit(
        &member,
        &format!("/settings/users/{member_id}/role"),
        &[("role", "admin")],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let r = ui.submit(
        &member,
        "/settings/keys",
        &[("project", "default"), ("label", "x")],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let r = ui.submit(&member, "/settings/teams", &[("slug", "ops")]);
    assert_eq!(r.status, 403, "{}", r.body);
    let tokens = ui.page(&admin, "/settings");
    assert!(!tokens.contains("sneaky"));
    assert!(!tokens.contains("mallory@example.com"));
    // The member's session reads the API like the admin's.
    let r = ui.get("/api/0/projects/", Some(&member.cookie));
    assert_eq!(r.status, 200, "{}", r.body);

    // Triage is for everyone.
    ui.submit(
        &member,
        &format!("/issues/{id}/status"),
        &[("action", "resolve")],
    )
    .assert_see_other(&format!("/issues/{id}"));
    assert_eq!(ui.status(id), "resolved");
    let page = ui.page(&admin, &format!("/issues/{id}"));
    assert!(
        page.contains(&format!("<b>{member_email}</b> marked it resolved")),
        "the activity names the member: {page}"
    );

    // Signing out ends that session only.
    ui.submit(&member, "/logout", &[])
        .assert_see_other("/login");
    ui.get("/issues", Some(&member.cookie))
        .assert_see_other("/login?next=%2Fissues");
    ui.get("/settings", Some(&member.cookie))
        .assert_see_other("/login?next=%2Fsettings");
    let r = ui.submit(
        &member,
        &format!("/issues/{id}/status"),
        &[("action", "unresolve")],
    );
    assert_eq!(r.status, 303);
    assert!(r.location().starts_with("/login"));
    assert_eq!(ui.status(id), "resolved");
    assert_eq!(ui.get("/issues", Some(&admin.cookie)).status, 200);
    // And the member can sign in again.
    ui.sign_in(member_email, member_password);
}

#[test]
fn changing_the_password_needs_the_current_one_and_signs_out_other_sessions() {
    let ui = Ui::start();
    let here = ui.admin();
    let elsewhere = ui.admin();
    let new_password = "a much better passphrase";
    let change = |who: &Session, current: &str, new: &str, confirm: &str| {
        ui.submit(
            who,
            "/account/password",
            &[("current", current), ("new", new), ("confirm", confirm)],
        )
    };

    let page = ui.page(&here, "/account/password");
    assert_eq!(csrf_of(&page), here.csrf);
    for (current, new, confirm, says) in [
        (
            "not my password",
            new_password,
            new_password,
            "current password is wrong",
        ),
        ("", new_password, new_password, "current password is wrong"),
        (ADMIN_PASSWORD, new_password, "something else", "differ"),
        (ADMIN_PASSWORD, "short", "short", "at least 8 characters"),
    ] {
        let r = change(&here, current, new, confirm);
        assert_eq!(r.status, 400, "{says}: {}", r.body);
        assert!(r.body.contains(says), "{says}: {}", r.body);
    }
    // Without the token nothing changes either.
    let r = ui.post(
        "/account/password",
        Some(&here.cookie),
        &[
            ("current", ADMIN_PASSWORD),
            ("new", new_password),
            ("confirm", new_password),
        ],
    );
    assert_eq!(r.status, 403);
    // None of that changed anything.
    assert_eq!(ui.get("/issues", Some(&elsewhere.cookie)).status, 200);
    ui.sign_in(ADMIN, ADMIN_PASSWORD);

    let r = change(&here, ADMIN_PASSWORD, new_password, new_password);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Password changed"), "{}", r.body);

    // This session stays; every other one is gone.
    assert_eq!(ui.get("/issues", Some(&here.cookie)).status, 200);
    ui.get("/issues", Some(&elsewhere.cookie))
        .assert_see_other("/login?next=%2Fissues");
    let r = ui.try_sign_in(ADMIN, ADMIN_PASSWORD, "/issues");
    assert_eq!(r.status, 401, "the old password still works: {}", r.body);
    assert!(r.body.contains("Wrong email or password"));
    let again = ui.sign_in(ADMIN, new_password);
    assert_eq!(ui.get("/issues", Some(&again.cookie)).status, 200);
    // And back, proving the new one is now the current one.
    let r = change(&again, ADMIN_PASSWORD, "third password!", "third password!");
    assert_eq!(r.status, 400);
    assert_eq!(ui.get("/issues", Some(&here.cookie)).status, 200);
}

#[test]
fn assigning_an_issue_moves_it_between_the_assignee_filters() {
    let ui = Ui::start();
    let mine = ui.issue("AssignedError");
    let theirs = ui.issue("UnassignedError");
    let admin = ui.admin();
    let page = ui.page(&admin, &format!("/issues/{mine}"));
    assert!(
        page.contains(r#"<span class="muted">nobody</span>"#),
        "{page}"
    );
    // The admin's option in the assignee drop-down.
    let marker = format!(">{ADMIN}</option>");
    let end = page.find(&marker).expect("admin in the assignee options");
    let start = page[..end].rfind("<option value=\"").unwrap() + "<option value=\"".len();
    let value = page[start..end].split('"').next().unwrap().to_owned();
    assert_eq!(value, format!("user:{}", ui.admin_id));

    let row = |id: i64| format!(r#"href="/issues/{id}""#);
    let list = ui.page(&admin, "/issues?assignee=me");
    assert!(!list.contains(&row(mine)), "{list}");

    // Without the token nothing happens.
    let r = ui.post(
        &format!("/issues/{mine}/assign"),
        Some(&admin.cookie),
        &[("assignee", &value)],
    );
    assert_eq!(r.status, 403);
    assert_eq!(ui.assignee(mine), None);

    ui.submit(
        &admin,
        &format!("/issues/{mine}/assign"),
        &[("assignee", &value)],
    )
    .assert_see_other(&format!("/issues/{mine}#activity"));
    let page = ui.page(&admin, &format!("/issues/{mine}"));
    assert!(
        page.contains(&format!(r#"<span id="issue-assignee">{ADMIN}</span>"#)),
        "{page}"
    );
    assert!(
        page.contains(&format!(r#"<option value="{value}" selected>"#)),
        "{page}"
    );
    assert!(page.contains("assigned it to"), "{page}");
    assert_eq!(ui.assignee(mine), Some(Assignee::User(UserId(ui.admin_id))));

    let me = ui.page(&admin, "/issues?assignee=me");
    assert!(me.contains(&row(mine)), "{me}");
    assert!(!me.contains(&row(theirs)), "{me}");
    for path in ["/issues?query=is%3Aunassigned", "/issues?assignee=none"] {
        let list = ui.page(&admin, path);
        assert!(!list.contains(&row(mine)), "{path}: {list}");
        assert!(list.contains(&row(theirs)), "{path}: {list}");
    }
    for path in [
        "/issues?query=is%3Aassigned",
        "/issues?query=assigned%3Ame",
        &format!("/issues?assignee={value}") as &str,
    ] {
        let list = ui.page(&admin, path);
        assert!(list.contains(&row(mine)), "{path}: {list}");
        assert!(!list.contains(&row(theirs)), "{path}: {list}");
    }

    // Back to nobody.
    ui.submit(
        &admin,
        &format!("/issues/{mine}/assign"),
        &[("assignee", "none")],
    )
    .assert_see_other(&format!("/issues/{mine}#activity"));
    let list = ui.page(&admin, "/issues?assignee=me");
    assert!(!list.contains(&row(mine)), "{list}");
    assert!(ui
        .page(&admin, "/issues?query=is%3Aunassigned")
        .contains(&row(mine)));
}

#[test]
fn bad_form_input_gets_a_4xx_page_and_changes_nothing() {
    let ui = Ui::start();
    let id = ui.issue("BadFormError");
    let admin = ui.admin();
    let status_path = format!("/issues/{id}/status");

    // Unknown or incomplete actions.
    for form in [
        vec![("action", "explode")],
        vec![("action", "")],
        vec![],
        vec![("action", "ignore_for"), ("seconds", "soon")],
        vec![("action", "ignore_for"), ("seconds", "-5")],
        vec![("action", "ignore_count")],
        vec![("action", "ignore_users"), ("count", "0")],
    ] {
        let r = ui.submit(&admin, &status_path, &form);
        assert_eq!(r.status, 400, "{form:?}: {}", r.body);
        assert!(r.header("content-type").starts_with("text/html"));
        assert_eq!(ui.status(id), "unresolved", "{form:?}");
    }
    let r = ui.submit(&admin, &status_path, &[("action", "explode")]);
    assert!(r.body.contains("unknown action"), "{}", r.body);
    let id_s = id.to_string();
    for form in [
        vec![("action", "explode"), ("id", id_s.as_str())],
        vec![("action", "resolve"), ("id", "x1")],
        vec![("action", "resolve"), ("id", id_s.as_str()), ("id", "")],
        vec![("action", "resolve")],
        vec![("id", id_s.as_str())],
    ] {
        let r = ui.submit(&admin, "/issues/bulk", &form);
        assert_eq!(r.status, 400, "bulk {form:?}: {}", r.body);
    }
    assert_eq!(ui.status(id), "unresolved");
    for assignee in ["user:abc", "someone", "team:", "user:"] {
        let r = ui.submit(
            &admin,
            &format!("/issues/{id}/assign"),
            &[("assignee", assignee)],
        );
        assert_eq!(r.status, 400, "assignee {assignee}: {}", r.body);
    }
    let r = ui.submit(
        &admin,
        &format!("/issues/{id}/assign"),
        &[("assignee", "user:987654")],
    );
    assert!(matches!(r.status, 400 | 404), "{}: {}", r.status, r.body);
    assert_eq!(ui.assignee(id), None);
    let r = ui.submit(&admin, &format!("/issues/{id}/comment"), &[("text", "   ")]);
    assert_eq!(r.status, 400, "{}", r.body);
    let long = "x".repeat(10_001);
    let r = ui.submit(&admin, &format!("/issues/{id}/comment"), &[("text", &long)]);
    assert_eq!(r.status, 400, "{}", r.body);

    // Ids that are not numbers, and issues that do not exist.
    for path in [
        "/issues/abc",
        "/issues/1.5",
        "/issues/-x",
        "/issues/99999999999999999999999",
    ] {
        let r = ui.get(path, Some(&admin.cookie));
        assert!(
            matches!(r.status, 400 | 404),
            "GET {path}: {} {}",
            r.status,
            r.body
        );
    }
    assert_eq!(ui.get("/issues/987654", Some(&admin.cookie)).status, 404);
    for path in [
        "/issues/abc/status",
        "/issues/abc/assign",
        "/issues/abc/comment",
        "/settings/tokens/abc/revoke",
        "/settings/keys/abc",
        "/settings/users/abc/role",
        "/settings/teams/abc/members",
    ] {
        let r = ui.submit(
            &admin,
            path,
            &[
                ("action", "resolve"),
                ("text", "hi"),
                ("role", "member"),
                ("user", "1"),
            ],
        );
        assert!(
            matches!(r.status, 400 | 404),
            "POST {path}: {} {}",
            r.status,
            r.body
        );
    }
    for path in [
        "/issues/987654/status",
        "/issues/987654/comment",
        "/issues/987654/assign",
    ] {
        let r = ui.submit(
            &admin,
            path,
            &[("action", "resolve"), ("text", "hi"), ("assignee", "none")],
        );
        assert_eq!(r.status, 404, "POST {path}: {}", r.body);
    }

    // A form body over 256 KiB.
    let huge = "y".repeat(300 * 1024);
    let r = ui.submit(&admin, &format!("/issues/{id}/comment"), &[("text", &huge)]);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("too large"), "{}", r.body);
    let r = ui.post("/login", None, &[("csrf", &huge)]);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(!ui
        .page(&admin, &format!("/issues/{id}"))
        .contains("yyyyyyyy"));

    // Unknown list parameters.
    for path in [
        "/issues?tab=everything",
        "/issues?period=forever",
        "/issues?sort=random",
        "/issues?assignee=user%3Aabc",
        "/issues?page=first",
        &format!("/issues/{id}?range=1y") as &str,
    ] {
        let r = ui.get(path, Some(&admin.cookie));
        assert_eq!(r.status, 400, "GET {path}: {}", r.body);
        assert!(r
            .header("content-security-policy")
            .contains("script-src 'self'"));
    }
    let r = ui.get("/issues?tab=%3Cscript%3E", Some(&admin.cookie));
    assert_eq!(r.status, 400);
    assert!(!r.body.contains("<script>"), "{}", r.body);
    assert!(
        entities_named(&r.body).contains("unknown tab &#x27;&lt;script&gt;&#x27;"),
        "{}",
        r.body
    );
    // A bad search is said on the page, not a failure.
    let r = ui.get("/issues?query=is%3Abogus", Some(&admin.cookie));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Search:"), "{}", r.body);
    // Everything still works.
    for path in [
        "/issues?tab=all&period=all&sort=events",
        "/issues?tab=resolved&period=1h&sort=users",
        &format!("/issues/{id}?range=90d") as &str,
    ] {
        assert_eq!(ui.get(path, Some(&admin.cookie)).status, 200, "{path}");
    }
    assert_eq!(ui.status(id), "unresolved");
}

/// A form to post: path, fields, the statuses it may get.
type FormCase<'a> = (String, Vec<(&'a str, &'a str)>, &'a [u16]);

#[test]
fn settings_forms_refuse_bad_input_with_a_4xx() {
    let ui = Ui::start();
    let admin = ui.admin();
    let settings = ui.page(&admin, "/settings");
    let team = {
        let at = settings
            .find("/settings/teams/")
            .expect("the default team's form")
            + 16;
        settings[at..].split('/').next().unwrap().to_owned()
    };
    let key = {
        let at = settings
            .find("action=\"/settings/keys/")
            .expect("the default key's form")
            + 23;
        settings[at..].split('"').next().unwrap().to_owned()
    };
    let cases: Vec<FormCase> = vec![
        (
            format!("/settings/teams/{team}/members"),
            vec![("user", "987654")],
            &[400, 404],
        ),
        (
            format!("/settings/teams/{team}/members"),
            vec![("user", "me")],
            &[400],
        ),
        (
            format!("/settings/teams/{team}/members"),
            vec![("user", "1"), ("action", "kick")],
            &[400],
        ),
        (
            "/settings/teams/987654/members".into(),
            vec![("user", "1")],
            &[400, 404],
        ),
        ("/settings/teams".into(), vec![("slug", "default")], &[400]),
        ("/settings/teams".into(), vec![], &[400]),
        (
            format!("/settings/keys/{key}"),
            vec![("rate_count", "many")],
            &[400],
        ),
        (
            format!("/settings/keys/{key}"),
            vec![("rate_count", "10"), ("rate_window", "-1")],
            &[400],
        ),
        (
            format!("/settings/keys/{key}"),
            vec![("action", "delete")],
            &[400],
        ),
        ("/settings/keys".into(), vec![("project", "nope")], &[404]),
        ("/settings/keys".into(), vec![], &[400]),
        (
            "/settings/scrubbing".into(),
            vec![("project", "nope")],
            &[404],
        ),
        ("/settings/tokens".into(), vec![("name", "ci")], &[400]),
        (
            "/settings/tokens".into(),
            vec![("name", "ci"), ("scope", "everything")],
            &[400],
        ),
        (
            "/settings/tokens".into(),
            vec![("scope", "event:read")],
            &[400],
        ),
        (
            "/settings/users".into(),
            vec![("email", "not-an-email"), ("password", "long enough pw")],
            &[400],
        ),
        (
            "/settings/users".into(),
            vec![("email", ADMIN), ("password", "long enough pw")],
            &[400],
        ),
        (
            format!("/settings/users/{}/role", ui.admin_id),
            vec![("role", "member")],
            &[400],
        ),
        (
            format!("/settings/users/{}/role", ui.admin_id),
            vec![("role", "root")],
            &[400],
        ),
        ("/services".into(), vec![], &[400]),
    ];
    for (path, form, want) in &cases {
        let r = ui.submit(&admin, path, form);
        assert!(
            want.contains(&r.status),
            "POST {path} {form:?}: {} {}",
            r.status,
            r.body
        );
        assert!(
            r.header("content-type").starts_with("text/html"),
            "POST {path}"
        );
    }
    // Still an admin, and nothing was created.
    let after = ui.page(&admin, "/settings");
    assert!(after.contains(r#"id="create-token""#));
    assert!(!after.contains("not-an-email"));
    for path in [
        "/services/nope",
        "/release?service=nope&version=1.0",
        "/release?service=default&version=nope",
    ] {
        assert_eq!(ui.get(path, Some(&admin.cookie)).status, 404, "GET {path}");
    }
    assert_eq!(
        ui.get("/release?service=default", Some(&admin.cookie))
            .status,
        400
    );
    assert_eq!(ui.get("/static/nope.js", None).status, 404);
    assert_eq!(ui.get("/static/..%2Fsrc%2Flib.rs", None).status, 404);
}

#[test]
fn repeated_wrong_passwords_lock_the_email_for_a_while() {
    let ui = Ui::start();
    // Ten wrong guesses are answered as wrong guesses…
    for _ in 0..10 {
        let r = ui.try_sign_in(ADMIN, "not-the-password", "/issues");
        assert_eq!(r.status, 401, "{}", r.body);
        assert!(r.cookie("faultline_session").is_none());
    }
    // …then even the right password is refused for the window, with Retry-After.
    let r = ui.try_sign_in(ADMIN, ADMIN_PASSWORD, "/issues");
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.body.contains("Too many failed sign-ins"), "{}", r.body);
    let wait: u64 = r
        .header("retry-after")
        .parse()
        .expect("Retry-After seconds");
    assert!((1..=300).contains(&wait), "{wait}");
    assert!(r.cookie("faultline_session").is_none());
    // The lock is per email: another user signs in as usual.
    ui.s.create_user("other@example.com", "another-password", "member");
    ui.sign_in("other@example.com", "another-password");
}
