//! The pages a person opens in a browser: the try-it page at `/` and the admin console at
//! `/admin`. Their files are built into the binary (`src/http/console/`): no CDN, no network,
//! no build step (the client library's bundle is checked in; its tests keep it current).

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{get, web, HttpResponse, ResponseError};

const TRY_HTML: &str = include_str!("console/try.html");
const TRY_JS: &str = include_str!("console/try.js");
const ADMIN_HTML: &str = include_str!("console/admin.html");
const ADMIN_JS: &str = include_str!("console/admin.js");
const CSS: &str = include_str!("console/console.css");
/// uPlot (MIT, `uplot.LICENSE`), the console's charts: a copy of the npm package's build.
const UPLOT_JS: &str = include_str!("console/uplot.min.js");
const UPLOT_CSS: &str = include_str!("console/uplot.min.css");
/// The client library (`clients/js`), bundled: the try-it page is built on it.
const CLIENT_JS: &str = include_str!("console/imcluster-client.js");

/// What the pages may load and run: their own scripts and styles only, so a value that
/// slipped past escaping still cannot run (no inline script, no `on…=` attributes, no
/// `javascript:` URLs); images from anywhere over http(s), and `blob:` ones the page made from
/// media it fetched with its token; sockets and requests to this origin.
/// Inline `style` attributes stay allowed (layout only; they cannot run script).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https: http:; \
     connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
     form-action 'self'";

fn file(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((CACHE_CONTROL, "no-cache"))
        .insert_header(("content-security-policy", CONTENT_SECURITY_POLICY))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("referrer-policy", "no-referrer"))
        .body(body)
}

#[get("/")]
async fn try_page() -> HttpResponse {
    file("text/html; charset=utf-8", TRY_HTML)
}

#[get("/admin")]
async fn admin_page() -> HttpResponse {
    file("text/html; charset=utf-8", ADMIN_HTML)
}

#[get("/console/{name}")]
async fn asset(name: web::Path<String>) -> HttpResponse {
    match name.as_str() {
        "console.css" => file("text/css; charset=utf-8", CSS),
        "try.js" => file("text/javascript; charset=utf-8", TRY_JS),
        "admin.js" => file("text/javascript; charset=utf-8", ADMIN_JS),
        "imcluster-client.js" => file("text/javascript; charset=utf-8", CLIENT_JS),
        "uplot.min.js" => file("text/javascript; charset=utf-8", UPLOT_JS),
        "uplot.min.css" => file("text/css; charset=utf-8", UPLOT_CSS),
        _ => super::error::ApiError::not_found("no such file").error_response(),
    }
}

/// Registers the routes of this file.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(try_page).service(admin_page).service(asset);
}
