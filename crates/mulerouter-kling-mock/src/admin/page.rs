//! `GET /__admin/`: the inspector page, one self-contained HTML file (no external assets,
//! so it works offline) that polls the admin API's JSON.

use crate::reply::Reply;

const PAGE: &str = include_str!("inspector.html");

pub(crate) fn page() -> Reply {
    Reply::html(200, PAGE)
        .header("cache-control", "no-store")
        .header(
            "content-security-policy",
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
        )
}
