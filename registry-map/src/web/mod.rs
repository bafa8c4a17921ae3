//! The web page for analysts: search with facets, detail pages of registers, types and members,
//! the graph of members and data flows, the map of Germany, and the catalogue's exports.
//!
//! Pages are rendered on the server (askama templates in `templates/`) and work without script;
//! the two scripts in `static/` only add zooming and highlighting to the pictures. Nothing is
//! loaded from another host: the Content-Security-Policy allows this origin only, and no inline
//! script or style.
//!
//! - [`search`], [`detail`]: what the pages show, free of HTTP;
//! - [`graph`], [`map`]: the two pictures and their JSON (`/api/graph`, `/api/map`);
//! - [`views`]: indexes per catalogue (registers per member and type, counts per area);
//! - [`assets`]: the embedded static files; [`format`]: labels, numbers and links;
//! - `exports`: `/export/registers.csv` and `/export/dcat.ttl`.
//!
//! Pages answer errors as pages (HTML); the pictures' data and the exports answer them in the JSON
//! envelope of [`crate::error::MapError`].

pub mod assets;
pub mod detail;
mod exports;
pub mod format;
pub mod graph;
mod index;
pub mod map;
mod pages;
pub mod search;
pub mod views;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};

/// The policy for every page: this origin only, no inline script or style, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Registers the web page's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::Data::new(views::Views::default()))
        .app_data(web::QueryConfig::default().error_handler(|e, _| {
            let response = pages::bad_request(&e.to_string());
            actix_web::error::InternalError::from_response(e, response).into()
        }))
        .route("/", web::get().to(pages::search))
        .route("/registers", web::get().to(pages::register))
        .route("/types", web::get().to(pages::types))
        .route("/types/{code}", web::get().to(pages::register_type))
        .route("/members", web::get().to(pages::members))
        .route("/members/{id}", web::get().to(pages::member))
        .route("/graph", web::get().to(pages::graph))
        .route("/map", web::get().to(pages::map))
        // The pictures' data and the exports are not pages: their errors answer in the JSON
        // envelope of [`crate::error::MapError`], a query string that cannot be read included.
        .service(
            web::resource("/api/graph")
                .app_data(crate::error::query_config())
                .route(web::get().to(pages::graph_json)),
        )
        .service(
            web::resource("/api/map")
                .app_data(crate::error::query_config())
                .route(web::get().to(pages::map_json)),
        )
        .route("/export/registers.csv", web::get().to(exports::csv))
        .route("/export/dcat.ttl", web::get().to(exports::dcat))
        .route("/static/{name:.*}", web::get().to(assets::serve))
        .default_service(web::to(pages::not_found));
}

/// An HTML answer with the page's security headers.
fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

/// A JSON answer (the pictures' data).
fn json<T: serde::Serialize>(value: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(value)
}
