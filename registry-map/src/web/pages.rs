//! The handlers: each takes the catalogue in force, asks [`super::search`], [`super::detail`],
//! [`super::graph`] or [`super::map`] for what to show, and renders a template.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::catalogue::Catalogue;
use crate::seed;
use crate::state::MapState;

use super::detail::{self, MemberItem, MemberView, RegisterView, TypeItem, TypeView};
use super::format;
use super::graph::{Graph, NodeKind};
use super::map::{self, LegendEntry, Shape, StateDetail};
use super::search::{self, SearchParams, SearchView};
use super::views::{Page, Views};
use super::{assets, html, json};

/// What every page shows around its content.
#[derive(Debug)]
pub struct Chrome {
    /// Page title (before " – Registerlandkarte").
    pub title: String,
    /// The navigation entry to mark: search, types, members, graph, map.
    pub section: &'static str,
    /// The style sheet.
    pub css: String,
    /// The icon.
    pub favicon: String,
    /// Scripts of this page.
    pub scripts: Vec<String>,
    /// Attribution of the municipality data.
    pub attribution: &'static str,
    /// Where its licence is.
    pub licence_url: &'static str,
    /// The licence of the state outlines.
    pub outlines_licence: String,
}

impl Chrome {
    fn new(title: impl Into<String>, section: &'static str) -> Chrome {
        Chrome {
            title: title.into(),
            section,
            css: assets::url("style.css"),
            favicon: assets::url("favicon.svg"),
            scripts: Vec::new(),
            attribution: seed::ATTRIBUTION,
            licence_url: seed::LICENCE_URL,
            outlines_licence: assets::url("vendor/svg-maps-germany/NOTICE.md"),
        }
    }

    fn script(mut self, name: &str) -> Chrome {
        self.scripts.push(assets::url(name));
        self
    }
}

fn render(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, "rendering a page failed");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!DOCTYPE html><title>Fehler</title><p>Die Seite konnte nicht erstellt werden.</p>"
                    .to_owned(),
            )
        }
    }
}

async fn current(state: &MapState, views: &Views) -> (Arc<Catalogue>, Arc<Page>) {
    let catalogue = state.catalogue.load_full();
    let derived = views.of(&catalogue).await;
    (catalogue, derived)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    heading: String,
    message: String,
}

pub(super) fn error_page(status: StatusCode, heading: &str, message: &str) -> HttpResponse {
    render(
        status,
        &ErrorPage {
            chrome: Chrome::new(heading, ""),
            heading: heading.to_owned(),
            message: message.to_owned(),
        },
    )
}

/// 404 for any other path.
pub async fn not_found() -> HttpResponse {
    error_page(
        StatusCode::NOT_FOUND,
        "Nicht gefunden",
        "Diese Seite gibt es nicht. Die Suche findet Register, Typen und Behörden.",
    )
}

/// 400 for a query string that cannot be read.
pub fn bad_request(detail: &str) -> HttpResponse {
    error_page(
        StatusCode::BAD_REQUEST,
        "Ungültige Anfrage",
        &format!("Die Parameter der Adresse sind nicht lesbar: {detail}"),
    )
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    view: SearchView,
    registers: String,
    connected: String,
    types: String,
}

/// `GET /?q=…&level=…&state=…&evidence_type=…&operator=…&standard=…&connected=…&type=…&page=…`
pub async fn search(
    state: web::Data<MapState>,
    views: web::Data<Views>,
    params: web::Query<SearchParams>,
) -> HttpResponse {
    let (catalogue, derived) = current(&state, &views).await;
    let view = search::view(&catalogue, &params);
    let title = if view.query.is_empty() {
        "Suche".to_owned()
    } else {
        format!("Suche: {}", view.query)
    };
    render(
        StatusCode::OK,
        &SearchPage {
            chrome: Chrome::new(title, "search"),
            view,
            registers: format::count(derived.all.registers),
            connected: format::count(derived.all.connected),
            types: format::count(catalogue.types().len()),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct IdParam {
    #[serde(default)]
    id: Option<String>,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    chrome: Chrome,
    view: RegisterView,
}

/// `GET /registers?id=<map-wide register id>`
pub async fn register(state: web::Data<MapState>, params: web::Query<IdParam>) -> HttpResponse {
    let catalogue = state.catalogue.load();
    let Some(id) = params.id.as_deref().filter(|id| !id.is_empty()) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Register fehlt",
            "Geben Sie das Register an: /registers?id=<Mitglied>/<Register>.",
        );
    };
    match detail::register(&catalogue, id) {
        Some(view) => render(
            StatusCode::OK,
            &RegisterPage {
                chrome: Chrome::new(view.name.clone(), "search"),
                view,
            },
        ),
        None => error_page(
            StatusCode::NOT_FOUND,
            "Register nicht gefunden",
            &format!("Die Registerlandkarte kennt kein Register mit der Kennung „{id}“."),
        ),
    }
}

#[derive(Template)]
#[template(path = "type.html")]
struct TypePage {
    chrome: Chrome,
    view: TypeView,
}

/// `GET /types/{code}`
pub async fn register_type(
    state: web::Data<MapState>,
    views: web::Data<Views>,
    code: web::Path<String>,
) -> HttpResponse {
    let (catalogue, derived) = current(&state, &views).await;
    match detail::register_type(&catalogue, &derived, &code) {
        Some(view) => render(
            StatusCode::OK,
            &TypePage {
                chrome: Chrome::new(view.name_de.clone(), "types"),
                view,
            },
        ),
        None => error_page(
            StatusCode::NOT_FOUND,
            "Registertyp nicht gefunden",
            &format!("Es gibt keinen Registertyp „{}“.", code.as_str()),
        ),
    }
}

#[derive(Template)]
#[template(path = "types.html")]
struct TypesPage {
    chrome: Chrome,
    categories: Vec<(String, Vec<TypeItem>)>,
    count: String,
}

/// `GET /types`
pub async fn types(state: web::Data<MapState>, views: web::Data<Views>) -> HttpResponse {
    let (catalogue, derived) = current(&state, &views).await;
    render(
        StatusCode::OK,
        &TypesPage {
            chrome: Chrome::new("Registertypen", "types"),
            categories: detail::types(&catalogue, &derived),
            count: format::count(catalogue.types().len()),
        },
    )
}

#[derive(Template)]
#[template(path = "member.html")]
struct MemberPage {
    chrome: Chrome,
    view: MemberView,
}

/// `GET /members/{id}`
pub async fn member(
    state: web::Data<MapState>,
    views: web::Data<Views>,
    id: web::Path<String>,
) -> HttpResponse {
    let (catalogue, derived) = current(&state, &views).await;
    let view = detail::member(
        &catalogue,
        &derived,
        &id,
        state.stale_after_seconds,
        format::now(),
    );
    match view {
        Some(view) => render(
            StatusCode::OK,
            &MemberPage {
                chrome: Chrome::new(view.name.clone(), "members"),
                view,
            },
        ),
        None => error_page(
            StatusCode::NOT_FOUND,
            "Mitglied nicht gefunden",
            &format!(
                "Die Registerlandkarte kennt kein Mitglied „{}“.",
                id.as_str()
            ),
        ),
    }
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    chrome: Chrome,
    members: Vec<MemberItem>,
    with_node: String,
    total: String,
}

/// `GET /members`: the members that run a node.
pub async fn members(state: web::Data<MapState>, views: web::Data<Views>) -> HttpResponse {
    let (catalogue, derived) = current(&state, &views).await;
    let (members, total) = detail::members(
        &catalogue,
        &derived,
        state.stale_after_seconds,
        format::now(),
    );
    render(
        StatusCode::OK,
        &MembersPage {
            chrome: Chrome::new("Angeschlossene Behörden", "members"),
            with_node: format::count(members.len()),
            total: format::count(total),
            members,
        },
    )
}

async fn laid_out(state: &MapState, views: &Views) -> Arc<Graph> {
    let (catalogue, derived) = current(state, views).await;
    let (c, d) = (catalogue.clone(), derived.clone());
    // The first layout of a catalogue takes a moment: not on the worker thread.
    match web::block(move || d.graph(&c)).await {
        Ok(graph) => graph,
        Err(_) => derived.graph(&catalogue),
    }
}

#[derive(Template)]
#[template(path = "graph.html")]
struct GraphPage {
    chrome: Chrome,
    graph: Arc<Graph>,
    members: usize,
    registers: usize,
    flows: usize,
    /// Evidence types in flows: classification and readable name.
    evidence: Vec<(String, String)>,
    exchanges: String,
    not_drawn: String,
}

/// `GET /graph`
pub async fn graph(state: web::Data<MapState>, views: web::Data<Views>) -> HttpResponse {
    let graph = laid_out(&state, &views).await;
    render(
        StatusCode::OK,
        &GraphPage {
            chrome: Chrome::new("Datenflüsse", "graph").script("graph.js"),
            members: graph.count(NodeKind::Member),
            registers: graph.count(NodeKind::Register)
                + graph
                    .nodes
                    .iter()
                    .filter(|n| n.kind == NodeKind::More)
                    .map(|n| n.registers)
                    .sum::<usize>(),
            flows: graph.flows(),
            evidence: graph
                .evidence_types
                .iter()
                .map(|e| (e.clone(), format::evidence_label(e)))
                .collect(),
            exchanges: format::count_u64(graph.exchanges),
            not_drawn: format::count(graph.members_not_drawn),
            graph,
        },
    )
}

/// `GET /api/graph`: the laid-out graph as JSON.
pub async fn graph_json(state: web::Data<MapState>, views: web::Data<Views>) -> HttpResponse {
    json(&*laid_out(&state, &views).await)
}

#[derive(Debug, Deserialize)]
pub struct StateParam {
    #[serde(default)]
    state: Option<String>,
}

/// A district in the list under the map.
#[derive(Debug)]
struct DistrictRow {
    key: String,
    name: String,
    /// "kreisfreie Stadt" or "Kreis".
    kind: &'static str,
    registers: usize,
    connected: usize,
    registers_text: String,
    connected_text: String,
    /// Width of the bar (share connected, 0–100).
    share: String,
    share_text: String,
}

#[derive(Template)]
#[template(path = "map.html")]
struct MapPage {
    chrome: Chrome,
    view_box: &'static str,
    /// In drawing order (the chosen state last, so its outline is on top).
    shapes: Vec<Shape>,
    /// By state key.
    table: Vec<Shape>,
    legend: Vec<LegendEntry>,
    federal_registers: String,
    federal_connected: String,
    unknown_state: Option<String>,
    detail: Option<StateDetail>,
    detail_registers: String,
    detail_connected: String,
    state_level_registers: String,
    state_level_connected: String,
    districts: Vec<DistrictRow>,
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// `GET /map?state=04`
pub async fn map(
    state: web::Data<MapState>,
    views: web::Data<Views>,
    params: web::Query<StateParam>,
) -> HttpResponse {
    let (catalogue, derived) = current(&state, &views).await;
    let chosen = params
        .state
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let detail = chosen.and_then(|key| map::detail(&catalogue, &derived, key));
    let max = derived
        .states
        .iter()
        .map(|s| s.tally.connected)
        .max()
        .unwrap_or(0);
    let districts = detail
        .iter()
        .flat_map(|d| &d.districts)
        .map(|d| {
            let percent = share(d.tally.connected, d.tally.registers);
            DistrictRow {
                key: d.key.clone(),
                name: d.name.clone(),
                kind: if d.city { "kreisfreie Stadt" } else { "Kreis" },
                registers: d.tally.registers,
                connected: d.tally.connected,
                registers_text: format::count(d.tally.registers),
                connected_text: format::count(d.tally.connected),
                share: format!("{percent:.1}"),
                share_text: format!("{percent:.1} %").replace('.', ","),
            }
        })
        .collect();
    let title = detail
        .as_ref()
        .map_or_else(|| "Karte".to_owned(), |d| format!("Karte: {}", d.name));
    let mut shapes = map::shapes(&derived, detail.as_ref().map(|d| d.key.as_str()));
    let mut table = shapes.clone();
    table.sort_by(|a, b| a.key.cmp(&b.key));
    shapes.sort_by_key(|s| s.selected);
    render(
        StatusCode::OK,
        &MapPage {
            chrome: Chrome::new(title, "map").script("map.js"),
            view_box: map::view_box(),
            shapes,
            table,
            legend: map::legend(max),
            federal_registers: format::count(derived.federal.registers),
            federal_connected: format::count(derived.federal.connected),
            unknown_state: chosen.filter(|_| detail.is_none()).map(str::to_owned),
            detail_registers: detail
                .as_ref()
                .map_or_else(String::new, |d| format::count(d.tally.registers)),
            detail_connected: detail
                .as_ref()
                .map_or_else(String::new, |d| format::count(d.tally.connected)),
            state_level_registers: detail
                .as_ref()
                .map_or_else(String::new, |d| format::count(d.state_level.registers)),
            state_level_connected: detail
                .as_ref()
                .map_or_else(String::new, |d| format::count(d.state_level.connected)),
            districts,
            detail,
        },
    )
}

/// `GET /api/map?state=04`: registers per state, and the districts of one state.
pub async fn map_json(
    state: web::Data<MapState>,
    views: web::Data<Views>,
    params: web::Query<StateParam>,
) -> HttpResponse {
    let (catalogue, derived) = current(&state, &views).await;
    json(&map::data(&catalogue, &derived, params.state.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Snapshot;
    use crate::model::{Flow, Member, Register, Source};
    use once_xml::level::Level;

    const EVIL: &str = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>";

    fn catalogue() -> Catalogue {
        let member = Member {
            id: "DE-HB:KOMMUNE:04011000".into(),
            name: format!("Stadt {EVIL}"),
            contact: Some(EVIL.into()),
            peer_url: Some("https://peer.example.invalid".into()),
            tls_fingerprint: Some("ab".repeat(32)),
            published_at: Some(0),
        };
        let register = Register {
            id: format!("{}/melderegister", member.id),
            member: member.id.clone(),
            local_id: "melderegister".into(),
            register_type: Some(EVIL.into()),
            name: format!("Melderegister {EVIL}"),
            level: Level::Municipality,
            jurisdictions: vec!["04011000".into()],
            evidence_types: vec![EVIL.into()],
            legal_basis: EVIL.into(),
            standards: vec![EVIL.into()],
            record_count: Some(10),
            connected: true,
            source: Source::Published,
        };
        Catalogue::build(Snapshot {
            flows: vec![Flow {
                requester: EVIL.into(),
                provider: member.id.clone(),
                evidence_type: EVIL.into(),
                day: "2026-11-20".into(),
                count: 3,
            }],
            members: vec![member],
            registers: vec![register],
            ..Snapshot::default()
        })
    }

    /// Nothing the catalogue holds reaches the page unescaped, and the page has no inline script,
    /// style or event handler (the Content-Security-Policy would block them).
    fn assert_safe(body: &str) {
        assert!(!body.contains("<script>"), "{body}");
        assert!(!body.contains("<img src=x"), "{body}");
        assert!(
            body.contains("&#60;script&#62;"),
            "the text is shown, escaped"
        );
        // Every tag (escaped text holds no raw "<"), outside its quoted values (which hold no raw
        // quote): no style or on… attribute.
        for tag in body
            .split('<')
            .skip(1)
            .map(|t| t.split('>').next().unwrap_or_default())
        {
            let names: String = tag.split('"').step_by(2).collect::<Vec<_>>().join(" ");
            assert!(!names.contains(" style="), "inline style: <{tag}>");
            let handler = names.split(' ').any(|attribute| {
                attribute.starts_with("on")
                    && attribute.split('=').next().is_some_and(|name| {
                        name.len() > 2 && name.bytes().all(|b| b.is_ascii_lowercase())
                    })
                    && attribute.contains('=')
            });
            assert!(!handler, "event handler: <{tag}>");
        }
        for script in body.split("<script").skip(1) {
            assert!(
                script.trim_start().starts_with("src=\"/static/"),
                "inline script: {script}"
            );
        }
    }

    #[test]
    fn pages_escape_what_the_catalogue_holds() {
        let catalogue = catalogue();
        let derived = crate::web::index::Derived::build(&catalogue);
        let params = actix_web::web::Query::<SearchParams>::from_query("q=melderegister&state=04")
            .expect("query")
            .into_inner();
        let search = SearchPage {
            chrome: Chrome::new(EVIL, "search"),
            view: search::view(&catalogue, &params),
            registers: String::new(),
            connected: String::new(),
            types: String::new(),
        };
        assert_eq!(search.view.total, 1);
        assert_safe(&search.render().expect("search page"));
        let id = &catalogue.registers()[0].id;
        let register = RegisterPage {
            chrome: Chrome::new(EVIL, "search"),
            view: detail::register(&catalogue, id).expect("register"),
        };
        assert_safe(&register.render().expect("register page"));
        let member = MemberPage {
            chrome: Chrome::new(EVIL, "members"),
            view: detail::member(
                &catalogue,
                &derived,
                &catalogue.members()[0].id,
                3600,
                10_000,
            )
            .expect("member"),
        };
        let body = member.render().expect("member page");
        assert_safe(&body);
        assert!(
            body.contains("id=\"member-stale\""),
            "published at 0, now 10000: stale"
        );
        let graph = GraphPage {
            chrome: Chrome::new(EVIL, "graph").script("graph.js"),
            graph: std::sync::Arc::new(crate::web::graph::Graph::build(&catalogue, &derived)),
            members: 2,
            registers: 1,
            flows: 1,
            evidence: vec![(EVIL.into(), EVIL.into())],
            exchanges: "3".into(),
            not_drawn: "0".into(),
        };
        assert_safe(&graph.render().expect("graph page"));
    }

    #[test]
    fn the_footer_credits_the_data() {
        let page = ErrorPage {
            chrome: Chrome::new("x", ""),
            heading: "h".into(),
            message: "m".into(),
        };
        let body = page.render().expect("page");
        assert!(
            body.contains("Destatis") && body.contains("dl-de/by-2-0"),
            "municipality data"
        );
        assert!(body.contains("CC BY 4.0"), "state outlines");
        assert!(
            !body.contains("href=\"http"),
            "no link leaves the page's origin"
        );
    }
}
