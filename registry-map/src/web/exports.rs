//! The catalogue's exports (written by [`crate::export`]): the whole catalogue as CSV and as
//! DCAT-AP.de in Turtle. Both are built off the worker thread: they walk every register.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::export;
use crate::state::MapState;

use super::pages::error_page;

fn download(content_type: &'static str, filename: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(body)
}

fn export_failed() -> HttpResponse {
    error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Export nicht möglich",
        "Der Export konnte gerade nicht erstellt werden. Bitte später erneut versuchen.",
    )
}

/// `GET /export/registers.csv`: the whole catalogue as CSV.
pub async fn csv(state: web::Data<MapState>) -> HttpResponse {
    let catalogue = state.catalogue.load_full();
    match web::block(move || export::csv(&catalogue)).await {
        Ok(body) => download("text/csv; charset=utf-8", "registers.csv", body),
        Err(_) => export_failed(),
    }
}

/// `GET /export/dcat.ttl`: the whole catalogue as DCAT-AP.de (Turtle), with URIs below the
/// address the page was asked under.
pub async fn dcat(state: web::Data<MapState>, request: HttpRequest) -> HttpResponse {
    let base = {
        let info = request.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let catalogue = state.catalogue.load_full();
    match web::block(move || export::dcat_turtle(&catalogue, &base)).await {
        Ok(body) => download("text/turtle; charset=utf-8", "dcat.ttl", body),
        Err(_) => export_failed(),
    }
}
