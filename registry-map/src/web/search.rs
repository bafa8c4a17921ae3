//! The search page: a text search over names, operators, legal bases and evidence types,
//! narrowed by facets, a page of results at a time.

use std::collections::HashMap;

use serde::Deserialize;

use crate::catalogue::{Catalogue, Filters};
use crate::model::Register;

use super::format::{self, encode, member_href, register_href, type_href};

/// Results per page.
pub const PAGE_SIZE: usize = 50;
/// Facet values shown before "more".
const FACET_VALUES_SHOWN: usize = 8;

/// The facets, in the order shown: query parameter, heading.
const FACETS: [(&str, &str); 7] = [
    ("connected", "Anschluss"),
    ("level", "Ebene"),
    ("state", "Land"),
    ("type", "Registertyp"),
    ("evidence_type", "Nachweistyp"),
    ("operator", "Betreiber"),
    ("standard", "Standard"),
];

/// The query string of the search page: the words, the page, and the facets by their
/// parameter names ([`FACETS`]). Unknown parameters are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchParams {
    /// Search words.
    #[serde(default)]
    pub q: Option<String>,
    /// Page, from 1.
    #[serde(default)]
    pub page: Option<String>,
    /// Every other parameter; only the facets' are read.
    #[serde(flatten)]
    facets: HashMap<String, String>,
}

impl SearchParams {
    /// The value of the facet parameter `name`, if given.
    pub fn facet(&self, name: &str) -> Option<&str> {
        self.facets.get(name).map(String::as_str)
    }

    /// The facets set, as (parameter, value), in the order of [`FACETS`]; empty values dropped.
    fn active(&self) -> Vec<(&'static str, String)> {
        FACETS
            .iter()
            .filter_map(|(name, _)| {
                let value = self.facet(name).map(str::trim).filter(|v| !v.is_empty())?;
                // Only two values mean something for "connected".
                if *name == "connected" && value != "true" && value != "false" {
                    return None;
                }
                Some((*name, value.to_owned()))
            })
            .collect()
    }

    fn query(&self) -> String {
        self.q
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_owned()
    }

    fn page(&self) -> usize {
        self.page
            .as_deref()
            .and_then(|p| p.trim().parse::<usize>().ok())
            .unwrap_or(1)
            .clamp(1, 100_000)
    }
}

fn filters(active: &[(&'static str, String)]) -> Filters {
    let mut filters = Filters::default();
    for (name, value) in active {
        let value = Some(value.clone());
        match *name {
            "connected" => filters.connected = value.map(|v| v == "true"),
            "level" => filters.level = value,
            "state" => filters.state = value,
            "type" => filters.register_type = value,
            "evidence_type" => filters.evidence_type = value,
            "operator" => filters.operator = value,
            _ => filters.standard = value,
        }
    }
    filters
}

/// A link to the search page with the words and facets given.
fn href(query: &str, active: &[(&str, String)], page: usize) -> String {
    let mut parts = Vec::new();
    if !query.is_empty() {
        parts.push(format!("q={}", encode(query)));
    }
    for (name, value) in active {
        parts.push(format!("{name}={}", encode(value)));
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        "/".to_owned()
    } else {
        format!("/?{}", parts.join("&"))
    }
}

/// How a facet value is shown.
pub fn value_label(catalogue: &Catalogue, facet: &str, value: &str) -> String {
    match facet {
        "connected" if value == "true" => "angeschlossen".to_owned(),
        "connected" => "nicht angeschlossen".to_owned(),
        "level" => format::level_name_label(value),
        "state" => catalogue
            .area(value)
            .map_or_else(|| value.to_owned(), |a| a.name.clone()),
        "type" => catalogue
            .register_type(value)
            .map_or_else(|| value.to_owned(), |t| t.name_de.clone()),
        "evidence_type" => format::evidence_label(value),
        _ => value.to_owned(),
    }
}

/// The search page's content.
#[derive(Debug, Clone)]
pub struct SearchView {
    /// The words searched for.
    pub query: String,
    /// Active facets, each with the link that removes it.
    pub active: Vec<ActiveFilter>,
    /// The facets as hidden form fields, so a new search keeps them.
    pub hidden: Vec<(String, String)>,
    /// All hits.
    pub total: usize,
    /// The same, formatted.
    pub total_text: String,
    /// First and last hit shown (1-based), formatted.
    pub range_text: String,
    /// The hits on this page.
    pub rows: Vec<Row>,
    /// Facet groups with their values.
    pub facets: Vec<FacetGroup>,
    /// Link to the previous page.
    pub previous: Option<String>,
    /// Link to the next page.
    pub next: Option<String>,
    /// "Seite 2 von 17".
    pub page_text: String,
    /// Link that removes every facet (keeping the words).
    pub reset: String,
}

/// A facet in force.
#[derive(Debug, Clone)]
pub struct ActiveFilter {
    /// Parameter.
    pub facet: &'static str,
    /// Heading of the facet.
    pub heading: &'static str,
    /// Value.
    pub value: String,
    /// Value as shown.
    pub label: String,
    /// The search without it.
    pub remove: String,
}

/// One facet with its values.
#[derive(Debug, Clone)]
pub struct FacetGroup {
    /// Parameter.
    pub facet: &'static str,
    /// Heading.
    pub heading: &'static str,
    /// The most frequent values.
    pub top: Vec<FacetValue>,
    /// The rest (behind "more").
    pub rest: Vec<FacetValue>,
}

/// A facet value with its count.
#[derive(Debug, Clone)]
pub struct FacetValue {
    /// Value.
    pub value: String,
    /// As shown.
    pub label: String,
    /// Hits with it.
    pub count: String,
    /// The search narrowed to it (or, when active, without it).
    pub href: String,
    /// Whether it is in force.
    pub active: bool,
}

/// A hit.
#[derive(Debug, Clone)]
pub struct Row {
    /// Register name.
    pub name: String,
    /// Its page.
    pub href: String,
    /// Type name and page.
    pub kind: Option<(String, String)>,
    /// Member name and page.
    pub member: (String, String),
    /// Level, in German.
    pub level: &'static str,
    /// Where it applies (area names).
    pub area: String,
    /// Connected.
    pub connected: bool,
}

/// Runs the search and prepares the page.
pub fn view(catalogue: &Catalogue, params: &SearchParams) -> SearchView {
    let query = params.query();
    let active = params.active();
    let page = params.page();
    let result = catalogue.search(&query, &filters(&active), page * PAGE_SIZE);
    let skip = (page - 1) * PAGE_SIZE;
    let rows: Vec<Row> = result
        .hits
        .iter()
        .skip(skip)
        .map(|r| row(catalogue, r))
        .collect();
    let last_page = result.total.div_ceil(PAGE_SIZE).max(1);
    let facets = FACETS
        .iter()
        .filter_map(|(facet, heading)| {
            let counts = result.facets.get(facet)?;
            let mut values: Vec<FacetValue> = counts
                .iter()
                .map(|(value, count)| {
                    let is_active = active.iter().any(|(f, v)| f == facet && v == value);
                    let href = if is_active {
                        let without: Vec<_> =
                            active.iter().filter(|(f, _)| f != facet).cloned().collect();
                        self::href(&query, &without, 1)
                    } else {
                        let mut with: Vec<_> =
                            active.iter().filter(|(f, _)| f != facet).cloned().collect();
                        with.push((facet, value.clone()));
                        self::href(&query, &with, 1)
                    };
                    FacetValue {
                        label: value_label(catalogue, facet, value),
                        value: value.clone(),
                        count: format::count(*count),
                        href,
                        active: is_active,
                    }
                })
                .collect();
            // Most frequent first; ties by name.
            values.sort_by(|a, b| {
                let count = |v: &FacetValue| counts.get(&v.value).copied().unwrap_or(0);
                count(b).cmp(&count(a)).then_with(|| a.label.cmp(&b.label))
            });
            let rest = values.split_off(values.len().min(FACET_VALUES_SHOWN));
            Some(FacetGroup {
                facet,
                heading,
                top: values,
                rest,
            })
        })
        .collect();
    let active_filters = active
        .iter()
        .map(|(facet, value)| {
            let without: Vec<_> = active.iter().filter(|(f, _)| f != facet).cloned().collect();
            ActiveFilter {
                facet,
                heading: FACETS
                    .iter()
                    .find(|(f, _)| f == facet)
                    .map_or("", |(_, h)| *h),
                label: value_label(catalogue, facet, value),
                value: value.clone(),
                remove: href(&query, &without, 1),
            }
        })
        .collect();
    let first = if rows.is_empty() { 0 } else { skip + 1 };
    SearchView {
        hidden: active
            .iter()
            .map(|(f, v)| ((*f).to_owned(), v.clone()))
            .collect(),
        active: active_filters,
        total: result.total,
        total_text: format::count(result.total),
        range_text: format!(
            "{}–{}",
            format::count(first),
            format::count(skip + rows.len())
        ),
        previous: (page > 1).then(|| href(&query, &active, (page - 1).min(last_page))),
        next: (page < last_page).then(|| href(&query, &active, page + 1)),
        page_text: format!(
            "Seite {} von {}",
            format::count(page),
            format::count(last_page)
        ),
        rows,
        facets,
        reset: href(&query, &[], 1),
        query,
    }
}

/// Where a register applies, by area name: "Bremen, Stadt", "Bremen, Stadt und 3 weitere",
/// "ganz Deutschland".
pub fn area_text(catalogue: &Catalogue, register: &Register) -> String {
    let Some(first) = register.jurisdictions.first() else {
        return "ganz Deutschland".to_owned();
    };
    let name = catalogue
        .area(first)
        .map_or_else(|| first.clone(), |a| a.name.clone());
    match register.jurisdictions.len() {
        1 => name,
        n => format!("{name} und {} weitere", n - 1),
    }
}

fn row(catalogue: &Catalogue, register: &Register) -> Row {
    let member = catalogue
        .member(&register.member)
        .map_or_else(|| register.member.clone(), |m| m.name.clone());
    Row {
        name: register.name.clone(),
        href: register_href(&register.id),
        kind: register.register_type.as_ref().map(|code| {
            let name = catalogue
                .register_type(code)
                .map_or_else(|| code.clone(), |t| t.name_de.clone());
            (name, type_href(code))
        }),
        member: (member, member_href(&register.member)),
        level: format::level_label(register.level),
        area: area_text(catalogue, register),
        connected: register.connected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_words_and_facets() {
        let active = vec![("state", "04".to_owned()), ("operator", "A & B".to_owned())];
        assert_eq!(
            href("Melde bremen", &active, 2),
            "/?q=Melde%20bremen&state=04&operator=A%20%26%20B&page=2"
        );
        assert_eq!(href("", &[], 1), "/");
    }

    #[test]
    fn nonsense_parameters_are_ignored() {
        let params = actix_web::web::Query::<SearchParams>::from_query(
            "connected=maybe&level=+&page=-3&unknown=1",
        )
        .expect("query")
        .into_inner();
        assert!(params.active().is_empty());
        assert_eq!(params.page(), 1);
    }
}
