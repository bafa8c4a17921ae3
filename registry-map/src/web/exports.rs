//! The catalogue's exports (written by [`crate::export`]): the whole catalogue as CSV and as
//! DCAT-AP.de in Turtle. Both are built off the worker thread: they walk every register.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::MapError;
use crate::export;
use crate::state::MapState;

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

/// The export could not be built off the worker thread (the blocking pool is gone or the
/// builder panicked): 503, the cause logged.
fn export_failed(cause: actix_web::error::BlockingError) -> MapError {
    MapError::Unavailable {
        context: "building an export",
        cause: Box::new(cause),
    }
}

/// `GET /export/registers.csv`: the whole catalogue as CSV.
pub async fn csv(state: web::Data<MapState>) -> Result<HttpResponse, MapError> {
    let catalogue = state.catalogue.load_full();
    let body = web::block(move || export::csv(&catalogue))
        .await
        .map_err(export_failed)?;
    Ok(download("text/csv; charset=utf-8", "registers.csv", body))
}

/// `GET /export/dcat.ttl`: the whole catalogue as DCAT-AP.de (Turtle), with URIs below the
/// address the page was asked under.
pub async fn dcat(
    state: web::Data<MapState>,
    request: HttpRequest,
) -> Result<HttpResponse, MapError> {
    let base = {
        let info = request.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let catalogue = state.catalogue.load_full();
    let body = web::block(move || export::dcat_turtle(&catalogue, &base))
        .await
        .map_err(export_failed)?;
    Ok(download("text/turtle; charset=utf-8", "dcat.ttl", body))
}
