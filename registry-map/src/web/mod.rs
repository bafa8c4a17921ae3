//! The web page for analysts (to be filled: search, facets, detail pages, graph, map, exports).

use actix_web::{HttpResponse, web};

use crate::state::MapState;

/// Registers the web page's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index));
}

async fn index(state: web::Data<MapState>) -> HttpResponse {
    let catalogue = state.catalogue.load();
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(format!(
            "{} registers, {} members\n",
            catalogue.registers().len(),
            catalogue.members().len()
        ))
}
