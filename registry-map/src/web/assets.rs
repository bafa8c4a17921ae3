//! The page's static files, embedded in the binary so that `once` serves them anywhere and the
//! page never loads anything from another host. Links carry a digest of the content
//! (`/static/style.css?v=…`), so browsers may keep a file for a long time and still see a new
//! release at once.

use std::hash::{DefaultHasher, Hasher};
use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// Path below `/static/`.
    pub name: &'static str,
    /// Its media type.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        Asset {
            name: $name,
            content_type: $type,
            bytes: include_bytes!(concat!("../../static/", $name)),
        }
    };
}

/// Every file under `/static/`.
pub static ASSETS: &[Asset] = &[
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("graph.js", "text/javascript; charset=utf-8"),
    asset!("map.js", "text/javascript; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("vendor/svg-maps-germany/germany.json", "application/json"),
    asset!(
        "vendor/svg-maps-germany/LICENSE.md",
        "text/markdown; charset=utf-8"
    ),
    asset!(
        "vendor/svg-maps-germany/NOTICE.md",
        "text/markdown; charset=utf-8"
    ),
    asset!(
        "vendor/svg-maps-germany/README.upstream.md",
        "text/markdown; charset=utf-8"
    ),
];

/// Content digests (16 hex digits), in the order of [`ASSETS`].
static DIGESTS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            // A fixed-key SipHash: the same bytes give the same digest in every process.
            let mut hasher = DefaultHasher::new();
            hasher.write(a.bytes);
            format!("{:016x}", hasher.finish())
        })
        .collect()
});

/// The link to a static file, with its digest.
pub fn url(name: &str) -> String {
    match ASSETS.iter().position(|a| a.name == name) {
        Some(i) => format!("/static/{name}?v={}", DIGESTS[i]),
        None => format!("/static/{name}"),
    }
}

/// `GET /static/{name}`: an embedded file, with a long cache lifetime and an ETag.
pub async fn serve(request: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let Some(i) = ASSETS.iter().position(|a| a.name == name.as_str()) else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body("no such file\n");
    };
    let asset = &ASSETS[i];
    let etag = format!("\"{}\"", DIGESTS[i]);
    let unchanged = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.insert_header((header::ETAG, value));
    }
    if unchanged {
        return response.finish();
    }
    response.content_type(asset.content_type).body(asset.bytes)
}
